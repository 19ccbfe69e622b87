"""Statutory processing times and deadlines (thời hạn giải quyết).

A procedure's statutory time is counted in working days or working hours from the moment
the complete file is received (kể từ ngày nhận đủ hồ sơ), or the file is resolved the same
day. The clock does not run while the citizen supplements papers (bổ sung hồ sơ): some
provinces extend the deadline by the waiting time, others restart it.

Pure: every instant is passed in; results are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from fractions import Fraction

from domain.calendar import VN_TZ, WorkingCalendar, require_aware
from domain.errors import InvalidValue

__all__ = [
    "StatutoryTime",
    "SupplementPolicy",
    "TimeUnit",
    "Timeliness",
    "classify",
    "compute_due",
    "due_after_supplement",
    "is_overdue",
    "judge",
    "working_days_elapsed",
]


class TimeUnit(StrEnum):
    """How a statutory time is counted."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY = "same_day"


@dataclass(frozen=True)
class StatutoryTime:
    """A statutory processing time: ``5 working days``, ``4 working hours`` or ``same day``."""

    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        if not isinstance(self.unit, TimeUnit):
            raise InvalidValue(f"unknown time unit {self.unit!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidValue(f"a statutory time amount is an integer, got {self.amount!r}")
        if self.unit is TimeUnit.SAME_DAY:
            if self.amount != 0:
                raise InvalidValue(f"a same-day time has amount 0, got {self.amount}")
        elif self.amount < 1:
            raise InvalidValue(f"a statutory time in {self.unit} must be >= 1, got {self.amount}")

    def describe_vi(self) -> str:
        """Vietnamese wording, as printed on the receipt: ``5 ngày làm việc``."""
        if self.unit is TimeUnit.SAME_DAY:
            return "trong ngày"
        noun = "ngày làm việc" if self.unit is TimeUnit.WORKING_DAYS else "giờ làm việc"
        return f"{self.amount} {noun}"

    def describe_en(self) -> str:
        """English wording: ``5 working days``, ``1 working hour``, ``same day``."""
        if self.unit is TimeUnit.SAME_DAY:
            return "same day"
        noun = "working day" if self.unit is TimeUnit.WORKING_DAYS else "working hour"
        return f"{self.amount} {noun}{'' if self.amount == 1 else 's'}"


class SupplementPolicy(StrEnum):
    """What a supplement request does to the deadline."""

    EXTEND = "extend"  # the deadline moves by the office time spent waiting for the citizen
    RESTART = "restart"  # the statutory time counts again from the supply of the papers


class Timeliness(StrEnum):
    """Early / on time / late, as on the process control slip (trước hạn / đúng hạn / quá hạn)."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def compute_due(cal: WorkingCalendar, received_at: datetime, t: StatutoryTime) -> datetime:
    """The deadline of a file received (complete) at ``received_at``.

    The clock starts at ``cal.effective_start(received_at)``: a file received at night, on a
    weekend or a holiday starts at the next office opening.

    - same day: closing of the effective start's day if it is before the same-day cutoff
      (15:00), else closing of the next working day;
    - ``n`` working days: closing of the ``n``-th working day after the effective start's day
      (the receipt day itself is not counted);
    - ``n`` working hours: ``n * 60`` office minutes after the effective start.
    """
    require_aware(received_at, "received_at")
    start = cal.effective_start(received_at)
    start_day = cal.local_date(start)
    if t.unit is TimeUnit.SAME_DAY:
        if start.astimezone(cal.tz).time() < cal.same_day_cutoff:
            return cal.closing(start_day)
        return cal.closing(cal.next_working_day(start_day))
    if t.unit is TimeUnit.WORKING_DAYS:
        return cal.closing(cal.add_working_days(start_day, t.amount))
    return cal.add_working_minutes(start, 60 * t.amount)


def _round_up_to_closing(cal: WorkingCalendar, at: datetime) -> datetime:
    """Closing of the working day ``at`` falls in; an instant after closing rolls forward."""
    day = cal.local_date(at)
    if cal.is_working_day(day) and at <= cal.closing(day):
        return cal.closing(day)
    return cal.closing(cal.next_working_day(day))


def due_after_supplement(
    cal: WorkingCalendar,
    *,
    due_at: datetime,
    requested_at: datetime,
    supplied_at: datetime,
    statutory: StatutoryTime,
    policy: SupplementPolicy,
) -> datetime:
    """The deadline after the citizen supplied the papers requested at ``requested_at``.

    EXTEND: the office time between the request and the supply is added to ``due_at``; for
    working-day and same-day procedures the result is rounded up to that working day's
    closing. RESTART: the statutory time counts again from ``supplied_at``.
    """
    require_aware(due_at, "due_at")
    require_aware(requested_at, "requested_at")
    require_aware(supplied_at, "supplied_at")
    if supplied_at < requested_at:
        raise InvalidValue(
            f"papers supplied at {supplied_at.isoformat()} before they were requested "
            f"at {requested_at.isoformat()}"
        )
    if policy is SupplementPolicy.RESTART:
        return compute_due(cal, supplied_at, statutory)
    if policy is not SupplementPolicy.EXTEND:
        raise InvalidValue(f"unknown supplement policy {policy!r}")
    waited = cal.working_minutes_between(requested_at, supplied_at)
    extended = cal.add_working_minutes(due_at, waited)
    if statutory.unit is TimeUnit.WORKING_HOURS:
        return extended
    return _round_up_to_closing(cal, extended)


def classify(cal: WorkingCalendar, done_at: datetime, due_at: datetime) -> Timeliness:
    """EARLY if done on an earlier local day than the deadline; ON_TIME if by it; else LATE."""
    return judge(done_at, due_at, tz=cal.tz)


def judge(
    done_at: datetime, due_at: datetime, *, late_by_supplement: bool = False, tz: tzinfo = VN_TZ
) -> Timeliness:
    """A file's verdict at its processing end (thời điểm kết thúc xử lý), as the National Public
    Service Portal judges it (Decision 766/QĐ-TTg, indicator 2.1): EARLY if it ended on an
    earlier local day than its deadline, ON_TIME if at or before the deadline (equal is on
    time), else LATE. A second supplement request, or one made after the deadline, makes the
    file LATE whatever follows (``late_by_supplement``). ``due_at`` is the statutory deadline
    as moved by the supplement waits; an apology's new appointment does not excuse lateness."""
    require_aware(done_at, "done_at")
    require_aware(due_at, "due_at")
    if late_by_supplement or done_at > due_at:
        return Timeliness.LATE
    if done_at.astimezone(tz).date() < due_at.astimezone(tz).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def is_overdue(now: datetime, appointment_at: datetime) -> bool:
    """True once ``now`` is past the appointment for returning the result."""
    require_aware(now, "now")
    require_aware(appointment_at, "appointment_at")
    return now > appointment_at


def working_days_elapsed(cal: WorkingCalendar, start: datetime, end: datetime) -> Fraction:
    """Office time between ``start`` and ``end`` in working days, exactly (no floats)."""
    minutes = cal.working_minutes_between(start, end)
    return Fraction(minutes, cal.office_hours.minutes_per_day)
