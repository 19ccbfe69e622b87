"""Work queues (hồ sơ đang xử lý): the open files a unit, department or officer holds now.

Pure over ``FileRow``s. For each file: its appointment, the office time left until it (negative
once past: the office time since), whether it is overdue and whether it falls due within one
working day. Files waiting for the citizen's supplement are listed apart: their clock is stopped,
so they have no time left and are never overdue. Both lists are sorted by appointment, then code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import WorkingCalendar, require_aware
from domain.deadlines import is_overdue
from domain.events import FileState
from projections.models.rows import FileRow

__all__ = ["Queue", "QueueEntry", "format_working_time", "queue"]


@dataclass(frozen=True)
class QueueEntry:
    code: str
    procedure: str
    state: str
    holder_officer: str
    holder_department: str
    holder_agency: str
    since: datetime
    appointment: datetime
    minutes_left: int | None
    """Office minutes from now to the appointment; negative when overdue; None when waiting."""
    overdue: bool
    due_within_a_day: bool

    @property
    def holder(self) -> str:
        who = self.holder_officer or "(inbox)"
        return f"{who} / {self.holder_department} / {self.holder_agency}"

    def time_left(self, minutes_per_day: int = 480) -> str:
        """The time left in words, readable without colour: ``"3 h 30 min"`` (office time to
        the appointment), ``"overdue 2 d 5 h"`` (office time since it), ``"overdue"`` (passed,
        but no office time since: after hours, a day off), ``"clock stopped"`` (waiting for
        the citizen's papers)."""
        if self.minutes_left is None:
            return "clock stopped"
        if not self.overdue:
            return format_working_time(self.minutes_left, minutes_per_day)
        late = abs(self.minutes_left)
        return f"overdue {format_working_time(late, minutes_per_day)}" if late else "overdue"


@dataclass(frozen=True)
class Queue:
    now: datetime
    entries: tuple[QueueEntry, ...]
    """Files being worked on, the most pressing appointment first."""
    awaiting_supplement: tuple[QueueEntry, ...]
    """Files whose clock is stopped until the citizen brings the missing papers."""

    @property
    def overdue(self) -> int:
        return sum(e.overdue for e in self.entries)

    @property
    def due_within_a_day(self) -> int:
        return sum(e.due_within_a_day for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries) + len(self.awaiting_supplement)


def _holds(row: FileRow, unit: str | None, department: str | None, officer: str | None) -> bool:
    return (
        (unit is None or unit in (row.unit, row.holder_agency))
        and (department is None or row.holder_department == department)
        and (officer is None or row.holder_officer == officer)
    )


def queue(
    rows: Iterable[FileRow],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
    department: str | None = None,
    officer: str | None = None,
) -> Queue:
    """The open files held now by ``unit`` (received by it or held by it as the agency),
    ``department`` and ``officer``; the filters given all apply.

    Due within one working day: not overdue and the appointment is no later than
    ``calendar.add_working_minutes(now, minutes per working day)``, so a Friday afternoon
    file due Monday morning is flagged, and Tết or a holiday bridge does not count.
    """
    require_aware(now, "now")
    horizon = calendar.add_working_minutes(now, calendar.office_hours.minutes_per_day)
    working: list[QueueEntry] = []
    waiting: list[QueueEntry] = []
    for row in rows:
        if not row.is_open or not _holds(row, unit, department, officer):
            continue
        stopped = row.state == FileState.AWAITING_SUPPLEMENT
        late = not stopped and is_overdue(now, row.appointment_at)
        left: int | None = None
        if not stopped:
            if late:
                left = -calendar.working_minutes_between(row.appointment_at, now)
            else:
                left = calendar.working_minutes_between(now, row.appointment_at)
        entry = QueueEntry(
            code=row.code,
            procedure=row.procedure,
            state=row.state,
            holder_officer=row.holder_officer,
            holder_department=row.holder_department,
            holder_agency=row.holder_agency,
            since=row.holder_since,
            appointment=row.appointment_at,
            minutes_left=left,
            overdue=late,
            due_within_a_day=not stopped and not late and row.appointment_at <= horizon,
        )
        (waiting if stopped else working).append(entry)

    def order(e: QueueEntry) -> tuple[datetime, str]:
        return (e.appointment, e.code)

    return Queue(
        now=now,
        entries=tuple(sorted(working, key=order)),
        awaiting_supplement=tuple(sorted(waiting, key=order)),
    )


def format_working_time(minutes: int | None, minutes_per_day: int = 480) -> str:
    """Office time as ``"2 d 3 h"``, ``"3 h 15 min"``, ``"-1 d 2 h"`` (overdue) or ``"—"``.

    Days are working days of ``minutes_per_day`` office minutes; minutes show only when the
    time is under a day.
    """
    if minutes is None:
        return "—"
    if minutes_per_day <= 0:
        raise ValueError("a working day has a positive number of minutes")
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), minutes_per_day)
    hours, mins = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:
        parts.append(f"{mins} min")
    return sign + (" ".join(parts) if parts else "0 min")
