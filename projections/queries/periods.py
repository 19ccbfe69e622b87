"""Reporting periods (kỳ báo cáo): a day, a month, a quarter or a year, in Vietnam local time.

A ``Period`` is a half-open range of local dates ``[start, end)``; an instant belongs to it when
its date in Vietnam time (UTC+7, ``VN_TZ``) does. ``parse_period`` reads the labels people type:
``2026-07-15``, ``2026-07``, ``2026-Q3``, ``2026``; anything else is a ``PeriodError``.

Pure: no clock; every instant is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from domain.calendar import VN_TZ
from projections.errors import PeriodError

__all__ = [
    "Period",
    "PeriodKind",
    "parse_period",
    "period_containing",
    "periods_between",
]

MIN_YEAR = 1000
MAX_YEAR = 9998  # the exclusive end of a period in 9999 would not be a valid date

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9])")
_YEAR = re.compile(r"([0-9]{4})")


class PeriodKind(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return year


def _month_start(year: int, month: int) -> date:
    """The first day of ``month`` of ``year``; months past 12 roll into the following years."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """Local dates ``start`` (inclusive) to ``end`` (exclusive) of one day, month, quarter or year.

    Build one with ``Period.day``, ``Period.month``, ``Period.quarter``, ``Period.year`` or
    ``parse_period``; the constructor checks that the range matches the kind.
    """

    start: date
    end: date
    kind: PeriodKind

    def __post_init__(self) -> None:
        if not isinstance(self.kind, PeriodKind):
            raise PeriodError(f"unknown period kind {self.kind!r}")
        expected = _end_of(self.kind, self.start)
        if self.end != expected or not _starts_a(self.kind, self.start):
            raise PeriodError(
                f"{self.start.isoformat()}..{self.end.isoformat()} is not a {self.kind.value}"
            )

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def day(cls, d: date) -> Period:
        _check_year(d.year)
        return cls(d, d + timedelta(days=1), PeriodKind.DAY)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        _check_year(year)
        if not 1 <= month <= 12:
            raise PeriodError(f"month {month} is outside 1..12")
        start = date(year, month, 1)
        return cls(start, _month_start(year, month + 1), PeriodKind.MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        _check_year(year)
        if not 1 <= quarter <= 4:
            raise PeriodError(f"quarter {quarter} is outside 1..4")
        first = 3 * quarter - 2
        return cls(date(year, first, 1), _month_start(year, first + 3), PeriodKind.QUARTER)

    @classmethod
    def year(cls, year: int) -> Period:
        _check_year(year)
        return cls(date(year, 1, 1), date(year + 1, 1, 1), PeriodKind.YEAR)

    # -- views ----------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The label ``parse_period`` reads back: ``2026-07-15``, ``2026-07``, ``2026-Q3``..."""
        s = self.start
        if self.kind is PeriodKind.DAY:
            return s.isoformat()
        if self.kind is PeriodKind.MONTH:
            return f"{s.year:04d}-{s.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
        return f"{s.year:04d}"

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def start_at(self) -> datetime:
        """Local midnight opening the period, as an aware UTC instant."""
        return datetime.combine(self.start, time(0), tzinfo=VN_TZ).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        """Local midnight closing the period (exclusive), as an aware UTC instant."""
        return datetime.combine(self.end, time(0), tzinfo=VN_TZ).astimezone(UTC)

    def contains(self, at: datetime) -> bool:
        """True when ``at``'s date in Vietnam local time falls in ``[start, end)``."""
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise PeriodError(f"an instant must be an aware datetime, got {at!r}")
        return self.start <= at.astimezone(VN_TZ).date() < self.end

    def includes(self, d: date) -> bool:
        """True when the local date ``d`` falls in ``[start, end)``."""
        return self.start <= d < self.end

    def next(self) -> Period:
        """The period of the same kind right after this one."""
        return _starting(self.kind, self.end)

    def previous(self) -> Period:
        """The period of the same kind right before this one."""
        return period_containing(self.kind, self.start - timedelta(days=1))

    def __iter__(self) -> Iterator[date]:
        """The local dates of the period, in order."""
        d = self.start
        while d < self.end:
            yield d
            d += timedelta(days=1)


def _starts_a(kind: PeriodKind, d: date) -> bool:
    if kind is PeriodKind.DAY:
        return True
    if kind is PeriodKind.MONTH:
        return d.day == 1
    if kind is PeriodKind.QUARTER:
        return d.day == 1 and d.month in (1, 4, 7, 10)
    return d.day == 1 and d.month == 1


def _end_of(kind: PeriodKind, start: date) -> date:
    if kind is PeriodKind.DAY:
        return start + timedelta(days=1)
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
    return _month_start(start.year, start.month + months)


def _starting(kind: PeriodKind, start: date) -> Period:
    if kind is PeriodKind.DAY:
        return Period.day(start)
    if kind is PeriodKind.MONTH:
        return Period.month(start.year, start.month)
    if kind is PeriodKind.QUARTER:
        return Period.quarter(start.year, (start.month - 1) // 3 + 1)
    return Period.year(start.year)


def period_containing(kind: PeriodKind, at: date | datetime) -> Period:
    """The period of ``kind`` holding ``at`` (a local date, or an aware instant read in VN time)."""
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise PeriodError(f"an instant must be an aware datetime, got {at!r}")
        at = at.astimezone(VN_TZ).date()
    if kind is PeriodKind.DAY:
        return Period.day(at)
    if kind is PeriodKind.MONTH:
        return Period.month(at.year, at.month)
    if kind is PeriodKind.QUARTER:
        return Period.quarter(at.year, (at.month - 1) // 3 + 1)
    return Period.year(at.year)


def parse_period(text: str) -> Period:
    """``2026-07-15`` (day), ``2026-07`` (month), ``2026-Q3`` (quarter) or ``2026`` (year).

    Surrounding spaces are ignored and ``q`` may be lower case; nothing else is accepted
    (no ``2026-7``, no weeks, no ranges).
    """
    if not isinstance(text, str):
        raise PeriodError(f"a period is a text label, got {type(text).__name__}")
    s = text.strip()
    if m := _DAY.fullmatch(s):
        year, month, day = (int(g) for g in m.groups())
        _check_year(year)
        try:
            return Period.day(date(year, month, day))
        except ValueError as e:
            raise PeriodError(f"{text!r} is not a valid date: {e}") from e
    if m := _MONTH.fullmatch(s):
        return Period.month(int(m.group(1)), int(m.group(2)))
    if m := _QUARTER.fullmatch(s):
        return Period.quarter(int(m.group(1)), int(m.group(2)))
    if m := _YEAR.fullmatch(s):
        return Period.year(int(m.group(1)))
    raise PeriodError(f"{text!r} is not a period: expected YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY")


def periods_between(first: Period, last: Period) -> Iterator[Period]:
    """``first``, the periods of its kind after it, up to and including ``last``."""
    if first.kind is not last.kind:
        raise PeriodError(f"cannot step from a {first.kind.value} to a {last.kind.value}")
    p = first
    while p <= last:
        yield p
        if p.end.year > MAX_YEAR:
            return
        p = p.next()
