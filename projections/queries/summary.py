"""The centre's summary, rebuilt from the verified event log (used by ``hoso demo``).

Reads every stored event in log order through the verifier, so a summary is never drawn from a
tampered ledger, and folds the files into counts: by state, channel, procedure, timeliness
(judged at the processing end), and their rows for the Decision 766 score card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import WorkingCalendar
from domain.file import AdministrativeFile
from ledger.chain.verify import ChainVerifier
from ledger.store.events import EventStore
from projections.models.rows import FileRow, row_from_file
from signing.registry import REGISTRY_STREAM

PAGE = 1000


@dataclass
class CentreSummary:
    events: int = 0
    files: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_procedure: Counter[str] = field(default_factory=Counter)
    by_timeliness: Counter[str] = field(default_factory=Counter)
    by_rating: Counter[str] = field(default_factory=Counter)
    supplements: int = 0
    apologies: int = 0
    handoffs: int = 0
    overdue_open: int = 0
    fees_paid_vnd: int = 0
    rows: list[FileRow] = field(default_factory=list)  # for the Decision 766 score card


def summarise(
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes | None,
    now: datetime,
    calendar: WorkingCalendar,
) -> CentreSummary:
    verifier = ChainVerifier(origin, authority_key)
    files: dict[str, Any] = {}
    summary = CentreSummary()
    start = 1
    while page := store.notifications(start, PAGE):
        for item in page:
            checked = verifier.check(item)
            summary.events += 1
            if item.originator_id != REGISTRY_STREAM:
                stream = str(item.originator_id)
                files[stream] = checked.event.mutate(files.get(stream))
        start = page[-1].id + 1
    for f in files.values():
        assert isinstance(f, AdministrativeFile)
        summary.files += 1
        summary.by_state[f.state.value] += 1
        summary.by_channel[f.channel] += 1
        summary.by_procedure[f.procedure] += 1
        if f.timeliness:
            summary.by_timeliness[f.timeliness] += 1
        if f.rating:
            summary.by_rating[f.rating] += 1
        summary.supplements += f.supplements_requested
        summary.apologies += f.apologies
        summary.handoffs += f.handoffs
        summary.fees_paid_vnd += f.fee_paid_vnd
        if f.overdue(now):
            summary.overdue_open += 1
        summary.rows.append(row_from_file(f, calendar))
    return summary
