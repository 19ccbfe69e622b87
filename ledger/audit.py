"""The full audit (kiểm tra toàn bộ): every stored event, in log order, re-verified.

Streams the event store in pages (bounded memory: one head per stream), checks every envelope,
signature, key and chain link with ``ChainVerifier``, and stops at the first broken event,
naming its stream (file code) and version. ``audit_report`` returns the result as data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import TamperError
from ledger.log import MerkleLog
from ledger.log_audit import LogAuditReport, WitnessView, log_audit_report
from ledger.store import EventStore
from ledger.verify import ChainVerifier
from signing.note import NoteVerifier
from signing.registry import REGISTRY_STREAM

PAGE = 1000


@dataclass(frozen=True)
class AuditReport:
    events: int
    files: int
    registry_events: int
    signatures: int
    position: int
    failure: TamperError | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def audit_report(
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes | None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Verify the whole store; ``progress(done, total)`` is called after every page."""
    verifier = ChainVerifier(origin, authority_key)
    total = store.max_position()
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
) -> FullAuditReport:
    """Both halves of the audit; the log half runs even when the events half failed, so the
    report names everything it found (a deleted last event only shows in the log half)."""
    chain = audit_report(store, origin=origin, authority_key=authority_key, progress=progress)
    log = log_audit_report(MerkleLog(store, origin), log_verifier, witness=witness)
    return FullAuditReport(chain=chain, log=log)
