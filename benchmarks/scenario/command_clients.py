"""The commands stage's clients: files opened for them, and client threads that hand each file
back and forth between two counter officers (``quay01`` <-> ``quay02``), one server-signed
``hand_off`` per ``Ledger.execute``, for a number of seconds (``drive``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.events import Desk
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger

CLIENTS = 8
FILES_PER_CLIENT = 50
QUICK_FILES_PER_CLIENT = 6
OFFICERS = ("quay01", "quay02")
RECEPTION = "mot-cua"
UNIT = "PBADINH"
NOTE = "Chuyển quầy trả kết quả"
RECEIVED_AT = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tuesday 08:00 in Hanoi
PERSON = PersonalData("Nguyễn Văn An", "001090012345", "0912345678", "12 Đội Cấn, Hà Nội")


@dataclass
class Run:
    """What one timed run of the clients measured."""

    commands: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    conflicts: int = 0

    @property
    def rate(self) -> float:
        return self.commands / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _in_threads(n: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


@dataclass
class Files:
    """Each client's files, who holds each one and its last action time (kept across runs)."""

    clients: list[list[str]]
    holder: dict[str, int] = field(default_factory=dict)
    last: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for mine in self.clients:
            for code in mine:
                self.holder.setdefault(code, 0)
                self.last.setdefault(code, RECEIVED_AT)


def open_files(ledger: Ledger, signer: Any, per_client: int) -> Files:
    """``per_client`` files for each client, received by quay01 (8 threads: scrypt of the PIN
    releases the GIL)."""
    files: list[list[str]] = [[] for _ in range(CLIENTS)]

    def receive(i: int) -> None:
        for _ in range(per_client):
            files[i].append(
                ledger.receive(
                    signer=signer,
                    actor=OFFICERS[0],
                    procedure="certified_copy",
                    channel=Channel.IN_PERSON,
                    unit=UNIT,
                    counter=OFFICERS[0],
                    department=RECEPTION,
                    documents=("Bản chính giấy khai sinh",),
                    applicant=PERSON,
                    at=RECEIVED_AT,
                ).code
            )

    _in_threads(CLIENTS, receive)
    return Files(files)


def hand_off(actor: str, to: str, at: datetime) -> Callable[[AdministrativeFile], None]:
    def command(f: AdministrativeFile) -> None:
        f.hand_off(actor=actor, to=Desk(to, RECEPTION, UNIT), note=NOTE, at=at)

    return command


def step(ledger: Ledger, signers: dict[str, Any], files: Files, code: str) -> None:
    """One hand-off of ``code`` by its holder to the other officer, one second after the last."""
    actor = files.holder[code]
    at = files.last[code] + timedelta(seconds=1)
    ledger.execute(
        code,
        signer=signers[OFFICERS[actor]],
        actor=OFFICERS[actor],
        at=at,
        command=hand_off(OFFICERS[actor], OFFICERS[1 - actor], at),
    )
    files.holder[code], files.last[code] = 1 - actor, at


def drive(ledger: Ledger, signers: dict[str, Any], files: Files, seconds: float) -> Run:
    """A client thread per ``files.clients`` entry, each handing its own files back and forth
    for ``seconds``."""
    clients = len(files.clients)
    runs = [Run() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop = [0.0]

    def client(i: int) -> None:
        mine, run = files.clients[i], runs[i]
        k = 0
        start.wait()
        while time.perf_counter() < stop[0]:
            code = mine[k % len(mine)]
            k += 1
            t0 = time.perf_counter()
            step(ledger, signers, files, code)
            run.latencies.append(time.perf_counter() - t0)
            run.commands += 1

    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            client(i)
        except BaseException as e:
            errors.append(e)
            start.abort()

    pool = [threading.Thread(target=guarded, args=(i,)) for i in range(clients)]
    for t in pool:
        t.start()
    stop[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    total = Run(seconds=time.perf_counter() - t0)
    for r in runs:
        total.commands += r.commands
        total.latencies += r.latencies
    return total
