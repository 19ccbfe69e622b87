"""Transparency figures against the small hand-built history of ``tests/support/history.py``
(its docstring has the table of the twelve files), every number worked out by hand."""

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
    rank_units,
    render_days,
    render_ratio,
    transparency,
)
from projections.queries.periods import Period, parse_period
from tests.support.history import (
    ALL,
    CAL,
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
    timeliness = {k: v.timeliness for k, v in r.items() if v.timeliness}
    assert timeliness == {
        "F1": "early",  # Wed 04-22 before the due day Thu 04-23
        "F2": "on_time",  # Wed 04-22 09:00, the due day, before 09:30
        "F3": "late",  # Wed 04-29 after the due day Tue 04-28 (the apology does not excuse it)
        "F4": "on_time",  # Thu 05-07 16:00, the due day, before 17:00
        "F12": "early",  # Mon 05-04 before Tue 05-05
    }
    processing = {k: v.processing_minutes for k, v in r.items() if v.state == "returned"}
    assert processing == {
        "F1": 210 + 240 + 480 + 150,  # Mon 08:00-17:00, Tue, Wed 07:30-10:00 = 1080
        "F2": 120 + 90,  # Tue 15:00-17:00, Wed 07:30-09:00 = 210
        "F3": 180 + 480 + 480 + 480 + 150,  # Wed 22 from 14:00, Thu, Fri, Tue 28, Wed 29 = 1770
        # Thu 04-23 from 09:00 (390), Fri, Tue, Wed, Mon, Tue, Wed (6 x 480), Thu 05-07 to
        # 16:00 (420) = 3690, less the 1830 minutes waiting for the citizen = 1860
        "F4": 390 + 6 * 480 + 420 - 1830,
        "F12": 480 + 480 + 150,  # Tue 28, Wed 29, Mon 05-04 07:30-10:00 = 1110
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
        processing_days_median=None, fee_paid_files=0, fee_paid_online_files=0,
        ratings=RatingCounts(), handled_dissatisfied_or_overdue=0,
    )  # fmt: skip
    return replace(base, **kw)


END_OF_APRIL = vn(5, 1, 0)


def test_april_pbd() -> None:
    f = transparency(ALL, APRIL, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        APRIL, END_OF_APRIL, "PBD",  # as of min(period end, now) = 05-01 00:00
        received=ChannelCounts(in_person=2, online=3),  # F1 F3 | F2 F4 F6
        resolved=ResolvedCounts(early=1, on_time=1, late=1),  # F1 | F2 | F3
        # At 05-01 00:00: F4 (returned 05-07; appointment Thu 05-07 17:00) and F6 (due
        # Tue 05-05 17:00) are open and not yet past their appointments.
        in_progress=InProgressCounts(on_time=2),
        supplement_requests=1,  # F4 (received in April)
        apologies=1,  # F3
        # (1080 + 210 + 1770) / 3 / 480 = 1020 / 480 = 17/8; median 1080 / 480 = 9/4
        processing_days_average=Fraction(17, 8),
        processing_days_median=Fraction(9, 4),
        fee_paid_files=3, fee_paid_online_files=2,  # F1 counter, F2 F6 online
        ratings=RatingCounts(satisfied=1, neutral=1, dissatisfied=1),  # F1 F2 F3
        handled_dissatisfied_or_overdue=1,  # F3: late and dissatisfied, counted once
    )  # fmt: skip
    check(f, expected, {
        "handled": 5,  # 3 resolved + 2 in progress
        "progress": Fraction(4, 5),  # (F1 early + F2 on time + F4 F6 in time) / 5
        "receiving_satisfaction": Fraction(4, 5),  # (5 - F3) / 5
        "on_time_rate": Fraction(2, 3),
        "online_share": Fraction(3, 5),
        "online_payment_share": Fraction(2, 3),
        "satisfied_share": Fraction(1, 3),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "2.13"  # 2.125 rounds half up
    assert render_days(f.processing_days_median) == "2.25"
    assert render_ratio(f.progress) == "80.00%"
    assert render_ratio(f.on_time_rate) == "66.67%"


def test_april_phk() -> None:
    f = transparency(ALL, APRIL, now=NOW, calendar=CAL, unit="PHK")
    expected = figures(
        APRIL, END_OF_APRIL, "PHK",
        # F5 F13 in person; F12 online (Mon 04-27 20:00 local is still April)
        received=ChannelCounts(in_person=2, online=1),
        # Nothing returned in April. In progress at 05-01 00:00: F12 (returned 05-04,
        # appointment 05-05) and F13 (appointment 05-11 11:30).
        in_progress=InProgressCounts(on_time=2),
        refused=1,  # F5
        apologies=1,  # F13 (issued in May, counted with the file's April receipt)
        fee_paid_files=2, fee_paid_online_files=1,  # F12 online, F13 counter
        ratings=RatingCounts(dissatisfied=1),  # F5, refused and rated in April
    )  # fmt: skip
    check(f, expected, {
        "handled": 2,  # a refused file is not "handled": F12 + F13
        "progress": Fraction(1),
        "receiving_satisfaction": Fraction(1),  # F5's rating is not among handled files
        "on_time_rate": None,  # nothing returned: never divide by zero
        "online_share": Fraction(1, 3),
        "online_payment_share": Fraction(1, 2),
        "satisfied_share": Fraction(0),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "—"
    assert render_ratio(f.on_time_rate) == "—"


def test_q2_pbd() -> None:
    f = transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        Q2, NOW, "PBD",  # the quarter has not ended: as of now
        received=ChannelCounts(in_person=3, online=4, postal=1),  # F1 F3 F11 | F2 F4 F6 F9 | F10
        resolved=ResolvedCounts(early=1, on_time=2, late=1),  # F1 | F2 F4 | F3
        # Now (Fri 05-08 14:00): F6 past Tue 05-05 17:00 -> overdue; F9 (Mon 08:00) and F10
        # (Mon 17:00) in time; F11 waits for the citizen: past its 13:30 appointment but its
        # clock is stopped, so in time.
        in_progress=InProgressCounts(on_time=3, overdue=1, awaiting_supplement=1),
        supplement_requests=2,  # F4, F11
        apologies=1,  # F3
        # (1080 + 210 + 1770 + 1860) / 4 / 480 = 1230 / 480 = 41/16 (2.5625);
        # median of 210, 1080, 1770, 1860 = (1080 + 1770) / 2 = 1425 -> 1425/480 = 95/32
        processing_days_average=Fraction(41, 16),
        processing_days_median=Fraction(95, 32),
        fee_paid_files=3, fee_paid_online_files=2,  # F1 counter, F2 F6 online
        ratings=RatingCounts(satisfied=2, neutral=1, dissatisfied=1),  # F1 F4 | F2 | F3
        handled_dissatisfied_or_overdue=2,  # F3 (late, dissatisfied), F6 (overdue)
    )  # fmt: skip
    check(f, expected, {
        "handled": 8,
        "progress": Fraction(3, 4),  # (1 + 2 + 3) / 8
        "receiving_satisfaction": Fraction(3, 4),  # (8 - 2) / 8
        "on_time_rate": Fraction(3, 4),
        "online_share": Fraction(1, 2),
        "online_payment_share": Fraction(2, 3),
        "satisfied_share": Fraction(1, 2),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "2.56"
    assert render_days(f.processing_days_median) == "2.97"  # 2.96875


def test_q2_phk() -> None:
    f = transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PHK")
    expected = figures(
        Q2, NOW, "PHK",
        received=ChannelCounts(in_person=3, online=1),  # F5 F7 F13 | F12
        resolved=ResolvedCounts(early=1),  # F12
        in_progress=InProgressCounts(on_time=1),  # F13: appointment Mon 05-11 11:30
        refused=1, withdrawn=1,  # F5, F7
        apologies=1,  # F13
        processing_days_average=Fraction(37, 16),  # 1110 / 480
        processing_days_median=Fraction(37, 16),
        fee_paid_files=2, fee_paid_online_files=1,  # F12 online, F13 counter
        ratings=RatingCounts(satisfied=1, dissatisfied=1),  # F12 | F5
    )  # fmt: skip
    check(f, expected, {
        "handled": 2,
        "progress": Fraction(1),
        "receiving_satisfaction": Fraction(1),
        "on_time_rate": Fraction(1),
        "online_share": Fraction(1, 4),
        "online_payment_share": Fraction(1, 2),
        "satisfied_share": Fraction(1, 2),
    })  # fmt: skip
    assert render_days(f.processing_days_average) == "2.31"  # 2.3125


def test_may_pbd_counts_supplements_and_fees_by_receipt() -> None:
    f = transparency(ALL, MAY, now=NOW, calendar=CAL, unit="PBD")
    expected = figures(
        MAY, NOW, "PBD",
        received=ChannelCounts(in_person=1, online=1, postal=1),  # F11 | F9 | F10
        resolved=ResolvedCounts(on_time=1),  # F4
        in_progress=InProgressCounts(on_time=3, overdue=1, awaiting_supplement=1),  # as Q2
        supplement_requests=1,  # F11 only: F4's request belongs to its April receipt
        processing_days_average=Fraction(31, 8),  # 1860 / 480
        processing_days_median=Fraction(31, 8),
        ratings=RatingCounts(satisfied=1),  # F4
        handled_dissatisfied_or_overdue=1,  # F6
    )  # fmt: skip
    check(f, expected, {
        "handled": 5,
        "progress": Fraction(4, 5),  # (F4 + F9 F10 F11) / 5
        "receiving_satisfaction": Fraction(4, 5),
        "on_time_rate": Fraction(1),
        "online_share": Fraction(1, 3),
        "online_payment_share": None,  # no file received in May paid a fee
        "satisfied_share": Fraction(1),
    })  # fmt: skip


def test_all_units_add_up() -> None:
    both = transparency(ALL, Q2, now=NOW, calendar=CAL)
    assert both.received == ChannelCounts(in_person=6, online=5, postal=1)
    assert both.resolved == ResolvedCounts(early=2, on_time=2, late=1)
    assert both.in_progress == InProgressCounts(on_time=4, overdue=1, awaiting_supplement=1)
    assert (both.refused, both.withdrawn, both.stopped) == (1, 1, 0)
    # (4920 + 1110) / 5 / 480 = 1206 / 480 = 201/80; median 1110 / 480 = 37/16
    assert both.processing_days_average == Fraction(201, 80)
    assert both.processing_days_median == Fraction(37, 16)
    assert both.progress == Fraction(8, 10)  # (2 + 2 + 4) / (5 + 5)


def test_empty_period_divides_by_nothing() -> None:
    f = transparency(ALL, parse_period("2026-03"), now=NOW, calendar=CAL)
    assert f.received.total == f.resolved.total == f.in_progress.total == 0
    assert f.progress is f.receiving_satisfaction is f.online_share is None
    assert f.on_time_rate is f.online_payment_share is f.satisfied_share is None
    assert render_ratio(f.progress) == "—"


def test_a_day_before_everything_was_returned() -> None:
    # Wed 04-22, as of Thu 04-23 00:00: F1 (early) and F2 (on time) returned; F3 received that
    # day and in time (due 04-28). PHK had nothing: every indicator undefined, ranked last.
    day = parse_period("2026-04-22")
    f = transparency(ALL, day, now=NOW, calendar=CAL, unit="PBD")
    assert f.as_of == vn(4, 23, 0)
    assert f.received == ChannelCounts(in_person=1)
    assert f.resolved == ResolvedCounts(early=1, on_time=1)
    assert f.in_progress == InProgressCounts(on_time=1)
    assert (f.progress, f.online_share) == (Fraction(1), Fraction(0))
    ranking = rank_units(ALL, day, now=NOW, calendar=CAL)
    assert [(s.rank, s.unit) for s in ranking] == [(1, "PBD"), (2, "PHK")]


def test_ranking_of_the_units() -> None:
    # April: PHK progress 1 > PBD 4/5. Q2: PHK 1 > PBD 3/4.
    for period in (APRIL, Q2):
        ranking = rank_units(ALL, period, now=NOW, calendar=CAL)
        assert [(s.rank, s.unit) for s in ranking] == [(1, "PHK"), (2, "PBD")]
        assert ranking[0].figures == transparency(ALL, period, now=NOW, calendar=CAL, unit="PHK")


def test_ranking_ties_fall_through_the_criteria() -> None:
    # Two copies of PHK: PZZ identical (ties: shares rank 1, then by code) and PXY whose
    # online file came in person (progress, satisfaction and on-time rate equal at 1, online
    # share 0 < 1/4): PHK 1, PZZ 1, PXY 3, PBD 4 (progress 3/4).
    phk = [r for r in ALL if r.unit == "PHK"]
    pzz = [replace(r, unit="PZZ") for r in phk]
    pxy = [replace(r, unit="PXY", channel="in_person") for r in phk]
    ranking = rank_units(ALL + pzz + pxy, Q2, now=NOW, calendar=CAL)
    assert [(s.rank, s.unit) for s in ranking] == [(1, "PHK"), (1, "PZZ"), (3, "PXY"), (4, "PBD")]
    assert ranking[2].figures.online_share == 0


def test_by_procedure() -> None:
    got = by_procedure(ALL, Q2, now=NOW, calendar=CAL)
    assert list(got) == ["civil_status_extract_copy", "marital_status_confirmation"]
    marital = got["marital_status_confirmation"]
    assert marital == figures(
        Q2, NOW, None, procedure="marital_status_confirmation",
        received=ChannelCounts(in_person=3, online=3, postal=1),  # F1 F3 F13 | F4 F6 F12 | F10
        resolved=ResolvedCounts(early=2, on_time=1, late=1),  # F1 F12 | F4 | F3
        in_progress=InProgressCounts(on_time=2, overdue=1),  # F10 F13 | F6
        supplement_requests=1, apologies=2,  # F4 | F3 F13
        # (1080 + 1770 + 1860 + 1110) / 4 = 1455 min = 97/32 days; median (1110 + 1770) / 2
        # = 1440 min = 3 days
        processing_days_average=Fraction(97, 32), processing_days_median=Fraction(3),
        fee_paid_files=4, fee_paid_online_files=2,  # F1 F13 counter | F6 F12 online
        ratings=RatingCounts(satisfied=3, dissatisfied=1),  # F1 F4 F12 | F3
        handled_dissatisfied_or_overdue=2,  # F3, F6
    )  # fmt: skip
    assert (marital.handled, marital.progress) == (7, Fraction(5, 7))  # (2 + 1 + 2) / 7
    assert marital.receiving_satisfaction == Fraction(5, 7)  # (7 - 2) / 7
    assert (marital.on_time_rate, marital.online_share) == (Fraction(3, 4), Fraction(3, 7))
    assert marital.online_payment_share == Fraction(1, 2)  # 2 online of 4 paid
    assert marital.satisfied_share == Fraction(3, 4)  # 3 satisfied of 4 rated
    extract = got["civil_status_extract_copy"]
    assert extract == figures(
        Q2, NOW, None, procedure="civil_status_extract_copy",
        received=ChannelCounts(in_person=3, online=2),  # F5 F7 F11 | F2 F9
        resolved=ResolvedCounts(on_time=1),  # F2
        in_progress=InProgressCounts(on_time=2, awaiting_supplement=1),  # F9, F11 (waiting)
        refused=1, withdrawn=1, supplement_requests=1,  # F5 | F7 | F11
        processing_days_average=Fraction(7, 16), processing_days_median=Fraction(7, 16),
        fee_paid_files=1, fee_paid_online_files=1,  # F2
        ratings=RatingCounts(neutral=1, dissatisfied=1),  # F2 | F5
    )  # fmt: skip
    assert (extract.handled, extract.progress, extract.receiving_satisfaction) == (
        3,
        Fraction(1),
        Fraction(1),
    )
    assert (extract.online_share, extract.satisfied_share) == (Fraction(2, 5), Fraction(0))
    assert render_days(extract.processing_days_average) == "0.44"  # 0.4375
    only_phk = by_procedure(ALL, Q2, now=NOW, calendar=CAL, unit="PHK")
    assert only_phk["civil_status_extract_copy"].received == ChannelCounts(in_person=2)
    assert only_phk["civil_status_extract_copy"].unit == "PHK"


def test_rows_may_be_a_one_shot_iterator() -> None:
    once = transparency(iter(ALL), Q2, now=NOW, calendar=CAL, unit="PBD")
    assert once == transparency(ALL, Q2, now=NOW, calendar=CAL, unit="PBD")
    assert rank_units(iter(ALL), Q2, now=NOW, calendar=CAL)[0].unit == "PHK"
