"""Work queues over the hand-built history of ``tests/support/history.py``.

Now is Fri 2026-05-08 14:00.

One working day from now ends Mon 05-11 14:00: Fri 14:00-17:00 (180 min) + Mon 07:30-11:30
(240) + 13:00-14:00 (60) = 480 office minutes; the weekend does not count.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.deadlines import SupplementPolicy
from domain.events import Desk
from domain.file import AdministrativeFile
from domain.procedures import Channel
from projections.models.rows import row_from_file
from projections.queries.queues import QueueEntry, format_working_time, queue
from tests.support.history import ALL, CAL, EXTRACT, NOW, PBD_COUNTER, PBD_OFFICER, ROWS, vn


def summary(entries: tuple[QueueEntry, ...]) -> list[tuple[str, int | None, bool, bool]]:
    return [(e.code, e.minutes_left, e.overdue, e.due_within_a_day) for e in entries]


def test_officer_queue() -> None:
    q = queue(ALL, now=NOW, calendar=CAL, officer=PBD_OFFICER)
    assert summary(q.entries) == [
        # F6 due Tue 05-05 17:00: overdue by Wed + Thu (960) + Fri 07:30-14:00 (300) = 1260
        ("PBD-260428-0001", -1260, True, False),
        # F9 due Mon 05-11 08:00: Fri 14:00-17:00 (180) + Mon 07:30-08:00 (30) = 210 minutes
        # left; 66 hours away on the wall clock, but within one working day.
        ("PBD-260508-0001", 210, False, True),
        # F10 due Mon 05-11 17:00: 180 + 480 = 660 left; after Mon 14:00, so not flagged.
        ("PBD-260506-0001", 660, False, False),
    ]
    # F11 waits for the citizen: its 13:30 appointment is past, but the clock is stopped.
    assert summary(q.awaiting_supplement) == [("PBD-260505-0001", None, False, False)]
    assert (q.overdue, q.due_within_a_day, len(q)) == (1, 1, 4)
    first = q.entries[0]
    assert first.appointment == vn(5, 5, 17) and first.since == vn(4, 28, 9, 30)
    assert first.holder == "lan.nguyen / justice / PBD"
    assert (first.procedure, first.state) == ("marital_status_confirmation", "in_progress")
    rendered = [format_working_time(e.minutes_left) for e in q.entries + q.awaiting_supplement]
    assert rendered == ["-2 d 5 h", "3 h 30 min", "1 d 3 h", "—"]
    # in words, for a pipe where no colour shows which are late (issue 18)
    told = [e.time_left() for e in q.entries + q.awaiting_supplement]
    assert told == ["overdue 2 d 5 h", "3 h 30 min", "1 d 3 h", "clock stopped"]
    # past its appointment but no office time since (after hours, a day off): still overdue
    assert replace(first, minutes_left=0).time_left() == "overdue"
    assert replace(first, minutes_left=-135).time_left() == "overdue 2 h 15 min"
    assert replace(first, minutes_left=-540).time_left(minutes_per_day=540) == "overdue 1 d"


def test_department_queue_spans_officers_and_units() -> None:
    q = queue(ALL, now=NOW, calendar=CAL, department="justice")
    assert summary(q.entries) == [
        ("PBD-260428-0001", -1260, True, False),
        ("PBD-260508-0001", 210, False, True),
        # F13 (PHK, hoa.pham): the apology moved it to Mon 05-11 11:30: 180 + 240 = 420 left,
        # before Mon 14:00. Its statutory date (Wed 05-06) has passed; the appointment rules.
        ("PHK-260429-0001", 420, False, True),
        ("PBD-260506-0001", 660, False, False),
    ]
    assert [e.code for e in q.awaiting_supplement] == ["PBD-260505-0001"]
    only_phk = queue(ALL, now=NOW, calendar=CAL, department="justice", unit="PHK")
    assert [e.code for e in only_phk.entries] == ["PHK-260429-0001"]
    assert queue(ALL, now=NOW, calendar=CAL, department="one-stop").entries == ()


def test_closed_files_are_never_queued() -> None:
    everything = queue(ALL, now=NOW, calendar=CAL)
    codes = {e.code for e in everything.entries + everything.awaiting_supplement}
    open_codes = {r.code for r in ALL if r.is_open}
    assert codes == open_codes == {ROWS[k].code for k in ("F6", "F9", "F10", "F11", "F13")}


def test_unit_matches_the_receiving_unit_or_the_holding_agency() -> None:
    # F10 sent to the ward police's residence inbox: both PBD (its unit) and CAHK (holding
    # it) see it; the officer no longer does.
    at_police = replace(
        ROWS["F10"], holder_officer="", holder_department="residence", holder_agency="CAHK"
    )
    rows = [r for r in ALL if r.code != at_police.code] + [at_police]
    assert [e.code for e in queue(rows, now=NOW, calendar=CAL, unit="CAHK").entries] == [
        "PBD-260506-0001"
    ]
    pbd = queue(rows, now=NOW, calendar=CAL, unit="PBD")
    assert "PBD-260506-0001" in {e.code for e in pbd.entries}
    officer = queue(rows, now=NOW, calendar=CAL, officer=PBD_OFFICER)
    assert "PBD-260506-0001" not in {e.code for e in officer.entries}
    police = queue(rows, now=NOW, calendar=CAL, unit="CAHK").entries[0]
    assert police.holder == "(inbox) / residence / CAHK"


def test_due_within_a_day_across_the_holidays() -> None:
    # Wed 2026-04-29 14:00: Thu 04-30 and Fri 05-01 are holidays, then the weekend, so one
    # working day ends Mon 05-04 14:00 (Wed 180 + Mon 300).
    now = vn(4, 29, 14)

    def received(code: str, at_hour: int, at_minute: int) -> AdministrativeFile:
        f = AdministrativeFile.receive(
            code=code, procedure=EXTRACT, channel=Channel.ONLINE, unit="PBD",
            counter="counter-1", department="one-stop", documents=("Tờ khai",),
            applicant_ref="applicant", applicant_sealed="sealed", actor=PBD_COUNTER,
            at=vn(4, 29, at_hour, at_minute), calendar=CAL,
            supplement_policy=SupplementPolicy.EXTEND,
        )  # fmt: skip
        f.hand_off(actor=PBD_COUNTER, to=Desk(PBD_OFFICER, "justice", "PBD"), note="", at=now)
        return f

    # 13:30 + 240: Wed 13:30-17:00 (210), Mon 05-04 07:30-08:00 (30): due Mon 08:00.
    monday = row_from_file(received("PBD-260429-0001", 13, 30), CAL)
    # 09:00 + 240: 09:00-11:30 (150), 13:00-14:30 (90): due Wed 14:30, half an hour left.
    today = row_from_file(received("PBD-260429-0002", 9, 0), CAL)
    assert (monday.due_at, today.due_at) == (vn(5, 4, 8), vn(4, 29, 14, 30))
    q = queue([monday, today], now=now, calendar=CAL, officer=PBD_OFFICER)
    assert summary(q.entries) == [
        ("PBD-260429-0002", 30, False, True),
        ("PBD-260429-0001", 210, False, True),
    ]
    # At 14:30 sharp the second is due, not overdue; a minute later it is overdue by 1 minute,
    # and at 17:00 it is overdue by 150; over the holidays no more office time passes.
    at_due = queue([today], now=vn(4, 29, 14, 30), calendar=CAL).entries[0]
    assert (at_due.minutes_left, at_due.overdue, at_due.due_within_a_day) == (0, False, True)
    late = queue([today], now=vn(4, 29, 14, 31), calendar=CAL).entries[0]
    assert (late.minutes_left, late.overdue, late.due_within_a_day) == (-1, True, False)
    holiday = queue([today], now=vn(5, 1, 10), calendar=CAL).entries[0]
    assert (holiday.minutes_left, holiday.overdue) == (-150, True)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "—"),
        (0, "0 min"),
        (45, "45 min"),
        (60, "1 h"),
        (195, "3 h 15 min"),
        (480, "1 d"),
        (2 * 480 + 180, "2 d 3 h"),
        (2 * 480 + 185, "2 d 3 h"),  # minutes are dropped once it is a day or more
        (-1260, "-2 d 5 h"),
        (-1, "-1 min"),
    ],
)
def test_format_working_time(minutes: int | None, text: str) -> None:
    assert format_working_time(minutes) == text


def test_format_working_time_other_day_length() -> None:
    assert format_working_time(540, minutes_per_day=540) == "1 d"
    with pytest.raises(ValueError, match="positive"):
        format_working_time(10, minutes_per_day=0)
