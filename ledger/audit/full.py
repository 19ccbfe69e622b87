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
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context
from typing import cast

from eventsourcing.persistence import StoredEvent

from ledger.audit.log_checks import (
    LogAuditReport,
    WitnessView,
    log_audit_report,
    require_events,
)
from ledger.audit.map_checks import map_failures
from ledger.audit.rules import RuleSettings, RulesReport, rules_report
from ledger.audit.worker import (
    RULES,
    Fact,
    Raw,
    audit_range,
    init_worker,
    registry_public_keys,
)
from ledger.chain.verify import ChainVerifier
from ledger.encoding.envelope import GENESIS_HASH
from ledger.errors import TamperError
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from ledger.store.rows import store_url
from signing.note import NoteVerifier
from signing.registry import REGISTRY_STREAM, KeyRegistry

PAGE = 1000
CHUNK = 2000  # log positions per range read and checked by a worker process
AUTO_PARALLEL_MIN = 10_000  # with workers=None, smaller stores are audited in-process
_GENESIS = (0, GENESIS_HASH)


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


@dataclass
class _Tally:
    """Events passed so far in log order (what the report counts before a failure)."""

    events: int = 0
    files: int = 0
    registry_events: int = 0
    position: int = 0

    def passed(self, position: int, stream: str, version: int) -> None:
        self.events += 1
        self.position = position
        if stream == REGISTRY_STREAM:
            self.registry_events += 1
        elif version == 1:  # a stream's first event opens a file
            self.files += 1


def audit_report(
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK,
    url: str | None = None,
    max_delay: timedelta | None = None,
) -> AuditReport:
    """Verify the whole store; ``progress(done, total)`` is called as verification advances.

    ``workers``: processes reading and checking the events; None means one per CPU
    (``os.cpu_count()``), except for stores under ``AUTO_PARALLEL_MIN`` events, audited in this
    process; 1 or less means in this process. ``url`` reopens the store in the workers (derived
    from the store when None; a store that cannot be reopened is audited in this process).
    The result (counts and the first broken event) does not depend on any of these.
    ``max_delay``: how far an event's ``occurred_at`` may trail the server's ``recorded_at``.
    """
    total = store.max_position()
    if workers is None:
        workers = (os.cpu_count() or 1) if total >= AUTO_PARALLEL_MIN else 1
    url = url or store_url(store)
    if workers <= 1 or url is None:
        return _audit_in_process(store, origin, authority_key, progress, total, max_delay)
    return _audit_parallel(
        store, origin, authority_key, progress, total, workers, max(1, chunk_size), url, max_delay
    )


def _audit_in_process(
    store: EventStore,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None,
    total: int,
    max_delay: timedelta | None = None,
) -> AuditReport:
    t0 = time.perf_counter()
    verifier = ChainVerifier(origin, authority_key, log_order=True, max_delay=max_delay)
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


def _allowed(registry: KeyRegistry, actor: str, at: datetime, unit: str, rule: int) -> bool:
    """``check_file_permission(...) is None``, for a file event of rule ``RULES[rule]``."""
    roles, own_unit = RULES[rule]
    for kid in registry.by_holder.get(actor, ()):
        record = registry.keys[kid]
        if record.role in roles and record.valid_at(at) and (not own_unit or record.unit == unit):
            return True
    return False


def _reread(store: EventStore, position: int, stream: str, version: int) -> StoredEvent:
    """The row at ``position`` again, for ``ChainVerifier.check`` to name what is wrong."""
    page = store.notifications(position, 1)
    if not page or page[0].id != position:
        raise TamperError(stream, version, f"log position {position} vanished during the audit")
    return page[0]


def _audit_parallel(
    store: EventStore,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None,
    total: int,
    workers: int,
    span: int,
    url: str,
    max_delay: timedelta | None = None,
) -> AuditReport:
    """Workers read and check ranges of ``span`` positions (``ledger.audit.worker``), at most
    ``2 * workers`` ranges in flight; here, in log order, each fact's chain link, key and role
    are checked against the stream heads and the registry of a ``ChainVerifier``, and every row
    a worker was not sure of goes through ``ChainVerifier.check`` itself: the first failure
    named is the reference's, found at the same event."""
    t0 = time.perf_counter()
    verifier = ChainVerifier(origin, authority_key, log_order=True, max_delay=max_delay)
    heads = verifier.heads
    public_keys = registry_public_keys(store)
    tally = _Tally()
    failure: TamperError | None = None
    inflight: deque[Future[list[Fact | Raw]]] = deque()
    next_start = 1
    context = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(url, origin, public_keys, max_delay),
    ) as pool:
        while failure is None:
            while len(inflight) < 2 * workers and next_start <= total:
                inflight.append(pool.submit(audit_range, next_start, next_start + span))
                next_start += span
            if not inflight:
                total = max(total, store.max_position())  # events appended meanwhile
                if next_start > total:
                    break
                continue
            for row in inflight.popleft().result():
                if len(row) == 10:
                    pos, stream, version, prev, chain_hash, actor, kid, when, unit, rule = cast(
                        Fact, row
                    )
                    at = datetime.fromisoformat(when)  # recorded_at, checked in the worker
                    if verifier.floor is not None and verifier.floor > at:
                        at = verifier.floor  # judged no earlier than what was logged before
                    last_version, last_hash = heads.get(stream, _GENESIS)
                    registry = verifier.registry
                    if (
                        version == last_version + 1
                        and prev == last_hash
                        and registry is not None
                        and (record := registry.keys.get(kid)) is not None
                        and record.holder == actor
                        and record.valid_at(at)
                        and record.public_key == public_keys.get(kid)
                        and _allowed(registry, actor, at, unit, rule)
                    ):
                        heads[stream] = (version, chain_hash)
                        verifier.floor = at
                        tally.passed(pos, stream, version)
                        continue
                    stored = None
                else:
                    pos, stream, version, topic, state = cast(Raw, row)
                    stored = StoredEvent(stream, version, topic, state)
                try:
                    verifier.check(stored or _reread(store, pos, stream, version))
                except TamperError as e:
                    failure = e
                    break
                tally.passed(pos, stream, version)
            if progress is not None and failure is None:
                progress(tally.position, total)
        for future in inflight:
            future.cancel()
    return AuditReport(
        events=tally.events,
        files=tally.files,
        registry_events=tally.registry_events,
        signatures=tally.events,
        position=tally.position,
        failure=failure,
        elapsed=time.perf_counter() - t0,
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
    rules: RulesReport | None = None
    """Every file replayed through the domain (None: not asked for)."""

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.log.ok and (self.rules is None or self.rules.ok)

    @property
    def failures(self) -> list[str]:
        found = []
        if self.chain.failure is not None:
            f = self.chain.failure
            found.append(f"file {f.stream} version {f.version}: {f.reason}")
        if self.rules is not None and self.rules.failure is not None:
            found.append(str(self.rules.failure))
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
    max_delay: timedelta | None = None,
    rules: RuleSettings | None = None,
) -> FullAuditReport:
    """Both halves of the audit; the log half runs even when the events half failed, so the
    report names everything it found (a deleted last event only shows in the log half).
    With ``rules``, every file is also replayed through the domain (``ledger.audit.rules``), over
    the events the first half verified."""
    chain = audit_report(
        store,
        origin=origin,
        authority_key=authority_key,
        progress=progress,
        workers=workers,
        max_delay=max_delay,
    )
    merkle_log = MerkleLog(store, origin)
    log = log_audit_report(merkle_log, log_verifier, witness=witness)
    if log.ok:
        log.failures.extend(map_failures(merkle_log, log_verifier))
    if chain.ok:
        require_events(chain.events, log)
    replayed = None
    if rules is not None:
        replayed = rules_report(store, rules, stop=chain.position)
    return FullAuditReport(chain=chain, log=log, rules=replayed)
