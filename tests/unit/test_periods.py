"""Reporting periods: parsing, labels, Vietnam-local membership and stepping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.calendar import VN_TZ
from projections.errors import PeriodError
from projections.queries.periods import (
    Period,
    PeriodKind,
    parse_period,
    period_containing,
    periods_between,
)


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-07-15", PeriodKind.DAY, date(2026, 7, 15), date(2026, 7, 16)),
        ("2026-12-31", PeriodKind.DAY, date(2026, 12, 31), date(2027, 1, 1)),
        ("2028-02-29", PeriodKind.DAY, date(2028, 2, 29), date(2028, 3, 1)),  # leap year
        ("2026-07", PeriodKind.MONTH, date(2026, 7, 1), date(2026, 8, 1)),
        ("2026-02", PeriodKind.MONTH, date(2026, 2, 1), date(2026, 3, 1)),
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-Q1", PeriodKind.QUARTER, date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q3", PeriodKind.QUARTER, date(2026, 7, 1), date(2026, 10, 1)),
        ("2026-q4", PeriodKind.QUARTER, date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2027, 1, 1)),
        (" 2026-07 ", PeriodKind.MONTH, date(2026, 7, 1), date(2026, 8, 1)),
    ],
)
def test_parse(text: str, kind: PeriodKind, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.kind, p.start, p.end) == (kind, start, end)
    assert parse_period(p.label) == p


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "2026-02-29",  # not a leap year
        "2026-04-31",
        "2026-13",
        "2026-00",
        "2026-Q0",
        "2026-Q5",
        "2026-7",
        "2026-07-1",
        "26-07",
        "202607",
        "2026-W10",
        "2026-07-15T00:00",
        "2026-07..2026-09",
        "0999",
        "9999",  # its end would be year 10000
        "２０２６",  # full-width digits
        "Q3-2026",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a period"):
        parse_period("July")
    with pytest.raises(PeriodError, match="not a valid date"):
        parse_period("2026-02-30")


def test_labels() -> None:
    assert [parse_period(t).label for t in ("2026-07-05", "2026-07", "2026-q3", "2026")] == [
        "2026-07-05",
        "2026-07",
        "2026-Q3",
        "2026",
    ]
    assert str(Period.quarter(2026, 2)) == "2026-Q2"


def test_contains_reads_vietnam_local_time() -> None:
    july = parse_period("2026-07")
    # 2026-06-30 17:00 UTC is 2026-07-01 00:00 in Hanoi: in July.
    assert july.contains(datetime(2026, 6, 30, 17, 0, tzinfo=UTC))
    assert not july.contains(datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC))
    # 2026-07-31 16:59 UTC is 23:59 in Hanoi (still July); 17:00 UTC is August 1st.
    assert july.contains(datetime(2026, 7, 31, 16, 59, tzinfo=UTC))
    assert not july.contains(datetime(2026, 7, 31, 17, 0, tzinfo=UTC))
    # Another zone's wall clock is converted, not read as Hanoi's.
    paris_summer = timezone(timedelta(hours=2))
    assert not july.contains(datetime(2026, 7, 31, 20, 0, tzinfo=paris_summer))  # 01:00 08-01
    assert july.start_at == datetime(2026, 7, 1, tzinfo=VN_TZ)
    assert july.end_at == datetime(2026, 8, 1, tzinfo=VN_TZ)
    assert july.end_at.tzinfo is UTC


def test_contains_refuses_naive_instants() -> None:
    with pytest.raises(PeriodError, match="aware"):
        parse_period("2026").contains(datetime(2026, 5, 1, 12, 0))


def test_constructor_checks_the_range() -> None:
    with pytest.raises(PeriodError):
        Period(date(2026, 7, 2), date(2026, 8, 2), PeriodKind.MONTH)  # not from the 1st
    with pytest.raises(PeriodError):
        Period(date(2026, 2, 1), date(2026, 5, 1), PeriodKind.QUARTER)  # not a quarter start
    with pytest.raises(PeriodError):
        Period(date(2026, 7, 1), date(2026, 7, 3), PeriodKind.DAY)
    with pytest.raises(PeriodError):
        Period.month(2026, 13)
    with pytest.raises(PeriodError):
        Period.quarter(2026, 0)
    assert Period(date(2026, 4, 1), date(2026, 7, 1), PeriodKind.QUARTER) == Period.quarter(2026, 2)


def test_stepping_and_iteration() -> None:
    q4 = parse_period("2026-Q4")
    assert q4.next() == parse_period("2027-Q1")
    assert q4.previous() == parse_period("2026-Q3")
    assert parse_period("2026-01").previous() == parse_period("2025-12")
    assert parse_period("2026-02-28").next() == parse_period("2026-03-01")
    months = [p.label for p in periods_between(parse_period("2026-11"), parse_period("2027-02"))]
    assert months == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert list(periods_between(parse_period("2027"), parse_period("2026"))) == []
    with pytest.raises(PeriodError, match="cannot step"):
        list(periods_between(parse_period("2026-01"), parse_period("2026-Q1")))
    feb = parse_period("2026-02")
    assert feb.days == len(list(feb)) == 28
    days = list(feb)
    assert (days[0], days[-1]) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2028").days == 366


def test_period_containing() -> None:
    at = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)  # 2026-10-01 01:00 in Hanoi
    assert period_containing(PeriodKind.QUARTER, at).label == "2026-Q4"
    assert period_containing(PeriodKind.MONTH, at).label == "2026-10"
    assert period_containing(PeriodKind.DAY, at).label == "2026-10-01"
    assert period_containing(PeriodKind.YEAR, date(2026, 9, 30)).label == "2026"
    with pytest.raises(PeriodError):
        period_containing(PeriodKind.DAY, datetime(2026, 9, 30))
