"""The commands stage's clients spread over worker processes, as ``hoso serve --workers N``
spreads a service's requests: each process opens its own ledger on the same store, with its own
group commit and caches, and runs its share of the client threads (``command_clients.drive``).

The processes are spawned (fresh interpreters), each warms up on its own files (one command per
file, outside the timed window: connections, caches and code paths), says it is ready, and
all start together on one signal and run for the same number of seconds. What each measured
comes back on a queue: commands, seconds, latencies, CPU time and its group commit's figures.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.http_servers import machine_busy_seconds
from benchmarks.scenario.command_clients import OFFICERS, Files, Run, drive, step
from ledger.chain.service import Ledger
from ledger.store.group_commit import GroupCommit, GroupStats

START_TIMEOUT = 300.0  # spawning, importing, opening the store and the warm-up of a worker
POOL_SIZE = 10  # connections per worker (its client threads and its group writer)


@dataclass(frozen=True)
class Share:
    """What one worker process is given (picklable)."""

    url: str
    key_dir: str
    clients: list[list[str]]
    seconds: float
    max_batch: int
    max_wait: float


@dataclass
class Spread:
    """The processes' runs together."""

    run: Run
    stats: GroupStats
    cpu_seconds: float  # all worker processes, timed window only
    processes: int
    per_process: list[float] = field(default_factory=list)  # commands/s of each
    machine_busy_cores: float | None = None  # the whole machine during the window


def _warm(ledger: Ledger, signers: dict[str, Any], files: Files) -> None:
    """One command on each file, in turn (outside the timed window)."""
    for mine in files.clients:
        for code in mine:
            step(ledger, signers, files, code)


def _machine_busy() -> float | None:
    """CPU-seconds the whole machine has been busy (Linux ``/proc/stat``), None elsewhere."""
    try:
        return machine_busy_seconds()
    except (OSError, ValueError):
        return None


def _worker(share: Share, start: Any, results: Any) -> None:
    from benchmarks.workload import reopen_ledger
    from ledger.store.opening import open_postgres
    from signing import KeyDirectory

    try:
        store = open_postgres(share.url, pool_size=POOL_SIZE)  # SQLite: one writer, no workers
        ledger = reopen_ledger(store)
        keys = KeyDirectory(Path(share.key_dir))
        signers = {name: keys.signer(name) for name in OFFICERS}
        files = Files(share.clients)
        _warm(ledger, signers, files)
        writer = GroupCommit(store, max_batch=share.max_batch, max_wait=share.max_wait)
        ledger.group_commit = writer
        results.put(("ready",))
        if not start.wait(START_TIMEOUT):
            raise TimeoutError("the start signal did not come")
        busy0, cpu0 = _machine_busy(), time.process_time()
        run = drive(ledger, signers, files, share.seconds)
        cpu, busy1 = time.process_time() - cpu0, _machine_busy()
        ledger.close()  # the writer (nothing left in it) and the store
        busy = busy1 - busy0 if busy0 is not None and busy1 is not None else None
        results.put(("ok", run, cpu, writer.stats, busy))
    except BaseException as e:  # the parent must hear of it, not wait for it
        results.put(("error", f"{type(e).__name__}: {e}"))


def _collect(workers: list[Any], results: Any, timeout: float) -> list[tuple[Any, ...]]:
    """One message from each worker (fewer if one fails first); raises if a worker died
    without a word or ``timeout`` passed."""
    got: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + timeout
    while len(got) < len(workers):
        try:
            message = results.get(timeout=1.0)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise RuntimeError("a commands worker process did not report in time") from None
            if any(w.exitcode not in (None, 0) for w in workers) and results.empty():
                raise RuntimeError("a commands worker process died without a word") from None
            continue
        got.append(message)
        if message[0] == "error":
            break
    return got


def split(clients: list[list[str]], processes: int) -> list[list[list[str]]]:
    """The clients in ``processes`` contiguous shares as equal as can be (none empty)."""
    n = max(1, min(processes, len(clients)))
    size, extra = divmod(len(clients), n)
    shares, at = [], 0
    for i in range(n):
        take = size + (1 if i < extra else 0)
        shares.append(clients[at : at + take])
        at += take
    return shares


def drive_in_processes(
    url: str,
    key_dir: Path,
    files: Files,
    seconds: float,
    *,
    processes: int,
    max_batch: int,
    max_wait: float,
) -> Spread:
    """Run ``files``' clients in ``processes`` worker processes for ``seconds``, together, on
    the PostgreSQL store at ``url``."""
    context = multiprocessing.get_context("spawn")
    shares = split(files.clients, processes)
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(Share(url, str(key_dir), s, seconds, max_batch, max_wait), start, results),
            name=f"hoso-bench-commands-{i}",
            daemon=True,
        )
        for i, s in enumerate(shares)
    ]
    for w in workers:
        w.start()
    answers: list[tuple[Any, ...]] = []
    try:
        ready = _collect(workers, results, START_TIMEOUT)
        answers = [a for a in ready if a[0] != "ready"]
        if not answers:  # every worker is ready: start them together
            start.set()
            answers = _collect(workers, results, START_TIMEOUT + seconds)
    finally:
        finished = start.is_set() and bool(answers) and all(a[0] == "ok" for a in answers)
        for w in workers:
            if finished:
                w.join(timeout=30)
            if w.is_alive():  # a failed start, or a worker that hangs: no waiting for it
                w.terminate()
                w.join(timeout=10)
    failed = [a[1] for a in answers if a[0] != "ok"]
    if failed:
        raise RuntimeError(f"a commands worker process failed: {failed[0]}")
    runs: list[Run] = [a[1] for a in answers]
    total = Run(seconds=max(r.seconds for r in runs))
    stats = GroupStats()
    for r, (_ok, _run, _cpu, s, _busy) in zip(runs, answers, strict=True):
        total.commands += r.commands
        total.latencies += r.latencies
        stats.groups += s.groups
        stats.submissions += s.submissions
        stats.fallbacks += s.fallbacks
        stats.largest = max(stats.largest, s.largest)
    return Spread(
        run=total,
        stats=stats,
        cpu_seconds=sum(a[2] for a in answers),
        processes=len(workers),
        per_process=[r.rate for r in runs],
        machine_busy_cores=_busy_cores(answers),
    )


def _busy_cores(answers: list[tuple[Any, ...]]) -> float | None:
    """Cores the whole machine kept busy during the timed window (each worker read the
    machine's counters around its own window; their mean), None if unknown."""
    found = [a[4] / a[1].seconds for a in answers if a[4] is not None and a[1].seconds > 0]
    return sum(found) / len(found) if found else None
