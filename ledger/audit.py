"""The full audit (kiểm tra toàn bộ): every stored event, in log order, re-verified.

Streams the event store in pages (bounded memory: one head per stream), checks every envelope,
signature, key and chain link with ``ChainVerifier``, and stops at the first broken event,
naming its stream (file code) and version. ``audit_report`` returns the result as data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import TamperError
from ledger.store import EventStore
from ledger.verify import ChainVerifier
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
