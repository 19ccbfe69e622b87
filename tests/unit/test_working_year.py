"""The working calendar as the province publishes it (issue 17, part 4): a year's days, the calendar
in force built from the years published, and the registry's rule for who publishes and what a
later publication may change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import WorkingCalendar, in_force, vietnam_calendar
from domain.errors import CalendarNotPublished, InvalidValue
from domain.working_year import YearDays, proposed_year
from signing import PrivateKeySigner, generate_private_key
from signing.errors import RegistryRefused
from signing.registry import KeyRegistry, Role

TET_2027 = [date(2027, 2, d) for d in range(4, 11)]  # Thu 4 to Wed 10 February 2027


def test_the_package_proposes_tet_2027_and_the_local_days() -> None:
    days = proposed_year(
        2027, makeup_working_days=[date(2027, 2, 20)], extra_days_off=[date(2027, 2, 11)]
    )
    assert set(TET_2027) <= days.holidays
    assert date(2027, 2, 20) in days.makeup_working_days
    assert date(2027, 2, 11) in days.extra_days_off
    assert not days.is_working_day(date(2027, 2, 11))
    assert days.is_working_day(date(2027, 2, 20))  # a Saturday made a working day


@pytest.mark.parametrize(
    ("holidays", "makeup", "extra", "message"),
    [
        ({date(2026, 12, 31)}, set(), set(), "must be dates of 2027"),
        (set(), {date(2027, 3, 3)}, set(), "2027-03-03 is a weekday"),
        (set(), set(), {date(2027, 3, 6)}, "2027-03-06 is a Saturday or Sunday"),
        ({date(2027, 2, 6)}, {date(2027, 2, 6)}, set(), "both a day off and a make-up"),
    ],
)
def test_a_year_that_is_not_one_is_refused(
    holidays: set[date], makeup: set[date], extra: set[date], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        YearDays(2027, frozenset(holidays), frozenset(makeup), frozenset(extra))


def test_a_year_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"2000\.\.2199"):
        YearDays(1999, frozenset())
    with pytest.raises(InvalidValue, match=r"2000\.\.2199"):
        proposed_year(2200)


def test_the_calendar_in_force_counts_only_the_years_published() -> None:
    base = vietnam_calendar()
    assert in_force(base, {}) is base  # nothing published: a ledger from before
    only_2027 = YearDays(2027, frozenset({date(2027, 3, 3)}))  # not Tết: a made-up year
    cal = in_force(base, {2027: only_2027})
    assert not cal.is_working_day(date(2027, 3, 3))
    assert cal.is_working_day(date(2027, 2, 8))  # Tết is not in what was published
    with pytest.raises(CalendarNotPublished, match="hoso calendar publish 2028"):
        cal.is_working_day(date(2028, 1, 3))
    with pytest.raises(CalendarNotPublished):  # a deadline that runs into 2028
        cal.add_working_days(date(2027, 12, 30), 3)
    with pytest.raises(CalendarNotPublished):
        cal.require_published(datetime(2028, 1, 3, 1, tzinfo=UTC))
    cal.require_published(datetime(2027, 12, 31, 16, 59, tzinfo=UTC))  # 23:59 on 31/12 in Hanoi
    with pytest.raises(CalendarNotPublished):  # 00:00 on 1/1/2028 in Hanoi
        cal.require_published(datetime(2027, 12, 31, 17, 0, tzinfo=UTC))
    lenient = cal.lenient()
    assert lenient.is_working_day(date(2028, 1, 3))  # a read counts it Monday to Friday
    assert not lenient.is_working_day(date(2027, 3, 3))


def test_a_year_published_again_replaces_that_year_only() -> None:
    base = vietnam_calendar()
    cal = in_force(base, {2026: proposed_year(2026), 2027: proposed_year(2027)})
    amended = cal.with_year(
        YearDays(2027, proposed_year(2027).holidays, extra_days_off=frozenset({date(2027, 6, 1)}))
    )
    assert not amended.is_working_day(date(2027, 6, 1))
    assert cal.is_working_day(date(2027, 6, 1))
    assert amended.is_working_day(date(2026, 6, 1)) == cal.is_working_day(date(2026, 6, 1))
    assert amended.published == frozenset({2026, 2027})


def test_a_deadline_across_tet_2027_comes_from_the_published_year() -> None:
    base = vietnam_calendar()
    published = in_force(base, {2027: proposed_year(2027)})
    # 5 working days after Wednesday 3 February 2027: Tết (4-10) skipped, then 11, 12, 15, 16, 17
    assert published.add_working_days(date(2027, 2, 3), 5) == date(2027, 2, 17)
    without_tet = in_force(base, {2027: YearDays(2027, frozenset())})
    assert without_tet.add_working_days(date(2027, 2, 3), 5) == date(2027, 2, 10)


AUTHORITY = PrivateKeySigner(generate_private_key(bytes([1]) * 32))
ADMIN = PrivateKeySigner(generate_private_key(bytes([2]) * 32))
T0 = datetime(2026, 12, 1, 2, tzinfo=UTC)


def registry() -> KeyRegistry:
    r = KeyRegistry.establish(
        origin="test", authority="authority", public_key=AUTHORITY.public_key, at=T0
    )
    r.register(
        actor="authority",
        holder="admin",
        role=Role.UNIT_ADMIN,
        unit="PTEST",
        public_key=ADMIN.public_key,
        valid_from=T0,
        at=T0,
    )
    return r


def test_only_the_authority_publishes_naming_its_source() -> None:
    r = registry()
    days = proposed_year(2027)
    with pytest.raises(RegistryRefused, match="admin may not publish the working calendar"):
        r.publish_calendar(actor="admin", days=days, source="QĐ 1", at=T0)
    with pytest.raises(RegistryRefused, match="names the decision"):
        r.publish_calendar(actor="authority", days=days, source="  ", at=T0)
    r.publish_calendar(actor="authority", days=days, source="Thông báo 1/TB-VPCP", at=T0)
    assert r.calendars[2027] == days
    assert r.calendar_revision == 1


def test_a_later_publication_changes_only_days_still_to_come() -> None:
    r = registry()
    first = proposed_year(2027)
    r.publish_calendar(actor="authority", days=first, source="QĐ 1", at=T0)
    with pytest.raises(RegistryRefused, match="already published as given"):
        r.publish_calendar(actor="authority", days=first, source="QĐ 1", at=T0)
    on = datetime(2027, 5, 10, 3, tzinfo=UTC)  # Monday 10 May 2027, 10:00 in Hanoi

    def with_off(d: date) -> YearDays:
        return YearDays(2027, first.holidays, first.makeup_working_days, frozenset({d}))

    for past in (date(2027, 3, 3), date(2027, 5, 10)):  # before, and the day itself
        with pytest.raises(RegistryRefused, match=f"cannot change a day already past: {past}"):
            r.publish_calendar(actor="authority", days=with_off(past), source="QĐ 2", at=on)
    r.publish_calendar(actor="authority", days=with_off(date(2027, 5, 11)), source="QĐ 2", at=on)
    assert not r.calendars[2027].is_working_day(date(2027, 5, 11))
    # a year already over cannot change at all; one never published may be published late
    late = on + timedelta(days=365)
    with pytest.raises(RegistryRefused, match="already past"):
        r.publish_calendar(
            actor="authority", days=with_off(date(2027, 12, 31)), source="QĐ 3", at=late
        )
    r.publish_calendar(actor="authority", days=proposed_year(2025), source="QĐ 4", at=late)


def test_the_calendar_keeps_its_office_hours_and_zone() -> None:
    base = WorkingCalendar(frozenset())
    cal = in_force(base, {2027: proposed_year(2027)})
    assert (cal.office_hours, cal.same_day_cutoff, cal.tz) == (
        base.office_hours,
        base.same_day_cutoff,
        base.tz,
    )
