"""Transparency figures against the small hand-built history of ``tests/support/history.py``
(its docstring has the table of the twelve files), every number worked out by hand. Files are
judged at their processing end (the result signed, or refused, stopped, withdrawn), never at
the return (issue 17)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from projections.queries.figures import (
    ChannelCounts,
    Figures,
    InProgressCounts,
    RatingCounts,
    ResolvedCounts,
    by_procedure,
    render_days,
    render_ratio,
    transparency,
)
from projections.queries.periods import Period, parse_period
from tests.support.history import (
    ALL,
    CAL,
    EXTRACT,
    MARITAL,
    NOW,
    ROWS,
    vn,
)

APRIL, MAY, Q2 = parse_period("2026-04"), parse_period("2026-05"), parse_period("2026-Q2")


def test_the_history_as_worked_out_by_hand() -> None:
    r = ROWS
    # Deadlines: F3 received Wed 04-22 -> Thu 23, Fri 24, (Mon 27 holiday) Tue 28.
    assert r["F3"].due_at == vn(4, 28, 17)
    assert r["F3"].appointment_at == vn(4, 29, 11, 30)  # the apology's date
    # F4 due Wed 04-29 17:00 (Fri 24, Tue 28, Wed 29), then extended by the wait
    # Fri 04-24 10:00 -> Tue 05-05 08:30 = 330 + 480 (Tue 28) + 480 (Wed 29) + 480 (Mon 05-04)
    # + 60 = 1830 min; Wed 29 17:00 + 1830 = Mon 480, Tue 480, Wed 480, Thu 390 -> Thu 05-07
    # 15:30, rounded up to that day's closing.
    assert r["F4"].supplement_wait_minutes == 1830
    assert r["F4"].due_at == vn(5, 7, 17)
    # F12 arrived on the Monday holiday: the clock starts Tue 04-28 07:30 -> Wed 29, Mon 4, Tue 5.
    assert r["F12"].due_at == vn(5, 5, 17)
    assert r["F6"].due_at == vn(5, 5, 17)  # Tue 04-28 -> Wed 29, Mon 05-04, Tue 05-05
    assert r["F10"].due_at == vn(5, 11, 17)  # Wed 05-06 -> Thu 7, Fri 8, Mon 11
    assert r["F13"].due_at == vn(5, 6, 17)  # Wed 04-29 -> Mon 4, Tue 5, Wed 6
    # Extracts, 240 office minutes: F2 Tue 15:00 +120, Wed 07:30 +120 = Wed 04-22 09:30;
    # F5 Fri 16:00 +60, (Mon holiday) Tue 07:30 +180; F11 08:00 +210, 13:00 +30;
    # F9 Fri 13:30 +210, Mon 07:30 +30.
    assert r["F2"].due_at == vn(4, 22, 9, 30)
    assert r["F5"].due_at == vn(4, 28, 10, 30)
    assert r["F11"].due_at == vn(5, 5, 13, 30)
    assert r["F9"].due_at == vn(5, 11, 8)
    # the verdict at the processing end: the signing, or the refusal / withdrawal
    timeliness = {k: v.timeliness for k, v in r.items() if v.timeliness}
    assert timeliness == {
        "F1": "early",  # signed Wed 04-22 09:00, before the due day Thu 04-23
        "F2": "early",  # signed Tue 04-21 16:30, the day before its due Wed 04-22 09:30
        "F3": "late",  # signed Wed 04-29 after the due day Tue 04-28 (the apology excuses nothing)
        "F4": "on_time",  # signed Thu 05-07 14:00, the due day, before 17:00
        "F5": "early",  # refused Fri 04-24 16:30, due Tue 04-28 10:30
        "F7": "on_time",  # withdrawn Wed 05-06 10:00, due that day at 13:00
        "F12": "early",  # signed Wed 04-29, before Tue 05-05
    }
    # F2 was returned Wed 09:00 but signed Tue 16:30: at return it would have been on time,
    # at its processing end it was early
    assert r["F2"].processing_ended_at == vn(4, 21, 16, 30)
    processing = {k: v.processing_minutes for k, v in r.items() if v.processing_minutes}
    assert processing == {
        "F1": 210 + 240 + 480 + 90,  # Mon 08:00-17:00, Tue, Wed 07:30-09:00 = 1020
        "F2": 90,  # Tue 15:00-16:30
        "F3": 180 + 480 + 480 + 480 + 90,  # Wed 22 from 14:00, Thu, Fri, Tue 28, Wed 29 = 1710
        # Thu 04-23 from 09:00 (390), Fri, Tue, Wed, Mon, Tue, Wed (6 x 480), Thu 05-07 to
        # 14:00 (300) = 3570, less the 1830 minutes waiting for the citizen = 1740
        "F4": 390 + 6 * 480 + 300 - 1830,
        "F5": 30,  # Fri 16:00-16:30
        "F7": 60,  # Wed 09:00-10:00
        "F12": 480 + 360,  # (Mon 27 a holiday) Tue 28, Wed 29 07:30-15:00 = 840
    }


def check(f: Figures, expected: Figures, derived: dict[str, Fraction | int | None]) -> None:
    assert f == expected
    actual = {
        "handled": f.handled,
        "progress": f.progress,
        "receiving_satisfaction": f.receiving_satisfaction,
        "on_time_rate": f.on_time_rate,
        "online_share": f.online_share,
        "online_payment_share": f.online_payment_share,
        "satisfied_share": f.satisfied_share,
    }
    assert actual == derived


def figures(period: Period, as_of: datetime, unit: str | None = None, **kw: Any) -> Figures:
    base = Figures(
        period=period, as_of=as_of, unit=unit, procedure=None, received=ChannelCounts(),
        resolved=ResolvedCounts(), in_progress=InProgressCounts(), refused=0, withdrawn=0,
        stopped=0, supplement_requests=0, apologies=0, processing_days_average=None,
        processing_days_median=None, fee_charged_files=0, fee_paid_online_files=0,
        ratings=RatingCounts(), handled_dissatisfied=0,
    )  # fmt: skip
    return replace(base, **kw)


END_OF_APRIL = vn(5, 1, 0)


def test_april_pbd() -> None:
    f = transparency(ALL, APRIL, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        APRIL, END_OF_APRIL, "PBD",  # as of min(period end, now) = 05-01 00:00
        received=ChannelCounts(in_person=2, online=3),  # F1 F3 | F2 F4 F6
        resolved=ResolvedCounts(early=2, late=1),  # F1 F2 | F3 (ended in April)
        # At 05-01 00:00: F4 (signed 05-07; due Thu 05-07 17:00) and F6 (due Tue 05-05
        # 17:00) have not ended and are not yet past their deadlines.
        in_progress=InProgressCounts(on_time=2),
        supplement_requests=1,  # F4 (received in April)
        apologies=1,  # F3
        # received in April with a result: (1020 + 90 + 1710 + 1740) / 4 / 480 = 1140 / 480
        # = 19/8; median (1020 + 1710) / 2 = 1365 min = 91/32
        processing_days_average=Fraction(19, 8),
        processing_days_median=Fraction(91, 32),
        fee_charged_files=3, fee_paid_online_files=2,  # F1 counter, F2 F6 online
        ratings=RatingCounts(satisfied=1, neutral=1, dissatisfied=1),  # F1 F2 F3
        handled_dissatisfied=1,  # F3
        received_online_with_result=2,  # F2 F4 (F6 has no result yet)
        ended_with_result=3,  # F1 F2 F3
        procedures_paid_online=frozenset({EXTRACT.code, MARITAL.code}),  # F2 | F6
    )  # fmt: skip
    check(f, expected, {
        "handled": 5,  # 3 ended + 2 in progress
        "progress": Fraction(4, 5),  # (F1 F2 early + F4 F6 in time) / 5
        "receiving_satisfaction": Fraction(3, 5),  # 1 - 1/5 late (F3) - 1/5 dissatisfied (F3)
        "on_time_rate": Fraction(2, 3),
        "online_share": Fraction(3, 5),
        "online_payment_share": Fraction(2, 3),
        "satisfied_share": Fraction(1, 3),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "2.38"  # 2.375 rounds half up
    assert render_days(f.processing_days_median) == "2.84"  # 2.84375
    assert render_ratio(f.progress) == "80.00%"
    assert render_ratio(f.on_time_rate) == "66.67%"


def test_april_phk() -> None:
    f = transparency(ALL, APRIL, now=NOW, calendar=CAL, unit="PHK")
    expected = figures(
        APRIL, END_OF_APRIL, "PHK",
        # F5 F13 in person; F12 online (Mon 04-27 20:00 local is still April)
        received=ChannelCounts(in_person=2, online=1),
        # F5 refused Fri 04-24 and F12 signed Wed 04-29 (returned only 05-04): both ended early
        # in April; F13 (due 05-06 17:00) in progress in time at 05-01 00:00.
        resolved=ResolvedCounts(early=2),
        in_progress=InProgressCounts(on_time=1),
        refused=1,  # F5
        apologies=1,  # F13 (issued in May, counted with the file's April receipt)
        processing_days_average=Fraction(7, 4), processing_days_median=Fraction(7, 4),  # F12
        fee_charged_files=2, fee_paid_online_files=1,  # F12 online, F13 counter
        ratings=RatingCounts(dissatisfied=1),  # F5, refused and rated in April
        handled_dissatisfied=1,  # F5: refused after acceptance, a handled file
        received_online_with_result=1, ended_with_result=1,  # F12
        procedures_paid_online=frozenset({"marital_status_confirmation"}),  # F12
    )  # fmt: skip
    check(f, expected, {
        "handled": 3,  # a refusal after acceptance counts: F5 F12 F13
        "progress": Fraction(1),
        "receiving_satisfaction": Fraction(2, 3),  # 1 - 0 late - 1/3 dissatisfied (F5)
        "on_time_rate": Fraction(1),
        "online_share": Fraction(1, 3),
        "online_payment_share": Fraction(1, 2),
        "satisfied_share": Fraction(0),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "1.75"


def test_q2_pbd() -> None:
    f = transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        Q2, NOW, "PBD",  # the quarter has not ended: as of now
        received=ChannelCounts(in_person=3, online=4, postal=1),  # F1 F3 F11 | F2 F4 F6 F9 | F10
        resolved=ResolvedCounts(early=2, on_time=1, late=1),  # F1 F2 | F4 | F3
        # Now (Fri 05-08 14:00): F6 past Tue 05-05 17:00 -> overdue; F9 (Mon 08:00) and F10
        # (Mon 17:00) in time; F11 waits for the citizen after one request made at 09:00,
        # before its 13:30 deadline: judged at the request, in time.
        in_progress=InProgressCounts(on_time=3, overdue=1, awaiting_supplement=1),
        supplement_requests=2,  # F4, F11
        apologies=1,  # F3
        processing_days_average=Fraction(19, 8),  # as in April: F1 F2 F3 F4
        processing_days_median=Fraction(91, 32),
        fee_charged_files=3, fee_paid_online_files=2,  # F1 counter, F2 F6 online
        ratings=RatingCounts(satisfied=2, neutral=1, dissatisfied=1),  # F1 F4 | F2 | F3
        handled_dissatisfied=1,  # F3
        received_online_with_result=2, ended_with_result=4,  # F2 F4 | F1 F2 F3 F4
        procedures_paid_online=frozenset({EXTRACT.code, MARITAL.code}),
    )  # fmt: skip
    check(f, expected, {
        "handled": 8,
        "progress": Fraction(3, 4),  # (2 + 1 + 3) / 8
        "receiving_satisfaction": Fraction(5, 8),  # 1 - 2/8 late (F3, F6) - 1/8 (F3)
        "on_time_rate": Fraction(3, 4),
        "online_share": Fraction(1, 2),
        "online_payment_share": Fraction(2, 3),
        "satisfied_share": Fraction(1, 2),
    })  # fmt: skip


def test_q2_phk() -> None:
    f = transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PHK")
    expected = figures(
        Q2, NOW, "PHK",
        received=ChannelCounts(in_person=3, online=1),  # F5 F7 F13 | F12
        resolved=ResolvedCounts(early=2, on_time=1),  # F5 F12 | F7 (withdrawn before 13:00)
        # F13: due Wed 05-06 17:00; its apology's appointment (05-11) excuses nothing
        in_progress=InProgressCounts(overdue=1),
        refused=1, withdrawn=1,  # F5, F7
        apologies=1,  # F13
        processing_days_average=Fraction(7, 4), processing_days_median=Fraction(7, 4),  # F12
        fee_charged_files=2, fee_paid_online_files=1,  # F12 online, F13 counter
        ratings=RatingCounts(satisfied=1, dissatisfied=1),  # F12 | F5
        handled_dissatisfied=1,  # F5
        received_online_with_result=1, ended_with_result=1,  # F12
        procedures_paid_online=frozenset({"marital_status_confirmation"}),
    )  # fmt: skip
    check(f, expected, {
        "handled": 4,
        "progress": Fraction(3, 4),  # (F5 F12 early + F7 on time) / 4
        "receiving_satisfaction": Fraction(1, 2),  # 1 - 1/4 (F13 late) - 1/4 (F5)
        "on_time_rate": Fraction(1),
        "online_share": Fraction(1, 4),
        "online_payment_share": Fraction(1, 2),
        "satisfied_share": Fraction(1, 2),
    })  # fmt: skip


def test_may_pbd_counts_supplements_and_fees_by_receipt() -> None:
    f = transparency(ALL, MAY, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        MAY, NOW, "PBD",
        received=ChannelCounts(in_person=1, online=1, postal=1),  # F11 | F9 | F10
        resolved=ResolvedCounts(on_time=1),  # F4, signed Thu 05-07
        in_progress=InProgressCounts(on_time=3, overdue=1, awaiting_supplement=1),  # as Q2
        supplement_requests=1,  # F11 only: F4's request belongs to its April receipt
        ratings=RatingCounts(satisfied=1),  # F4
        ended_with_result=1,  # F4
    )  # fmt: skip
    check(f, expected, {
        "handled": 5,
        "progress": Fraction(4, 5),  # (F4 + F9 F10 F11) / 5
        "receiving_satisfaction": Fraction(4, 5),  # 1 - 1/5 (F6 overdue)
        "on_time_rate": Fraction(1),
        "online_share": Fraction(1, 3),
        "online_payment_share": None,  # no file received in May was charged a fee
        "satisfied_share": Fraction(1),
    })  # fmt: skip
    assert f.processing_days_average is None  # nothing received in May has a result yet


def test_all_units_add_up() -> None:
    both = transparency(ALL, Q2, now=NOW, calendar=CAL)
    assert both.received == ChannelCounts(in_person=6, online=5, postal=1)
    assert both.resolved == ResolvedCounts(early=4, on_time=2, late=1)
    assert both.in_progress == InProgressCounts(on_time=3, overdue=2, awaiting_supplement=1)
    assert (both.refused, both.withdrawn, both.stopped) == (1, 1, 0)
    # (1020 + 90 + 1710 + 1740 + 840) / 5 = 1080 min = 9/4 days; median 1020 / 480 = 17/8
    assert both.processing_days_average == Fraction(9, 4)
    assert both.processing_days_median == Fraction(17, 8)
    assert both.progress == Fraction(9, 12)  # (4 + 2 + 3) / (7 + 5)


def test_empty_period_divides_by_nothing() -> None:
    f = transparency(ALL, parse_period("2026-03"), now=NOW, calendar=CAL)
    assert f.received.total == f.resolved.total == f.in_progress.total == 0
    assert f.progress is f.receiving_satisfaction is f.online_share is None
    assert f.on_time_rate is f.online_payment_share is f.satisfied_share is None
    assert render_ratio(f.progress) == "—"


def test_a_day_of_the_history() -> None:
    # Wed 04-22, as of Thu 04-23 00:00: F1 ended (signed) that day, early; F2 ended the day
    # before (signed Tue 16:30), so it is not in this day's figures although it was returned on
    # Wed; F3 received that day and in time (due 04-28).
    day = parse_period("2026-04-22")
    f = transparency(ALL, day, now=NOW, calendar=CAL, unit="PBD")
    assert f.as_of == vn(4, 23, 0)
    assert f.received == ChannelCounts(in_person=1)
    assert f.resolved == ResolvedCounts(early=1)
    assert f.in_progress == InProgressCounts(on_time=1)
    assert (f.progress, f.online_share) == (Fraction(1), Fraction(0))


def test_by_procedure() -> None:
    got = by_procedure(ALL, Q2, now=NOW, calendar=CAL)
    assert list(got) == ["civil_status_extract_copy", "marital_status_confirmation"]
    marital = got["marital_status_confirmation"]
    assert marital == figures(
        Q2, NOW, None, procedure="marital_status_confirmation",
        received=ChannelCounts(in_person=3, online=3, postal=1),  # F1 F3 F13 | F4 F6 F12 | F10
        resolved=ResolvedCounts(early=2, on_time=1, late=1),  # F1 F12 | F4 | F3
        in_progress=InProgressCounts(on_time=1, overdue=2),  # F10 | F6 F13
        supplement_requests=1, apologies=2,  # F4 | F3 F13
        # (1020 + 1710 + 1740 + 840) / 4 = 1327.5 min = 177/64 days; median (1020 + 1710) / 2
        # = 1365 min = 91/32 days
        processing_days_average=Fraction(177, 64), processing_days_median=Fraction(91, 32),
        fee_charged_files=4, fee_paid_online_files=2,  # F1 F13 counter | F6 F12 online
        ratings=RatingCounts(satisfied=3, dissatisfied=1),  # F1 F4 F12 | F3
        handled_dissatisfied=1,  # F3
        received_online_with_result=2, ended_with_result=4,  # F4 F12 | F1 F3 F4 F12
        procedures_paid_online=frozenset({"marital_status_confirmation"}),
    )  # fmt: skip
    assert (marital.handled, marital.progress) == (7, Fraction(4, 7))  # (2 + 1 + 1) / 7
    assert marital.receiving_satisfaction == Fraction(3, 7)  # 1 - 3/7 (F3 F6 F13) - 1/7 (F3)
    assert (marital.on_time_rate, marital.online_share) == (Fraction(3, 4), Fraction(3, 7))
    assert marital.online_payment_share == Fraction(1, 2)  # 2 online of 4 charged
    assert marital.satisfied_share == Fraction(3, 4)  # 3 satisfied of 4 rated
    extract = got["civil_status_extract_copy"]
    assert extract == figures(
        Q2, NOW, None, procedure="civil_status_extract_copy",
        received=ChannelCounts(in_person=3, online=2),  # F5 F7 F11 | F2 F9
        resolved=ResolvedCounts(early=2, on_time=1),  # F2 F5 | F7
        in_progress=InProgressCounts(on_time=2, awaiting_supplement=1),  # F9, F11 (waiting)
        refused=1, withdrawn=1, supplement_requests=1,  # F5 | F7 | F11
        processing_days_average=Fraction(3, 16), processing_days_median=Fraction(3, 16),  # F2
        fee_charged_files=1, fee_paid_online_files=1,  # F2
        ratings=RatingCounts(neutral=1, dissatisfied=1),  # F2 | F5
        handled_dissatisfied=1,  # F5
        received_online_with_result=1, ended_with_result=1,  # F2
        procedures_paid_online=frozenset({"civil_status_extract_copy"}),
    )  # fmt: skip
    assert (extract.handled, extract.progress, extract.receiving_satisfaction) == (
        5,
        Fraction(1),
        Fraction(4, 5),
    )
    assert (extract.online_share, extract.satisfied_share) == (Fraction(2, 5), Fraction(0))
    assert render_days(extract.processing_days_average) == "0.19"  # 0.1875
    only_phk = by_procedure(ALL, Q2, now=NOW, calendar=CAL, unit="PHK")
    assert only_phk["civil_status_extract_copy"].received == ChannelCounts(in_person=2)
    assert only_phk["civil_status_extract_copy"].unit == "PHK"


def test_rows_may_be_a_one_shot_iterator() -> None:
    once = transparency(iter(ALL), Q2, now=NOW, calendar=CAL, unit="PBD")
    assert once == transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PBD")
