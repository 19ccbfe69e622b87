"""The signed working calendar (issue 17, part 4), on SQLite and PostgreSQL: deadlines come from the
years the authority published in the ledger, not from the installed ``holidays`` package; a later
publication is in force from its place in the log (the audit's rule replay follows it); a year
nobody published is refused; a publication the registry's rule forbids fails the audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import holidays
import pytest
from eventsourcing.persistence import StoredEvent

from domain.calendar import VN_TZ, in_force, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.errors import CalendarNotPublished
from domain.working_year import YearDays, proposed_year
from ledger.audit.full import audit_report
from ledger.audit.rules import RuleSettings, rules_report, store_rows
from ledger.chain.calendar import publications
from ledger.chain.rule_replay import replay_report
from ledger.chain.service import Ledger
from ledger.encoding.envelope import build, decode
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from projections.models.rows import FileRow
from projections.models.storage import file_rows
from signing import Signer
from signing.registry import REGISTRY_STREAM
from tests.support.cast import LOG_SIGNER, ORIGIN, T0, Cast, make_ledger
from tests.support.clock import Clock
from tests.support.lifecycle import receive_file
from tests.support.projections import host_for, pg_url_of, snapshot

JUNE_4 = date(2027, 6, 4)
RULES = RuleSettings(vietnam_calendar(), SupplementPolicy.EXTEND)
PROCEDURE = "birth_residence_insurance"  # 5 working days


def local(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, tzinfo=VN_TZ).astimezone(UTC)


def server_at(ledger: Ledger, at: datetime) -> None:
    """The server receives what is written next at ``at`` (events are never dated after it)."""
    clock = ledger.clock
    assert isinstance(clock, Clock)
    clock.set(at)


def receive(ledger: Ledger, cast: Cast, at: datetime) -> tuple[str, datetime]:
    server_at(ledger, at)
    code = receive_file(ledger, cast, at, procedure=PROCEDURE)
    return code, ledger.load(code).file.due_at


def publish(
    ledger: Ledger, cast: Cast, days: YearDays, source: str = "Thông báo 1/TB-VPCP"
) -> None:
    ledger.publish_calendar(
        signer=cast.authority, actor="authority", days=days, source=source, at=ledger.clock()
    )


def due_day(due: datetime) -> date:
    return due.astimezone(VN_TZ).date()


def test_deadlines_come_from_the_published_year_whatever_the_package_says(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    publish(ledger, cast, proposed_year(2027))
    code, due = receive(ledger, cast, local(2027, 2, 3))  # Wednesday, the day before Tết
    # Tết (Thu 4 to Wed 10) skipped: Thu 11, Fri 12, Mon 15, Tue 16, Wed 17
    assert due_day(due) == date(2027, 2, 17)

    # Another install, whose holidays package knows no Tết in 2027 (a version that moved it)
    real = holidays.country_holidays

    def without_tet(country: str, years: Any = None, **kw: Any) -> Any:
        found = real(country, years=years, **kw)
        for d in [d for d in found if d.year == 2027 and d.month == 2]:
            del found[d]
        return found

    monkeypatch.setattr(holidays, "country_holidays", without_tet)
    other_base = vietnam_calendar()
    assert other_base.is_working_day(date(2027, 2, 8)), "the package of the other install differs"
    other = Ledger(
        store, origin=ORIGIN, authority_key=cast.authority.public_key, calendar=other_base
    )
    other.clock = ledger.clock
    _again, due_again = receive(other, cast, local(2027, 2, 3))
    assert due_again == due, "the same history gives the same deadline on every install"
    assert ledger.load(code).file.due_at == due  # and what was stored stays as it was
    # the audit on that install replays every rule exactly, from the calendar in the log
    report = rules_report(store, RuleSettings(other_base, SupplementPolicy.EXTEND))
    assert report.ok, report.failure
    assert report.events >= 2
    other.close()


def test_an_amendment_is_in_force_from_its_place_in_the_log(store: EventStore, cast: Cast) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    first = proposed_year(2027)
    publish(ledger, cast, first)
    before, due_before = receive(ledger, cast, local(2027, 6, 1))  # Tuesday 1 June 2027
    assert due_day(due_before) == date(2027, 6, 8)  # Wed 2, Thu 3, Fri 4, Mon 7, Tue 8
    amended = YearDays(2027, first.holidays, first.makeup_working_days, frozenset({JUNE_4}))
    publish(ledger, cast, amended, "Quyết định 9/QĐ-UBND: nghỉ bù ngày 4/6")  # on 1 June
    _after, due_after = receive(ledger, cast, local(2027, 6, 1, 10))
    assert due_day(due_after) == date(2027, 6, 9)  # Friday 4 June is now a day off
    assert ledger.load(before).file.due_at == due_before  # the earlier deadline stands
    assert rules_report(store, RULES).ok  # the replay puts the amendment in force where it is

    # replayed with the latest calendar for the whole history, the earlier receipt would not
    # match: the order of the log is what decides which calendar a deadline came from
    files_only = ((p, s) for p, s in store_rows(store) if decode(s).stream != REGISTRY_STREAM)
    latest = RuleSettings(in_force(vietnam_calendar(), {2027: amended}), SupplementPolicy.EXTEND)
    failure = replay_report(files_only, latest).failure
    assert failure is not None and failure.stream == before


def test_a_year_nobody_published_is_refused_and_nothing_is_written(
    store: EventStore, cast: Cast
) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    publish(ledger, cast, proposed_year(2027))
    code, _due = receive(ledger, cast, local(2027, 12, 1))
    written = store.max_position()
    with pytest.raises(CalendarNotPublished, match="calendar of 2028 is not published"):
        receive(ledger, cast, local(2028, 1, 4))
    with pytest.raises(CalendarNotPublished, match="2028"):  # its deadline would reach 2028
        receive(ledger, cast, local(2027, 12, 29))
    server_at(ledger, local(2028, 1, 4))
    with pytest.raises(CalendarNotPublished, match="2028"):  # any step, in a year not published
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=local(2028, 1, 4),
            command=lambda f: f.submit_for_signature(
                actor="an", leader="chutich", at=local(2028, 1, 4)
            ),
        )
    assert store.max_position() == written
    publish(ledger, cast, proposed_year(2028))
    receive(ledger, cast, local(2028, 1, 4))  # published now: received


def _forge_publication(
    ledger: Ledger, key: Signer, actor: str, days: YearDays, recorded: datetime
) -> None:
    """A calendar publication signed by ``key``, chained to the registry's head, written
    straight into the store (no rule checked): the insider's way in."""
    head = ledger.store.stream(REGISTRY_STREAM)[-1]
    env = build(
        origin=ORIGIN,
        stream=REGISTRY_STREAM,
        version=head.originator_version + 1,
        type_="WorkingCalendarPublished",
        occurred_at=recorded,
        actor=actor,
        key_id=key.key_id,
        payload={
            "extra_days_off": sorted(d.isoformat() for d in days.extra_days_off),
            "holidays": sorted(d.isoformat() for d in days.holidays),
            "makeup_working_days": sorted(d.isoformat() for d in days.makeup_working_days),
            "source": "giả mạo",
            "year": days.year,
        },
        prev_hash=decode(head.state).hash(),
    ).sign(key)
    env = env.received(recorded)
    stored = StoredEvent(REGISTRY_STREAM, env.version, env.type, env.to_bytes())
    ledger.store.append([stored])


def _audit_failure(ledger: Ledger, cast: Cast) -> str:
    report = audit_report(
        ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key, workers=1
    )
    assert report.failure is not None, "the audit must refuse the forged publication"
    return str(report.failure)


def test_a_calendar_published_by_a_unit_administrator_fails_the_audit(
    store: EventStore, cast: Cast
) -> None:
    ledger = make_ledger(store, cast)
    now = datetime.now(UTC)
    _forge_publication(ledger, cast.admin, "admin", proposed_year(2030), now)
    assert "admin may not publish the working calendar" in _audit_failure(ledger, cast)


def test_a_day_already_past_changed_by_the_authority_fails_the_audit(
    store: EventStore, cast: Cast
) -> None:
    ledger = make_ledger(store, cast)
    publish(ledger, cast, proposed_year(2027))
    assert audit_report(
        ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key, workers=1
    ).ok
    first = proposed_year(2027)
    changed = YearDays(2027, first.holidays, extra_days_off=frozenset({date(2027, 3, 3)}))
    recorded = local(2027, 6, 1)  # the server's time says March is past
    _forge_publication(ledger, cast.authority, "authority", changed, recorded)
    assert "cannot change a day already past: 2027-03-03" in _audit_failure(ledger, cast)


def test_the_read_models_count_office_time_with_the_published_calendar(
    store: EventStore, cast: Cast
) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    host = host_for(store, ledger, None if store.dialect == "sqlite" else pg_url_of(store))
    host.catch_up_all()  # the host starts with the package's calendar (Tết off)
    no_tet = YearDays(2027, frozenset({date(2027, 1, 1)}))  # a province that worked through Tết
    publish(ledger, cast, no_tet)
    code, _due = receive(ledger, cast, local(2027, 2, 3, 8))
    server_at(ledger, local(2027, 2, 10, 8))
    ledger.execute(
        code,
        signer=cast.officer,
        actor="an",
        at=local(2027, 2, 10, 8),
        command=lambda f: f.refuse(actor="an", reason="thiếu giấy tờ", at=local(2027, 2, 10, 8)),
    )
    host.catch_up_all()
    (row,) = [r for r in file_rows(store) if r.code == code]
    assert isinstance(row, FileRow)
    # Wed 3 08:00 to Wed 10 08:00: five working days of 480 minutes, Tết included as work
    assert row.processing_minutes == 5 * 480
    live = snapshot(store)
    assert host.rebuild_all()
    assert snapshot(store) == live
    host.close()


def test_the_publications_are_read_back_as_the_ledger_stored_them(
    store: EventStore, cast: Cast
) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    publish(ledger, cast, proposed_year(2027))
    server_at(ledger, local(2027, 6, 1))
    amended = YearDays(2027, proposed_year(2027).holidays, extra_days_off=frozenset({JUNE_4}))
    publish(ledger, cast, amended, "QĐ 9")
    first, second = publications(store)
    assert (first.days, second.days) == (proposed_year(2027), amended)
    assert (second.actor, second.source, second.key_id) == (
        "authority",
        "QĐ 9",
        cast.authority.key_id,
    )
    assert first.version < second.version and first.at < local(2027, 6, 1) <= second.at
    assert ledger.registry().calendars[2027] == amended
    assert ledger.calendar.published == frozenset({2027})


def test_a_bundle_names_the_calendar_its_deadlines_came_from(store: EventStore, cast: Cast) -> None:
    ledger = make_ledger(store, cast, Clock(T0))
    publish(ledger, cast, proposed_year(2027), "Thông báo 1/TB-VPCP")
    code, _due = receive(ledger, cast, local(2027, 6, 1))
    server_at(ledger, local(2027, 6, 2))
    amended = YearDays(2027, proposed_year(2027).holidays, extra_days_off=frozenset({JUNE_4}))
    publish(ledger, cast, amended, "QĐ 9")  # after the file's last event: not what it used
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    report = verify_bundle_report(
        build_bundle(log, code, log.make_checkpoint(LOG_SIGNER, local(2027, 6, 3))),
        LOG_SIGNER.vkey(),
    )
    assert report.ok, report.failures
    (used,) = report.calendars  # 2028 (where a deadline could fall) is not published
    assert (used.year, used.source) == (2027, "Thông báo 1/TB-VPCP")
    assert used.leaf_index < report.timeline[0].leaf_index
