"""The working-day calendar (lịch làm việc) of a one-stop public service centre.

Statutory processing times count working days and office hours only: weekends, public
holidays (Tết!) and locally decided days off do not count, and some Saturdays are declared
working days to make up for a bridged holiday (ngày làm bù).

Pure: every instant is passed in. Public functions accept aware datetimes only and return
aware UTC datetimes; office hours are read in the calendar's local zone (Vietnam: UTC+7,
no daylight saving). Arithmetic walks day by day, never minute by minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

import holidays

from domain.errors import CalendarNotPublished, InvalidValue
from domain.working_year import YearDays

__all__ = [
    "VN_TZ",
    "OfficeHours",
    "WorkingCalendar",
    "in_force",
    "require_aware",
    "vietnam_calendar",
]

VN_TZ: timezone = timezone(timedelta(hours=7), "ICT")
"""Indochina Time, UTC+7. Vietnam has no daylight saving time."""

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` if it is timezone-aware; raise ``InvalidValue`` for naive datetimes."""
    if not isinstance(value, datetime):
        raise InvalidValue(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _minute_of_day(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class OfficeHours:
    """The daily office periods (giờ làm việc), local wall-clock times, in order.

    The default is the common schedule of state offices: 7:30-11:30 and 13:00-17:00.
    """

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise InvalidValue("office hours need at least one period")
        previous_end: time | None = None
        for period in self.periods:
            if len(period) != 2:
                raise InvalidValue(f"an office period is (start, end), got {period!r}")
            start, end = period
            for t in (start, end):
                if not isinstance(t, time) or t.tzinfo is not None:
                    raise InvalidValue(f"office hours are naive local times, got {t!r}")
                if t.second or t.microsecond:
                    raise InvalidValue(f"office hours are whole minutes, got {t.isoformat()}")
            if start >= end:
                raise InvalidValue(f"office period must start before it ends: {start}-{end}")
            if previous_end is not None and start < previous_end:
                raise InvalidValue("office periods must be sorted and must not overlap")
            previous_end = end

    @property
    def minutes_per_day(self) -> int:
        """Office minutes in one working day (480 for the default schedule)."""
        return sum(_minute_of_day(end) - _minute_of_day(start) for start, end in self.periods)

    @property
    def first_start(self) -> time:
        return self.periods[0][0]

    @property
    def last_end(self) -> time:
        return self.periods[-1][1]


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and office-time arithmetic over them.

    A day is a working day when it is a makeup working day, or a Monday-to-Friday that is
    neither a public holiday nor an extra day off. Days off win: a date listed both as a
    holiday (or extra day off) and as a makeup working day is a day off.

    ``published``: the years the province has published (``in_force``); a day of any other
    year raises ``CalendarNotPublished``, so no deadline is computed from days nobody decided.
    None: every year counts (the days given, Mon-Fri otherwise): a read of figures, which must
    never stop (``lenient``), or a calendar built by hand.
    """

    holidays: frozenset[date]
    makeup_working_days: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    same_day_cutoff: time = time(15, 0)
    tz: tzinfo = VN_TZ
    published: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.same_day_cutoff.tzinfo is not None:
            raise InvalidValue("the same-day cutoff is a naive local time")
        if not (self.office_hours.first_start < self.same_day_cutoff <= self.office_hours.last_end):
            raise InvalidValue(
                f"the same-day cutoff {self.same_day_cutoff} must fall within office hours "
                f"{self.office_hours.first_start}-{self.office_hours.last_end}"
            )

    # -- days -----------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Mon-Fri that is not a holiday or extra day off, or a declared makeup working day."""
        if self.published is not None and d.year not in self.published:
            raise CalendarNotPublished(d.year)
        if d in self.holidays or d in self.extra_days_off:
            return False
        return d in self.makeup_working_days or d.weekday() < 5

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d`` (``d`` itself for ``n == 0``)."""
        if n < 0:
            raise InvalidValue(f"number of working days must be >= 0, got {n}")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    # -- published years -----------------------------------------------------------------

    def with_year(self, days: YearDays) -> WorkingCalendar:
        """This calendar with ``days`` in force for its year (replacing what it had of it)."""
        y = days.year

        def keep(dates: frozenset[date]) -> frozenset[date]:
            return frozenset(d for d in dates if d.year != y)

        return replace(
            self,
            holidays=keep(self.holidays) | days.holidays,
            makeup_working_days=keep(self.makeup_working_days) | days.makeup_working_days,
            extra_days_off=keep(self.extra_days_off) | days.extra_days_off,
            published=None if self.published is None else self.published | {y},
        )

    def lenient(self) -> WorkingCalendar:
        """The same days, with a year nobody published counted Monday to Friday (for reads)."""
        return self if self.published is None else replace(self, published=None)

    def require_published(self, at: datetime) -> None:
        """Raise ``CalendarNotPublished`` unless the local year of ``at`` is published."""
        year = self.local_date(at).year
        if self.published is not None and year not in self.published:
            raise CalendarNotPublished(year)

    # -- instants -------------------------------------------------------------------------

    def local_date(self, at: datetime) -> date:
        """The calendar date of ``at`` in the calendar's zone."""
        return require_aware(at).astimezone(self.tz).date()

    def _instant(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    def _periods_on(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        """Office periods of ``d`` as UTC instants; nothing if ``d`` is not a working day."""
        if not self.is_working_day(d):
            return
        for start, end in self.office_hours.periods:
            yield self._instant(d, start), self._instant(d, end)

    def opening(self, d: date) -> datetime:
        """Start of the first office period on ``d`` (aware UTC)."""
        return self._instant(d, self.office_hours.first_start)

    def closing(self, d: date) -> datetime:
        """End of the last office period on ``d`` (aware UTC)."""
        return self._instant(d, self.office_hours.last_end)

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole office-time minutes in ``[start, end)``; 0 if ``end <= start``."""
        require_aware(start, "start")
        require_aware(end, "end")
        if end <= start:
            return 0
        total = timedelta(0)
        d = self.local_date(start)
        last = self.local_date(end)
        while d <= last:
            for p_start, p_end in self._periods_on(d):
                lo, hi = max(p_start, start), min(p_end, end)
                if hi > lo:
                    total += hi - lo
            d += _ONE_DAY
        return total // _ONE_MINUTE

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant at which ``minutes`` office minutes after ``start`` have elapsed.

        Time outside office hours is skipped. When the count runs out exactly at the end of
        a period, that end (e.g. the 17:00 closing) is returned, not the next opening.
        ``minutes == 0`` returns ``start`` itself.
        """
        require_aware(start, "start")
        if minutes < 0:
            raise InvalidValue(f"minutes must be >= 0, got {minutes}")
        start = start.astimezone(UTC)
        if minutes == 0:
            return start
        remaining = timedelta(minutes=minutes)
        d = self.local_date(start)
        while True:
            for p_start, p_end in self._periods_on(d):
                lo = max(p_start, start)
                if p_end <= lo:
                    continue
                available = p_end - lo
                if remaining <= available:
                    return lo + remaining
                remaining -= available
            d += _ONE_DAY

    def effective_start(self, at: datetime) -> datetime:
        """When the clock starts for something arriving at ``at``.

        ``at`` itself if it falls inside an office period of a working day; otherwise the
        next office-period start (after the lunch break the same day, or the opening of the
        next working day). Periods are half-open: arriving at 17:00 sharp counts from the
        next working day's opening.
        """
        require_aware(at, "at")
        at = at.astimezone(UTC)
        d = self.local_date(at)
        for p_start, p_end in self._periods_on(d):
            if at < p_start:
                return p_start
            if at < p_end:
                return at
        return self.opening(self.next_working_day(d))


def vietnam_calendar(
    years: Iterable[int] = range(2020, 2036),
    *,
    makeup_working_days: Iterable[date] = (),
    extra_days_off: Iterable[date] = (),
    office_hours: OfficeHours = OfficeHours(),
    same_day_cutoff: time = time(15, 0),
) -> WorkingCalendar:
    """Vietnam's working calendar for ``years``.

    Public holidays (with substituted days off) come from the ``holidays`` package; so do
    the weekend days declared working days (``weekend_workdays``, kept for ``years`` only).
    The caller adds local makeup working days and extra days off.
    """
    wanted = sorted(set(years))
    if not wanted:
        raise InvalidValue("the calendar needs at least one year")
    public = holidays.country_holidays("VN", years=wanted)
    holiday_dates: frozenset[date] = frozenset(public.keys())
    weekend_workdays: Iterable[date] = getattr(public, "weekend_workdays", ())
    library_makeup = {d for d in weekend_workdays if d.year in wanted}
    return WorkingCalendar(
        holidays=holiday_dates,
        makeup_working_days=frozenset(library_makeup) | frozenset(makeup_working_days),
        extra_days_off=frozenset(extra_days_off),
        office_hours=office_hours,
        same_day_cutoff=same_day_cutoff,
    )


def in_force(base: WorkingCalendar, years: Mapping[int, YearDays]) -> WorkingCalendar:
    """The calendar in force: ``base``'s office hours, cut-off and zone with the published
    ``years`` and nothing else (``published`` set: a day of another year is refused). With no
    year published (a ledger from before calendars were published), ``base`` itself."""
    if not years:
        return base
    cal = replace(
        base,
        holidays=frozenset(),
        makeup_working_days=frozenset(),
        extra_days_off=frozenset(),
        published=frozenset(),
    )
    for days in years.values():
        cal = cal.with_year(days)
    return cal
