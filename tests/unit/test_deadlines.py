"""Statutory times and deadlines on real Vietnamese dates (expected values worked by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import (
    StatutoryTime,
    SupplementPolicy,
    Timeliness,
    TimeUnit,
    classify,
    compute_due,
    due_after_supplement,
    is_overdue,
    working_days_elapsed,
)
from domain.errors import InvalidValue

CAL = vietnam_calendar()
SAME_DAY = StatutoryTime(0, TimeUnit.SAME_DAY)
EXTEND = SupplementPolicy.EXTEND
RESTART = SupplementPolicy.RESTART


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A local (ICT) wall-clock instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=VN_TZ)


def days(n: int) -> StatutoryTime:
    return StatutoryTime(n, TimeUnit.WORKING_DAYS)


def hours(n: int) -> StatutoryTime:
    return StatutoryTime(n, TimeUnit.WORKING_HOURS)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59),
    timezones=st.just(UTC),
)
statutory_times = st.one_of(
    st.just(SAME_DAY),
    st.integers(1, 30).map(days),
    st.integers(1, 40).map(hours),
)


# -- statutory time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        (1, TimeUnit.SAME_DAY),
        (-1, TimeUnit.SAME_DAY),
        (0, TimeUnit.WORKING_DAYS),
        (-3, TimeUnit.WORKING_DAYS),
        (0, TimeUnit.WORKING_HOURS),
    ],
)
def test_invalid_statutory_time(amount: int, unit: TimeUnit) -> None:
    with pytest.raises(InvalidValue):
        StatutoryTime(amount, unit)


@pytest.mark.parametrize(
    ("t", "vi", "en"),
    [
        (days(5), "5 ngày làm việc", "5 working days"),
        (days(1), "1 ngày làm việc", "1 working day"),
        (hours(4), "4 giờ làm việc", "4 working hours"),
        (hours(1), "1 giờ làm việc", "1 working hour"),
        (SAME_DAY, "trong ngày", "same day"),
    ],
)
def test_describe(t: StatutoryTime, vi: str, en: str) -> None:
    assert t.describe_vi() == vi
    assert t.describe_en() == en


# -- same day -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (vn(2026, 3, 9, 10, 0), vn(2026, 3, 9, 17, 0)),
        (vn(2026, 3, 9, 14, 59), vn(2026, 3, 9, 17, 0)),  # just before the cutoff
        (vn(2026, 3, 9, 15, 0), vn(2026, 3, 10, 17, 0)),  # at the cutoff: next working day
        (vn(2026, 3, 9, 15, 1), vn(2026, 3, 10, 17, 0)),
        (vn(2026, 3, 9, 12, 0), vn(2026, 3, 9, 17, 0)),  # lunch break, counts from 13:00
        (vn(2026, 3, 9, 6, 45), vn(2026, 3, 9, 17, 0)),  # online before opening
        (vn(2026, 3, 9, 20, 0), vn(2026, 3, 10, 17, 0)),  # at night
        (vn(2026, 3, 6, 15, 30), vn(2026, 3, 9, 17, 0)),  # Friday after cutoff: Monday
        (vn(2026, 3, 7, 10, 0), vn(2026, 3, 9, 17, 0)),  # Saturday: Monday
        (vn(2026, 4, 25, 9, 0), vn(2026, 4, 28, 17, 0)),  # Saturday, Monday is Hùng Kings
        (vn(2026, 4, 24, 16, 0), vn(2026, 4, 28, 17, 0)),  # Friday late, Hùng Kings Monday
        (vn(2026, 2, 13, 15, 30), vn(2026, 2, 23, 17, 0)),  # just before Tết 2026
        (vn(2027, 2, 3, 15, 30), vn(2027, 2, 11, 17, 0)),  # just before Tết 2027
        (vn(2027, 2, 3, 14, 0), vn(2027, 2, 3, 17, 0)),
        (vn(2026, 8, 22, 10, 0), vn(2026, 8, 22, 17, 0)),  # makeup Saturday works
        (vn(2026, 8, 21, 15, 30), vn(2026, 8, 22, 17, 0)),  # Friday late: the makeup Saturday
    ],
)
def test_same_day(received: datetime, due: datetime) -> None:
    result = compute_due(CAL, received, SAME_DAY)
    assert result == due
    assert result.tzinfo is UTC


# -- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "t", "due"),
    [
        # Mon 9 March + 5: 10, 11, 12, 13, 16.
        (vn(2026, 3, 9, 10, 0), days(5), vn(2026, 3, 16, 17, 0)),
        # After the cutoff does not matter for working days, only after closing does.
        (vn(2026, 3, 9, 16, 30), days(5), vn(2026, 3, 16, 17, 0)),
        (vn(2026, 3, 9, 17, 30), days(5), vn(2026, 3, 17, 17, 0)),
        # Saturday: starts Monday 9, which itself is not counted.
        (vn(2026, 3, 7, 10, 0), days(5), vn(2026, 3, 16, 17, 0)),
        # Tết 2026: Fri 13 Feb + 5 skips 16..20 Feb: 23, 24, 25, 26, 27.
        (vn(2026, 2, 13, 10, 0), days(5), vn(2026, 2, 27, 17, 0)),
        # Received during Tết: starts Mon 23 Feb: 24, 25, 26, 27, 2 Mar.
        (vn(2026, 2, 18, 9, 0), days(5), vn(2026, 3, 2, 17, 0)),
        # Tết 2027: Wed 3 Feb + 5 skips 4..10 Feb: 11, 12, 15, 16, 17.
        (vn(2027, 2, 3, 10, 0), days(5), vn(2027, 2, 17, 17, 0)),
        # Hùng Kings 2026 (Mon 27 Apr observed), 30 Apr and 1 May: 28, 29, 4 May.
        (vn(2026, 4, 24, 10, 0), days(3), vn(2026, 5, 4, 17, 0)),
        # Makeup Saturday 22 Aug counts; 31 Aug, 1 and 2 Sep do not.
        (vn(2026, 8, 21, 10, 0), days(1), vn(2026, 8, 22, 17, 0)),
        (vn(2026, 8, 28, 10, 0), days(2), vn(2026, 9, 4, 17, 0)),
        # Permanent residence, 7 working days from Thu 5 Mar: 6, 9, 10, 11, 12, 13, 16.
        (vn(2026, 3, 5, 8, 0), days(7), vn(2026, 3, 16, 17, 0)),
    ],
)
def test_working_days(received: datetime, t: StatutoryTime, due: datetime) -> None:
    assert compute_due(CAL, received, t) == due


def test_local_extra_day_off_moves_the_deadline() -> None:
    cal = vietnam_calendar([2026], extra_days_off=[date(2026, 3, 12)])
    # Mon 9 March + 5 without Thu 12: 10, 11, 13, 16, 17.
    assert compute_due(cal, vn(2026, 3, 9, 10), days(5)) == vn(2026, 3, 17, 17, 0)


def test_local_makeup_day_shortens_the_deadline() -> None:
    cal = vietnam_calendar([2026], makeup_working_days=[date(2026, 3, 14)])
    # Mon 9 March + 5 with Sat 14 working: 10, 11, 12, 13, 14.
    assert compute_due(cal, vn(2026, 3, 9, 10), days(5)) == vn(2026, 3, 14, 17, 0)
    assert compute_due(cal, vn(2026, 3, 13, 16), SAME_DAY) == vn(2026, 3, 14, 17, 0)


# -- working hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "t", "due"),
    [
        (vn(2026, 3, 9, 8, 0), hours(2), vn(2026, 3, 9, 10, 0)),
        (vn(2026, 3, 9, 10, 0), hours(4), vn(2026, 3, 9, 15, 30)),  # across lunch: 90 + 150
        (vn(2026, 3, 9, 12, 0), hours(4), vn(2026, 3, 9, 17, 0)),  # received at lunch
        (vn(2026, 3, 9, 16, 0), hours(4), vn(2026, 3, 10, 10, 30)),  # overnight: 60 + 180
        (vn(2026, 3, 9, 19, 0), hours(4), vn(2026, 3, 10, 11, 30)),  # at night
        (vn(2026, 3, 6, 16, 0), hours(4), vn(2026, 3, 9, 10, 30)),  # over the weekend
        (vn(2026, 2, 13, 16, 0), hours(2), vn(2026, 2, 23, 8, 30)),  # over Tết 2026
        (vn(2026, 3, 9, 7, 30), hours(8), vn(2026, 3, 9, 17, 0)),
        (vn(2026, 3, 9, 7, 30), hours(9), vn(2026, 3, 10, 8, 30)),
    ],
)
def test_working_hours(received: datetime, t: StatutoryTime, due: datetime) -> None:
    assert compute_due(CAL, received, t) == due


def test_naive_receipt_is_refused() -> None:
    with pytest.raises(InvalidValue):
        compute_due(CAL, datetime(2026, 3, 9, 10, 0), days(5))


@given(received=instants, t=statutory_times)
def test_due_is_never_before_receipt(received: datetime, t: StatutoryTime) -> None:
    due = compute_due(CAL, received, t)
    assert due >= received
    assert due.tzinfo is UTC


@given(a=instants, b=instants, t=statutory_times)
def test_due_is_monotonic_in_receipt(a: datetime, b: datetime, t: StatutoryTime) -> None:
    early, late = min(a, b), max(a, b)
    assert compute_due(CAL, early, t) <= compute_due(CAL, late, t)


@given(received=instants, n=st.integers(1, 29))
def test_more_days_is_later(received: datetime, n: int) -> None:
    assert compute_due(CAL, received, days(n)) < compute_due(CAL, received, days(n + 1))


@given(received=instants, t=statutory_times)
def test_day_deadlines_fall_on_a_closing(received: datetime, t: StatutoryTime) -> None:
    due = compute_due(CAL, received, t)
    if t.unit is not TimeUnit.WORKING_HOURS:
        day = CAL.local_date(due)
        assert CAL.is_working_day(day)
        assert due == CAL.closing(day)


# -- supplements ----------------------------------------------------------------------------


def test_extend_across_a_weekend_does_not_count_the_weekend() -> None:
    # Received Mon 2 Mar 10:00, 5 working days: due Mon 9 Mar 17:00.
    due = compute_due(CAL, vn(2026, 3, 2, 10), days(5))
    assert due == vn(2026, 3, 9, 17, 0)
    # Requested Thu 5 Mar 16:00, supplied Mon 9 Mar 09:00:
    # waited Thu 60 + Fri 480 + Mon 90 = 630 office minutes (the weekend is not counted).
    assert CAL.working_minutes_between(vn(2026, 3, 5, 16), vn(2026, 3, 9, 9)) == 630
    # 630 after Mon 17:00 -> Tue 480 + Wed 150 -> Wed 11 Mar 10:00, rounded up to closing.
    new_due = due_after_supplement(
        CAL,
        due_at=due,
        requested_at=vn(2026, 3, 5, 16),
        supplied_at=vn(2026, 3, 9, 9),
        statutory=days(5),
        policy=EXTEND,
    )
    assert new_due == vn(2026, 3, 11, 17, 0)


def test_restart_counts_again_from_supply() -> None:
    due = vn(2026, 3, 9, 17, 0)
    new_due = due_after_supplement(
        CAL,
        due_at=due,
        requested_at=vn(2026, 3, 5, 16),
        supplied_at=vn(2026, 3, 9, 9),
        statutory=days(5),
        policy=RESTART,
    )
    # Mon 9 Mar + 5: 10, 11, 12, 13, 16.
    assert new_due == vn(2026, 3, 16, 17, 0)


def test_restart_supplied_on_saturday() -> None:
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 3, 9, 17, 0),
        requested_at=vn(2026, 3, 5, 16),
        supplied_at=vn(2026, 3, 7, 9),  # Saturday, online
        statutory=days(5),
        policy=RESTART,
    )
    assert new_due == vn(2026, 3, 16, 17, 0)


def test_extend_by_whole_days_lands_on_a_closing_and_keeps_it() -> None:
    # Waiting exactly one full working day (Tue 07:30 -> Wed 07:30) = 480 minutes;
    # due Fri 13 Mar 17:00 + 480 = Mon 16 Mar 17:00 exactly: kept.
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 3, 13, 17, 0),
        requested_at=vn(2026, 3, 10, 7, 30),
        supplied_at=vn(2026, 3, 11, 7, 30),
        statutory=days(5),
        policy=EXTEND,
    )
    assert new_due == vn(2026, 3, 16, 17, 0)


def test_extend_a_few_minutes_costs_a_day_for_day_procedures() -> None:
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 3, 13, 17, 0),
        requested_at=vn(2026, 3, 10, 9, 0),
        supplied_at=vn(2026, 3, 10, 9, 20),
        statutory=days(5),
        policy=EXTEND,
    )
    assert new_due == vn(2026, 3, 16, 17, 0)


def test_extend_same_day_procedure_over_tet() -> None:
    # Certified copy received Fri 13 Feb 2026 10:00, due 17:00; papers asked at 11:00,
    # supplied at 16:00: waited 30 + 180 = 210 minutes -> Mon 23 Feb 11:00 -> its closing.
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 2, 13, 17, 0),
        requested_at=vn(2026, 2, 13, 11, 0),
        supplied_at=vn(2026, 2, 13, 16, 0),
        statutory=SAME_DAY,
        policy=EXTEND,
    )
    assert new_due == vn(2026, 2, 23, 17, 0)


def test_extend_working_hours_is_not_rounded() -> None:
    # Due Mon 9 Mar 15:30; waited Mon 10:00 -> 11:00 = 60 minutes -> 16:30.
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 3, 9, 15, 30),
        requested_at=vn(2026, 3, 9, 10, 0),
        supplied_at=vn(2026, 3, 9, 11, 0),
        statutory=hours(4),
        policy=EXTEND,
    )
    assert new_due == vn(2026, 3, 9, 16, 30)


def test_extend_waiting_only_outside_office_hours_changes_nothing() -> None:
    new_due = due_after_supplement(
        CAL,
        due_at=vn(2026, 3, 13, 17, 0),
        requested_at=vn(2026, 3, 6, 17, 0),  # Friday closing
        supplied_at=vn(2026, 3, 9, 7, 0),  # Monday before opening
        statutory=days(5),
        policy=EXTEND,
    )
    assert new_due == vn(2026, 3, 13, 17, 0)


@pytest.mark.parametrize("policy", list(SupplementPolicy))
def test_supply_before_request_is_refused(policy: SupplementPolicy) -> None:
    with pytest.raises(InvalidValue):
        due_after_supplement(
            CAL,
            due_at=vn(2026, 3, 13, 17, 0),
            requested_at=vn(2026, 3, 10, 9, 0),
            supplied_at=vn(2026, 3, 10, 8, 59),
            statutory=days(5),
            policy=policy,
        )


@given(
    received=instants,
    t=statutory_times,
    wait_start=st.integers(0, 480 * 10),
    wait=st.integers(0, 480 * 10),
    policy=st.sampled_from(SupplementPolicy),
)
def test_supplement_never_shortens_the_deadline(
    received: datetime, t: StatutoryTime, wait_start: int, wait: int, policy: SupplementPolicy
) -> None:
    due = compute_due(CAL, received, t)
    requested = CAL.add_working_minutes(received, wait_start)
    supplied = CAL.add_working_minutes(requested, wait)
    new_due = due_after_supplement(
        CAL, due_at=due, requested_at=requested, supplied_at=supplied, statutory=t, policy=policy
    )
    if policy is RESTART:
        assert new_due >= supplied
    else:
        assert new_due >= due
        if requested <= due:
            assert new_due >= supplied
        assert CAL.working_minutes_between(due, new_due) >= wait


# -- timeliness -----------------------------------------------------------------------------


DUE = vn(2026, 3, 9, 17, 0)


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        (vn(2026, 3, 6, 16, 0), Timeliness.EARLY),  # the Friday before
        (vn(2026, 3, 8, 23, 59, 59), Timeliness.EARLY),  # Sunday night, local
        (vn(2026, 3, 9, 0, 0), Timeliness.ON_TIME),  # due day, local midnight
        (vn(2026, 3, 9, 9, 0), Timeliness.ON_TIME),
        (vn(2026, 3, 9, 17, 0), Timeliness.ON_TIME),  # at the deadline
        (vn(2026, 3, 9, 17, 0, 1), Timeliness.LATE),
        (vn(2026, 3, 10, 8, 0), Timeliness.LATE),
        # 2026-03-08 18:00 UTC is Mon 9 Mar 01:00 in Hanoi: the due day, not earlier.
        (datetime(2026, 3, 8, 18, 0, tzinfo=UTC), Timeliness.ON_TIME),
        # 2026-03-08 16:59 UTC is Sun 8 Mar 23:59 in Hanoi.
        (datetime(2026, 3, 8, 16, 59, tzinfo=UTC), Timeliness.EARLY),
    ],
)
def test_classify(done: datetime, expected: Timeliness) -> None:
    assert classify(CAL, done, DUE) == expected


def test_is_overdue() -> None:
    assert not is_overdue(vn(2026, 3, 9, 16, 59), DUE)
    assert not is_overdue(vn(2026, 3, 9, 17, 0), DUE)
    assert is_overdue(vn(2026, 3, 9, 17, 0, 1), DUE)
    assert is_overdue(datetime(2026, 3, 9, 10, 1, tzinfo=UTC), DUE)  # 17:01 in Hanoi
    with pytest.raises(InvalidValue):
        is_overdue(datetime(2026, 3, 9, 18, 0), DUE)


@pytest.mark.parametrize(
    ("start", "end", "elapsed"),
    [
        (vn(2026, 3, 9, 7, 30), vn(2026, 3, 9, 17, 0), Fraction(1)),
        (vn(2026, 3, 9, 7, 30), vn(2026, 3, 9, 11, 30), Fraction(1, 2)),
        (vn(2026, 3, 9, 16, 0), vn(2026, 3, 10, 8, 0), Fraction(90, 480)),
        (vn(2026, 2, 13, 7, 30), vn(2026, 2, 27, 17, 0), Fraction(6)),  # Tết in between
        (vn(2026, 3, 9, 10, 0), vn(2026, 3, 9, 9, 0), Fraction(0)),
    ],
)
def test_working_days_elapsed(start: datetime, end: datetime, elapsed: Fraction) -> None:
    result = working_days_elapsed(CAL, start, end)
    assert result == elapsed
    assert isinstance(result, Fraction)
