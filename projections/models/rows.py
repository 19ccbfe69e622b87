"""One row per file: what every read model needs, derived from the file's state after an event.

``row_from_file`` is pure (the aggregate and the calendar in, a ``FileRow`` out), so the same
function serves the live projection, a full rebuild and the hand-computed tests. No personal
data: the applicant appears only as the pseudonymous reference, never by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    processing_ended_at: datetime | None = None
    late_by_supplement: bool = False
    signed_at: datetime | None = None
    result_sha256: str | None = None  # the signed result document's SHA-256 (its QR code)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


Minutes = Callable[[datetime, datetime], int]


def row_from_file(
    f: AdministrativeFile, calendar: WorkingCalendar, minutes: Minutes | None = None
) -> FileRow:
    """The row of a file as it stands. Processing time is office time from receipt to the
    processing end (``events.end_processing``: the result signed, or refused, stopped or
    withdrawn), less the time spent waiting for the citizen's supplements (the clock was
    stopped); ``timeliness`` is the verdict judged at the processing end.

    ``minutes`` may stand in for ``calendar.working_minutes_between`` (a memo of it, say)."""
    return FileRow(*row_values(f, calendar, minutes))


def row_values(
    f: AdministrativeFile, calendar: WorkingCalendar, minutes: Minutes | None = None
) -> tuple[Any, ...]:
    """``row_from_file``'s values as a plain tuple in ``FileRow`` field order (a rebuild writes
    them without building the dataclass)."""
    between = minutes or calendar.working_minutes_between
    waited = sum(between(a, b) for a, b in f.supplement_waits)
    processing = None
    if f.processing_ended_at is not None:
        processing = max(0, between(f.received_at, f.processing_ended_at) - waited)
    holder = f.holder
    return (
        f.id,
        f.unit,
        f.procedure,
        f.channel,
        f.state.value,
        int(portal_status(f)),
        holder.officer,
        holder.department,
        holder.agency,
        f.holder_since,
        f.received_at,
        f.due_at,
        f.appointment_at,
        f.apologies,
        f.last_apology_reason,
        f.supplements_requested,
        f.missing_items,
        waited,
        f.fee_due_vnd,
        f.fee_paid_vnd,
        f.fee_paid_online,
        f.closed_at,
        f.timeliness,
        processing,
        f.rating,
        f.version,
        f.processing_ended_at,
        f.late_by_supplement,
        f.signed_at,
        f.result_sha256,
    )
