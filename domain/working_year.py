"""One year of the working calendar as the province publishes it (lịch làm việc năm): its public
holidays (with the days off that stand in for a holiday on a weekend), the weekend days declared
working days to make up for a bridged holiday (ngày làm bù), and the extra days off decided
locally.

The ledger stores each year as a signed event of the province's administrator, and every deadline
is computed from the years so published (``domain.calendar.in_force``): the same history gives the
same deadlines on every install, whatever version of the ``holidays`` package it has. That package
(pinned) only proposes a year's first publication (``proposed_year``).

Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from domain.errors import InvalidValue

__all__ = ["FIRST_YEAR", "LAST_YEAR", "YearDays", "proposed_year"]

FIRST_YEAR, LAST_YEAR = 2000, 2199
"""The years a calendar may be published for (the instants the ledger accepts)."""


def _dates(year: int, values: Iterable[date], what: str) -> frozenset[date]:
    days = frozenset(values)
    for d in days:
        if not isinstance(d, date) or d.year != year:
            raise InvalidValue(f"{what} of {year} must be dates of {year}, got {d}")
    return days


@dataclass(frozen=True)
class YearDays:
    """The days of one year that differ from Monday-to-Friday work."""

    year: int
    holidays: frozenset[date]
    makeup_working_days: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise InvalidValue(f"a calendar year is a number, got {self.year!r}")
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidValue(f"a calendar year is {FIRST_YEAR}..{LAST_YEAR}, got {self.year}")
        object.__setattr__(self, "holidays", _dates(self.year, self.holidays, "holidays"))
        made_up = _dates(self.year, self.makeup_working_days, "make-up working days")
        object.__setattr__(self, "makeup_working_days", made_up)
        extra = _dates(self.year, self.extra_days_off, "extra days off")
        object.__setattr__(self, "extra_days_off", extra)
        weekdays = sorted(d for d in made_up if d.weekday() < 5)
        if weekdays:
            raise InvalidValue(
                f"a make-up working day is a Saturday or Sunday; {weekdays[0]} is a weekday"
            )
        weekend = sorted(d for d in extra if d.weekday() >= 5)
        if weekend:
            raise InvalidValue(
                f"an extra day off is a weekday; {weekend[0]} is a Saturday or Sunday"
            )
        both = sorted(made_up & (self.holidays | extra))
        if both:
            raise InvalidValue(f"{both[0]} cannot be both a day off and a make-up working day")

    def is_working_day(self, d: date) -> bool:
        """Mon-Fri that is not a holiday or extra day off, or a make-up working day."""
        if d in self.holidays or d in self.extra_days_off:
            return False
        return d in self.makeup_working_days or d.weekday() < 5

    def first_change(self, other: YearDays, through: date) -> date | None:
        """The first day up to ``through`` that is a working day in one and not in the other."""
        d = date(self.year, 1, 1)
        while d <= through and d.year == self.year:
            if self.is_working_day(d) != other.is_working_day(d):
                return d
            d += timedelta(days=1)
        return None

    @property
    def days_off(self) -> int:
        """Days off that would otherwise be working days (Mon-Fri holidays and days off)."""
        return sum(1 for d in self.holidays | self.extra_days_off if d.weekday() < 5)


def proposed_year(
    year: int, *, makeup_working_days: Iterable[date] = (), extra_days_off: Iterable[date] = ()
) -> YearDays:
    """Vietnam's ``year`` as the pinned ``holidays`` package has it (public holidays with their
    substitute days off, and the weekend days it declares working days), with the local make-up
    working days and extra days off of that year added: a proposal for the province to publish."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue(f"a calendar year is {FIRST_YEAR}..{LAST_YEAR}, got {year}")
    public = holidays.country_holidays("VN", years=[year])
    weekend_workdays: Iterable[date] = getattr(public, "weekend_workdays", ())
    made_up = {d for d in (*weekend_workdays, *makeup_working_days) if d.year == year}
    off = frozenset(d for d in public if d.year == year)
    extra = frozenset(d for d in extra_days_off if d.year == year)
    return YearDays(year, off, frozenset(made_up - off - extra), extra)
