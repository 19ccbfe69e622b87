"""The demo's workload as real signed envelopes, for benchmarks that need many stored events.

``Workload`` plans working days with ``api.cli.demo.Simulation`` (the demo's mix of procedures,
handoffs, supplements, fees, apologies, refusals and ratings, times moving forward), runs each
planned command on the pure ``AdministrativeFile`` aggregate, and turns every collected event
into an envelope exactly as ``Ledger._append`` does: ``codec.to_payload`` + ``envelope.build``
signed by the acting officer's registered key, chained to the file's previous envelope
(SHA-256 of its bytes; ``GENESIS_HASH`` for version 1). It skips ``Ledger.execute``'s per-command
load and verification, so a million events are generated in minutes. The keys are registered
through the real ``Ledger`` (``api.cli.demo.enroll``), so ``Ledger.load`` and the audit accept
every generated event.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from api.cli.demo import UNIT, Planned, Simulation, _command, enroll
from domain.calendar import vietnam_calendar
from domain.codes import format_file_code
from domain.deadlines import SupplementPolicy
from domain.errors import DomainError
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure
from ledger.chain.personal import PersonalData, seal
from ledger.chain.sealed_text import seal_event
from ledger.chain.service import Ledger
from ledger.encoding import codec
from ledger.encoding.canonical import format_instant
from ledger.encoding.envelope import GENESIS_HASH, build
from ledger.store.events import EventStore
from signing import KeyDirectory, KeyFileSigner, PrivateKeySigner, generate_private_key

ORIGIN = "bench.hoso/ledger"
SEED = 20260302
T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # Monday 07:30 in Hanoi: keys valid from here
FIRST_DAY = date(2026, 3, 3)


class SeededKeys(KeyDirectory):
    """A key folder whose keys come from fixed seeds (one per name): runs are repeatable."""

    def create(self, name: str, seed: bytes | None = None) -> KeyFileSigner:
        return super().create(name, seed or hashlib.sha256(b"hoso-bench:" + name.encode()).digest())


def authority() -> PrivateKeySigner:
    return PrivateKeySigner(generate_private_key(bytes([1]) * 32))


def open_ledger(store: EventStore, key_dir: Path) -> tuple[Ledger, Simulation]:
    """A ledger with its registry and the demo's staff enrolled, and a fresh simulation."""
    auth = authority()
    ledger = Ledger(
        store, origin=ORIGIN, authority_key=auth.public_key, calendar=vietnam_calendar()
    )
    ledger.establish_registry(auth, actor="authority", at=T0)
    keys = SeededKeys(key_dir)
    staff = enroll(ledger, keys, auth, T0)
    return ledger, Simulation(ledger, keys, staff, seed=SEED)


def reopen_ledger(store: EventStore) -> Ledger:
    """The ledger of ``open_ledger`` on a store it already set up (another process's handle)."""
    return Ledger(
        store, origin=ORIGIN, authority_key=authority().public_key, calendar=vietnam_calendar()
    )


class Workload:
    """Stored envelopes of the demo's working days, in time order, files interleaved."""

    def __init__(self, ledger: Ledger, sim: Simulation) -> None:
        self.ledger, self.sim = ledger, sim
        self.cal = ledger.calendar
        self.rng = random.Random(SEED + 1)
        self.secret = self.rng.randbytes(32)
        self.files: dict[int, AdministrativeFile] = {}
        self.heads: dict[int, str] = {}
        self.pending: Counter[int] = Counter()
        self.daily: Counter[date] = Counter()
        self.codes: list[str] = []  # every file code issued, in order
        self.refused = 0
        self.keys: list[tuple[str, bytes, str]] = []  # applicant keys not stored yet
        self.day = FIRST_DAY
        self.next_index = 0
        push = sim._push

        def counting_push(at: datetime, actor: str, index: int, action: str, **kw: object) -> None:
            self.pending[index] += 1
            push(at, actor, index, action, **kw)

        sim._push = counting_push  # type: ignore[method-assign]

    def _receive(self, item: Planned) -> AdministrativeFile:
        kw = item.kwargs
        applicant, channel, documents = kw["applicant"], kw["channel"], kw["documents"]
        assert isinstance(applicant, PersonalData) and isinstance(channel, Channel)
        assert isinstance(documents, tuple)
        day = self.cal.local_date(item.at)
        self.daily[day] += 1
        code = format_file_code(UNIT, day, self.daily[day])
        ref = "ap-" + self.rng.randbytes(12).hex()
        # The applicant's key, stored before the batch that holds the file (``batches``):
        # the free text of the file's events is sealed with it (issue 16).
        self.keys.append((ref, self.secret, format_instant(item.at)))
        self.codes.append(code)
        return AdministrativeFile.receive(
            code=code,
            procedure=get_procedure(str(kw["procedure"])),
            channel=channel,
            unit=UNIT,
            counter=str(kw["counter"]),
            department=str(kw["department"]),
            documents=documents,
            applicant_ref=ref,
            applicant_sealed=seal(self.secret, self.rng.randbytes(12), ref, applicant),
            actor=item.actor,
            at=item.at,
            calendar=self.cal,
            supplement_policy=SupplementPolicy.EXTEND,
        )

    def _step(self, item: Planned) -> list[StoredEvent]:
        i = item.code_of
        self.pending[i] -= 1
        if item.action == "receive":
            f: AdministrativeFile | None = self._receive(item)
            self.files[i] = f  # type: ignore[assignment]
        else:
            f = self.files.get(i)
            if f is not None:
                try:
                    _command(item, self.cal)(f)
                except DomainError:
                    self.refused += 1
                    f.collect_events()
        out: list[StoredEvent] = []
        if f is not None:
            signer = self.sim.signer(item.actor)
            prev = self.heads.get(i, GENESIS_HASH)
            for event in f.collect_events():
                event = seal_event(event, f.applicant_ref, self.secret, self.rng.randbytes)
                type_name, payload = codec.to_payload(event)
                data = (
                    build(
                        origin=ORIGIN,
                        stream=f.id,
                        version=event.originator_version,
                        type_=type_name,
                        occurred_at=event.timestamp,
                        actor=item.actor,
                        key_id=signer.key_id,
                        payload=payload,
                        prev_hash=prev,
                    )
                    .sign(signer)
                    .to_bytes()
                )
                prev = hashlib.sha256(data).hexdigest()
                out.append(StoredEvent(f.id, event.originator_version, type_name, data))
            self.heads[i] = prev
        if self.pending[i] == 0:  # nothing more planned for this file: forget it
            self.files.pop(i, None)
            self.heads.pop(i, None)
            del self.pending[i]
        return out

    def events(self) -> Iterator[StoredEvent]:
        """Endless: one working day after another (planned, then executed in time order)."""
        sim = self.sim
        while True:
            self.next_index = sim.plan_day(self.day, self.next_index)
            until = self.cal.closing(self.day)
            while sim.plan and sim.plan[0].at <= until:
                yield from self._step(heapq.heappop(sim.plan))
            self.day = self.cal.next_working_day(self.day)

    def store_keys(self) -> None:
        """Store the applicant keys of the files generated so far (one transaction)."""
        if self.keys:
            self.ledger.receipts.keys.add(self.keys)
            self.keys = []

    def batches(self, n: int, size: int) -> Iterator[list[StoredEvent]]:
        """Exactly ``n`` events in lists of ``size`` (the last file may be cut short)."""
        batch: list[StoredEvent] = []
        for done, event in enumerate(self.events(), start=1):
            batch.append(event)
            if len(batch) == size or done == n:
                self.store_keys()
                yield batch
                batch = []
            if done == n:
                return
