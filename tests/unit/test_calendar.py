"""The working-day calendar: real Vietnamese dates, office hours, minute arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import VN_TZ, OfficeHours, WorkingCalendar, vietnam_calendar
from domain.errors import InvalidValue

CAL = vietnam_calendar()


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A local (ICT) wall-clock instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=VN_TZ)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59),
    timezones=st.just(UTC),
)


# -- office hours ---------------------------------------------------------------------------


def test_default_office_hours_are_eight_hours() -> None:
    assert OfficeHours().minutes_per_day == 480


def test_custom_office_hours() -> None:
    hours = OfficeHours(((time(8, 0), time(12, 0)), (time(13, 30), time(17, 30))))
    assert hours.minutes_per_day == 480
    assert OfficeHours(((time(7, 0), time(11, 0)),)).minutes_per_day == 240


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12, 0), time(8, 0)),),
        ((time(8, 0), time(8, 0)),),
        ((time(13, 0), time(17, 0)), (time(7, 30), time(11, 30))),
        ((time(7, 30), time(12, 0)), (time(11, 30), time(17, 0))),
        ((time(7, 30, 15), time(11, 30)),),
    ],
    ids=["empty", "reversed", "empty-period", "unsorted", "overlapping", "seconds"],
)
def test_invalid_office_hours(periods: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(InvalidValue):
        OfficeHours(periods)


def test_cutoff_must_fall_within_office_hours() -> None:
    with pytest.raises(InvalidValue):
        WorkingCalendar(holidays=frozenset(), same_day_cutoff=time(18, 0))
    with pytest.raises(InvalidValue):
        WorkingCalendar(holidays=frozenset(), same_day_cutoff=time(7, 0))


# -- working days ---------------------------------------------------------------------------


def test_weekends_are_not_working_days() -> None:
    assert CAL.is_working_day(date(2026, 3, 6))  # Friday
    assert not CAL.is_working_day(date(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(date(2026, 3, 8))  # Sunday
    assert CAL.is_working_day(date(2026, 3, 9))  # Monday


def test_tet_2026_is_off() -> None:
    for day in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.is_working_day(date(2026, 2, 23))
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_tet_2027_is_off() -> None:
    for day in range(4, 11):
        assert not CAL.is_working_day(date(2027, 2, day))
    assert CAL.next_working_day(date(2027, 2, 3)) == date(2027, 2, 11)


def test_hung_kings_2026_observed_monday_is_off() -> None:
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert CAL.next_working_day(date(2026, 4, 24)) == date(2026, 4, 28)


def test_makeup_saturday_2026_08_22_is_a_working_day() -> None:
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2026, 8, 31))  # the day off it pays for
    assert CAL.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
    assert CAL.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)  # 31, 1, 2 off


def test_makeup_days_outside_the_years_are_not_included() -> None:
    cal = vietnam_calendar([2026])
    assert cal.makeup_working_days == frozenset({date(2026, 8, 22)})


def test_local_extra_days_off_and_makeup_days() -> None:
    cal = vietnam_calendar(
        [2026],
        makeup_working_days=[date(2026, 3, 14)],  # a Saturday
        extra_days_off=[date(2026, 3, 10)],  # a Tuesday
    )
    assert cal.is_working_day(date(2026, 3, 14))
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.next_working_day(date(2026, 3, 9)) == date(2026, 3, 11)
    assert CAL.is_working_day(date(2026, 3, 10))  # the national calendar is unchanged


def test_days_off_win_over_makeup_days() -> None:
    d = date(2026, 3, 14)
    cal = WorkingCalendar(
        holidays=frozenset(), makeup_working_days=frozenset({d}), extra_days_off=frozenset({d})
    )
    assert not cal.is_working_day(d)


def test_add_working_days() -> None:
    assert CAL.add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert CAL.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday
    with pytest.raises(InvalidValue):
        CAL.add_working_days(date(2026, 3, 9), -1)


# -- instants -------------------------------------------------------------------------------


def test_opening_and_closing_are_utc() -> None:
    opening = CAL.opening(date(2026, 3, 9))
    closing = CAL.closing(date(2026, 3, 9))
    assert opening == vn(2026, 3, 9, 7, 30)
    assert closing == vn(2026, 3, 9, 17, 0)
    assert opening.tzinfo is UTC
    assert opening == datetime(2026, 3, 9, 0, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 9, 10, 0)
    with pytest.raises(InvalidValue):
        CAL.effective_start(naive)
    with pytest.raises(InvalidValue):
        CAL.add_working_minutes(naive, 10)
    with pytest.raises(InvalidValue):
        CAL.working_minutes_between(naive, vn(2026, 3, 9, 11))
    with pytest.raises(InvalidValue):
        CAL.working_minutes_between(vn(2026, 3, 9, 9), naive)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (vn(2026, 3, 9, 10, 0), vn(2026, 3, 9, 10, 0)),  # inside the morning
        (vn(2026, 3, 9, 6, 0), vn(2026, 3, 9, 7, 30)),  # before opening
        (vn(2026, 3, 9, 7, 30), vn(2026, 3, 9, 7, 30)),  # at opening
        (vn(2026, 3, 9, 11, 30), vn(2026, 3, 9, 13, 0)),  # lunch break
        (vn(2026, 3, 9, 12, 15), vn(2026, 3, 9, 13, 0)),
        (vn(2026, 3, 9, 16, 59), vn(2026, 3, 9, 16, 59)),
        (vn(2026, 3, 9, 17, 0), vn(2026, 3, 10, 7, 30)),  # closing sharp: next day
        (vn(2026, 3, 9, 22, 0), vn(2026, 3, 10, 7, 30)),  # at night
        (vn(2026, 3, 7, 10, 0), vn(2026, 3, 9, 7, 30)),  # Saturday
        (vn(2026, 2, 13, 18, 0), vn(2026, 2, 23, 7, 30)),  # Friday night before Tết
        (vn(2026, 8, 22, 9, 0), vn(2026, 8, 22, 9, 0)),  # makeup Saturday
    ],
)
def test_effective_start(at: datetime, expected: datetime) -> None:
    result = CAL.effective_start(at)
    assert result == expected
    assert result.tzinfo is UTC


def test_effective_start_accepts_any_zone() -> None:
    # 2026-03-09 02:00 UTC is 09:00 in Hanoi; 2026-03-09 11:00 UTC is 18:00 in Hanoi.
    assert CAL.effective_start(datetime(2026, 3, 9, 2, 0, tzinfo=UTC)) == vn(2026, 3, 9, 9, 0)
    assert CAL.effective_start(datetime(2026, 3, 9, 11, 0, tzinfo=UTC)) == vn(2026, 3, 10, 7, 30)
    paris = timezone(timedelta(hours=1))
    assert CAL.effective_start(datetime(2026, 3, 9, 3, 0, tzinfo=paris)) == vn(2026, 3, 9, 9, 0)


# -- working minutes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (vn(2026, 3, 9, 8, 0), vn(2026, 3, 9, 9, 0), 60),
        (vn(2026, 3, 9, 11, 0), vn(2026, 3, 9, 13, 30), 60),  # across lunch: 30 + 30
        (vn(2026, 3, 9, 7, 30), vn(2026, 3, 9, 17, 0), 480),  # one full day
        (vn(2026, 3, 9, 16, 0), vn(2026, 3, 10, 8, 0), 90),  # overnight: 60 + 30
        (vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 0), 90),  # over a weekend
        (vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 8, 0), 90),  # over Tết 2026
        (vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 9, 0), 0),
        (vn(2026, 3, 9, 10, 0), vn(2026, 3, 9, 9, 0), 0),  # end before start
        (vn(2026, 3, 7, 8, 0), vn(2026, 3, 8, 17, 0), 0),  # weekend only
        (vn(2026, 3, 9, 8, 0, 30), vn(2026, 3, 9, 8, 2), 1),  # partial minutes are floored
    ],
)
def test_working_minutes_between(start: datetime, end: datetime, minutes: int) -> None:
    assert CAL.working_minutes_between(start, end) == minutes


def test_working_minutes_over_a_year_2026() -> None:
    # 2026 has 261 weekdays, 13 of them public holidays (01-01, 02-16..20, 04-27, 04-30,
    # 05-01, 08-31, 09-01, 09-02, 11-24), plus one makeup Saturday (08-22).
    weekdays = sum(1 for i in range(365) if (date(2026, 1, 1) + timedelta(days=i)).weekday() < 5)
    assert weekdays == 261
    working_days = 261 - 13 + 1
    minutes = CAL.working_minutes_between(vn(2026, 1, 1), vn(2027, 1, 1))
    assert minutes == working_days * 480


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (vn(2026, 3, 9, 10, 0), 0, vn(2026, 3, 9, 10, 0)),
        (vn(2026, 3, 9, 10, 0), 60, vn(2026, 3, 9, 11, 0)),
        (vn(2026, 3, 9, 10, 0), 90, vn(2026, 3, 9, 11, 30)),  # exactly at lunch
        (vn(2026, 3, 9, 10, 0), 91, vn(2026, 3, 9, 13, 1)),  # across lunch
        (vn(2026, 3, 9, 10, 0), 240, vn(2026, 3, 9, 15, 30)),  # 4 hours
        (vn(2026, 3, 9, 16, 0), 60, vn(2026, 3, 9, 17, 0)),  # exactly at closing
        (vn(2026, 3, 9, 16, 0), 240, vn(2026, 3, 10, 10, 30)),  # overnight
        (vn(2026, 3, 6, 16, 0), 120, vn(2026, 3, 9, 8, 30)),  # over a weekend
        (vn(2026, 3, 7, 10, 0), 30, vn(2026, 3, 9, 8, 0)),  # starting on Saturday
        (vn(2026, 3, 9, 6, 0), 480, vn(2026, 3, 9, 17, 0)),  # before opening, a full day
        (vn(2026, 2, 13, 16, 0), 120, vn(2026, 2, 23, 8, 30)),  # over Tết 2026
        (vn(2026, 8, 21, 16, 0), 120, vn(2026, 8, 22, 8, 30)),  # into the makeup Saturday
    ],
)
def test_add_working_minutes(start: datetime, minutes: int, expected: datetime) -> None:
    result = CAL.add_working_minutes(start, minutes)
    assert result == expected
    assert result.tzinfo is UTC


def test_add_working_minutes_refuses_negative() -> None:
    with pytest.raises(InvalidValue):
        CAL.add_working_minutes(vn(2026, 3, 9, 10), -1)


def test_add_working_minutes_over_long_spans() -> None:
    # 249 working days in 2026 (see above): a year of office time from the first opening.
    result = CAL.add_working_minutes(vn(2026, 1, 2, 7, 30), 249 * 480)
    assert result == vn(2026, 12, 31, 17, 0)


def test_custom_office_hours_and_cutoff() -> None:
    cal = WorkingCalendar(
        holidays=frozenset(),
        office_hours=OfficeHours(((time(8, 0), time(12, 0)),)),
        same_day_cutoff=time(11, 0),
    )
    assert cal.opening(date(2026, 3, 9)) == vn(2026, 3, 9, 8, 0)
    assert cal.closing(date(2026, 3, 9)) == vn(2026, 3, 9, 12, 0)
    assert cal.add_working_minutes(vn(2026, 3, 9, 11, 0), 120) == vn(2026, 3, 10, 9, 0)
    assert cal.effective_start(vn(2026, 3, 9, 13, 0)) == vn(2026, 3, 10, 8, 0)


# -- properties -----------------------------------------------------------------------------


@given(start=instants, minutes=st.integers(min_value=0, max_value=480 * 30))
def test_add_then_measure_round_trips(start: datetime, minutes: int) -> None:
    end = CAL.add_working_minutes(start, minutes)
    assert end >= start
    assert CAL.working_minutes_between(start, end) == minutes


@given(start=instants, end=instants)
def test_measure_then_add_never_overshoots(start: datetime, end: datetime) -> None:
    minutes = CAL.working_minutes_between(start, end)
    assert CAL.add_working_minutes(start, minutes) <= max(start, end)


@given(start=instants, a=st.integers(0, 480 * 20), b=st.integers(0, 480 * 20))
def test_add_working_minutes_is_monotonic_and_additive(start: datetime, a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert CAL.add_working_minutes(start, lo) <= CAL.add_working_minutes(start, hi)
    if lo > 0:
        stepped = CAL.add_working_minutes(CAL.add_working_minutes(start, lo), hi - lo)
        assert stepped == CAL.add_working_minutes(start, hi)


@given(a=instants, b=instants, c=instants)
def test_working_minutes_is_monotonic(a: datetime, b: datetime, c: datetime) -> None:
    start, mid, end = sorted((a, b, c))
    assert CAL.working_minutes_between(start, mid) <= CAL.working_minutes_between(start, end)
    assert CAL.working_minutes_between(mid, end) <= CAL.working_minutes_between(start, end)


@given(at=instants)
def test_effective_start_is_in_office_hours_and_not_before(at: datetime) -> None:
    start = CAL.effective_start(at)
    assert start >= at
    assert CAL.is_working_day(CAL.local_date(start))
    assert CAL.effective_start(start) == start
    assert CAL.working_minutes_between(at, start) == 0
