"""The full audit (kiểm tra toàn bộ): every stored event, in log order, re-verified.

Streams the event store in pages (bounded memory: one head per stream), checks every envelope,
signature, key and chain link with ``ChainVerifier``, and stops at the first broken event,
naming its stream (file code) and version. ``audit_report`` returns the result as data.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import TamperError
from ledger.log import MerkleLog
from ledger.log_audit import LogAuditReport, WitnessView, log_audit_report
from ledger.store import EventStore
from ledger.verify import ChainVerifier, SignatureCheck
from signing.errors import VerificationError
from signing.note import NoteVerifier
from signing.registry import REGISTRY_STREAM
from signing.verify import verify_signature

PAGE = 1000
CHUNK = 2000  # signatures per task sent to a worker process
AUTO_PARALLEL_MIN = 10_000  # with workers=None, smaller stores are audited in-process
BAD_SIGNATURE = "Ed25519 signature does not verify"

Tally = tuple[int, int, int, int]
"""Events, files, registry events and the last position passed, before some event."""
Found = tuple[int, TamperError, Tally]
"""A broken event: its position, the failure, and the tally of what passed before it."""


@dataclass(frozen=True)
class AuditReport:
    events: int
    files: int
    registry_events: int
    signatures: int
    position: int
    failure: TamperError | None
    elapsed: float = 0.0
    """Seconds the events half took (reading, checking, verifying)."""
    workers: int = 1
    """Processes that verified signatures (1: all in this process)."""

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def events_per_second(self) -> float:
        return self.events / self.elapsed if self.elapsed > 0 else 0.0


_KEYS: dict[bytes, Ed25519PublicKey] = {}


def verify_chunk(checks: list[SignatureCheck]) -> int:
    """In a worker process: the index of the first signature that does not verify, else -1.

    Anything unusual (a malformed key, a wrong-sized signature) counts as not verifying; the
    caller re-checks that one signature itself to name the exact reason.
    """
    for index, (public_key, message, signature) in enumerate(checks):
        try:
            key = _KEYS.get(public_key)
            if key is None:
                key = _KEYS[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
            key.verify(signature, message)
        except Exception:  # fail closed: every failure is a bad signature
            return index
    return -1


@dataclass
class _Tally:
    """Events passed so far in log order (what the report counts before a failure)."""

    events: int = 0
    files: int = 0
    registry_events: int = 0
    position: int = 0

    def snapshot(self) -> Tally:
        return (self.events, self.files, self.registry_events, self.position)


@dataclass
class _Chunk:
    """Signature checks sent to one worker, with what is needed to name a failure."""

    checks: list[SignatureCheck] = field(default_factory=list)
    # per check: position, stream, version, and the tally before that event
    where: list[tuple[int, str, int, Tally]] = field(default_factory=list)
    future: Future[int] | None = None


def _signature_failure(chunk: _Chunk, index: int) -> Found:
    """The failure of ``chunk.checks[index]``, named as the in-process audit names it."""
    position, stream, version, before = chunk.where[index]
    public_key, message, signature = chunk.checks[index]
    reason = BAD_SIGNATURE  # fail closed even if the re-check disagrees with the worker
    try:
        verify_signature(public_key, message, signature)
    except VerificationError as e:
        reason = str(e)
    return position, TamperError(stream, version, reason), before


def audit_report(
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK,
) -> AuditReport:
    """Verify the whole store; ``progress(done, total)`` is called as verification advances.

    ``workers``: processes verifying signatures; None means one per CPU (``os.cpu_count()``),
    except for stores under ``AUTO_PARALLEL_MIN`` events, audited in this process; 1 or less
    means in this process. The result (counts and the first broken event) does not depend on it.
    """
    total = store.max_position()
    if workers is None:
        workers = (os.cpu_count() or 1) if total >= AUTO_PARALLEL_MIN else 1
    if workers <= 1:
        return _audit_in_process(store, origin, authority_key, progress, total)
    return _audit_parallel(
        store, origin, authority_key, progress, total, workers, max(1, chunk_size)
    )


def _audit_in_process(
    store: EventStore,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> AuditReport:
    t0 = time.perf_counter()
    verifier = ChainVerifier(origin, authority_key)
    events = registry_events = 0
    position = 0
    failure: TamperError | None = None
    start = 1
    while failure is None:
        page = store.notifications(start, PAGE)
        if not page:
            break
        for item in page:
            try:
                verifier.check(item)
            except TamperError as e:
                failure = e
                break
            events += 1
            position = item.id
            if item.originator_id == REGISTRY_STREAM:
                registry_events += 1
        start = page[-1].id + 1
        if progress is not None:
            progress(position, total)
    files = sum(1 for stream in verifier.heads if stream != REGISTRY_STREAM)
    return AuditReport(
        events=events,
        files=files,
        registry_events=registry_events,
        signatures=events,
        position=position,
        failure=failure,
        elapsed=time.perf_counter() - t0,
    )


def _audit_parallel(
    store: EventStore,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None,
    total: int,
    workers: int,
    chunk_size: int,
) -> AuditReport:
    """The chain, keys and roles checked here in log order; file events' signatures verified by
    ``workers`` processes, ``chunk_size`` at a time, at most ``2 * workers`` chunks in flight.

    The failure named is the broken event with the lowest position, whichever half found it:
    a chunk's failure is final once every earlier chunk has come back.
    """
    t0 = time.perf_counter()
    verifier = ChainVerifier(origin, authority_key)
    tally = _Tally()
    inflight: deque[_Chunk] = deque()
    current = _Chunk()
    # (position, failure, tally before it): the lowest-positioned failure found so far
    found: Found | None = None
    sequential: Found | None = None

    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:

        def harvest_oldest() -> None:
            nonlocal found
            chunk = inflight.popleft()
            assert chunk.future is not None
            bad = chunk.future.result()
            if bad >= 0:
                failure = _signature_failure(chunk, bad)
                if found is None or failure[0] < found[0]:
                    found = failure
            elif progress is not None and found is None:
                progress(chunk.where[-1][0], total)

        def submit(limit: int) -> None:
            """Send the current chunk; then collect finished chunks (FIFO, so a failure found
            is the lowest of all sent so far) until at most ``limit`` are in flight."""
            nonlocal current
            if current.checks:
                current.future = pool.submit(verify_chunk, current.checks)
                inflight.append(current)
                current = _Chunk()
            while inflight and found is None:
                oldest = inflight[0].future
                if len(inflight) <= limit and oldest is not None and not oldest.done():
                    break
                harvest_oldest()

        start = 1
        while found is None and sequential is None:
            page = store.notifications(start, PAGE)
            if not page:
                break
            for item in page:
                stream = str(item.originator_id)
                before = tally.snapshot()
                try:
                    checked = verifier.check(item, verify=False)
                except TamperError as e:
                    sequential = (item.id, e, before)
                    break
                if checked.signature is not None:
                    current.checks.append(checked.signature)
                    current.where.append((item.id, stream, item.originator_version, before))
                    if len(current.checks) >= chunk_size:
                        submit(2 * workers)
                        if found is not None:
                            break
                tally.events += 1
                tally.position = item.id
                if stream == REGISTRY_STREAM:
                    tally.registry_events += 1
                elif item.originator_version == 1:  # a stream's first event opens a file
                    tally.files += 1
            start = page[-1].id + 1
        submit(0)  # every signature before the stopping point must come back before a verdict
        for chunk in inflight:  # only chunks after a signature failure remain
            assert chunk.future is not None
            chunk.future.cancel()

    candidates = [c for c in (found, sequential) if c is not None]
    elapsed = time.perf_counter() - t0
    if candidates:
        _, failure, before = min(candidates, key=lambda c: c[0])
        events, files, registry_events, position = before
    else:
        failure = None
        events, files, registry_events, position = tally.snapshot()
    if progress is not None:
        progress(position, total)
    return AuditReport(
        events=events,
        files=files,
        registry_events=registry_events,
        signatures=events,
        position=position,
        failure=failure,
        elapsed=elapsed,
        workers=workers,
    )


def audit(store: EventStore, *, origin: str, authority_key: bytes | None) -> AuditReport:
    """Raise the first ``TamperError``; return the report when everything verifies."""
    report = audit_report(store, origin=origin, authority_key=authority_key)
    if report.failure is not None:
        raise report.failure
    return report


@dataclass(frozen=True)
class FullAuditReport:
    """The events (signatures, keys, chains) and the log (coverage, checkpoints, witness)."""

    chain: AuditReport
    log: LogAuditReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.log.ok

    @property
    def failures(self) -> list[str]:
        found = []
        if self.chain.failure is not None:
            f = self.chain.failure
            found.append(f"file {f.stream} version {f.version}: {f.reason}")
        found.extend(self.log.failures)
        return found


def full_audit_report(
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes | None,
    log_verifier: NoteVerifier | None,
    witness: WitnessView | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> FullAuditReport:
    """Both halves of the audit; the log half runs even when the events half failed, so the
    report names everything it found (a deleted last event only shows in the log half)."""
    chain = audit_report(
        store, origin=origin, authority_key=authority_key, progress=progress, workers=workers
    )
    log = log_audit_report(MerkleLog(store, origin), log_verifier, witness=witness)
    return FullAuditReport(chain=chain, log=log)
