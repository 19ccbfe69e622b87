"""One row per file: what every read model needs, derived from the file's state after an event.

``row_from_file`` is pure (the aggregate and the calendar in, a ``FileRow`` out), so the same
function serves the live projection, a full rebuild and the hand-computed tests. No personal
data: the applicant appears only as the pseudonymous reference, never by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import WorkingCalendar
from domain.file import AdministrativeFile
from domain.portal import portal_status


@dataclass(frozen=True)
class FileRow:
    code: str
    unit: str
    procedure: str
    channel: str
    state: str
    portal_status: int
    holder_officer: str
    holder_department: str
    holder_agency: str
    holder_since: datetime
    received_at: datetime
    due_at: datetime
    appointment_at: datetime
    apologies: int
    apology_reason: str | None
    supplements: int
    missing_items: tuple[str, ...]
    supplement_wait_minutes: int
    fee_due_vnd: int
    fee_paid_vnd: int
    fee_paid_online: bool
    closed_at: datetime | None
    timeliness: str | None
    processing_minutes: int | None
    rating: str | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


Minutes = Callable[[datetime, datetime], int]


def row_from_file(
    f: AdministrativeFile, calendar: WorkingCalendar, minutes: Minutes | None = None
) -> FileRow:
    """The row of a file as it stands. Processing time is office time from receipt to closing,
    less the time spent waiting for the citizen's supplements (the clock was stopped).

    ``minutes`` may stand in for ``calendar.working_minutes_between`` (a memo of it, say)."""
    between = minutes or calendar.working_minutes_between
    waited = sum(between(a, b) for a, b in f.supplement_waits)
    processing = None
    if f.closed_at is not None:
        processing = max(0, between(f.received_at, f.closed_at) - waited)
    return FileRow(
        code=f.id,
        unit=f.unit,
        procedure=f.procedure,
        channel=f.channel,
        state=f.state.value,
        portal_status=int(portal_status(f)),
        holder_officer=f.holder.officer,
        holder_department=f.holder.department,
        holder_agency=f.holder.agency,
        holder_since=f.holder_since,
        received_at=f.received_at,
        due_at=f.due_at,
        appointment_at=f.appointment_at,
        apologies=f.apologies,
        apology_reason=f.last_apology_reason,
        supplements=f.supplements_requested,
        missing_items=f.missing_items,
        supplement_wait_minutes=waited,
        fee_due_vnd=f.fee_due_vnd,
        fee_paid_vnd=f.fee_paid_vnd,
        fee_paid_online=f.fee_paid_online,
        closed_at=f.closed_at,
        timeliness=f.timeliness,
        processing_minutes=processing,
        rating=f.rating,
        version=f.version,
    )
