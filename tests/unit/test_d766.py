"""The Decision 766 engine against a hand-built February 2027 (Tết: Thu 02-04 .. Wed 02-10 off,
and the weekends), every indicator and every point worked out by hand from the formula text
(``projections/d766/indicators.py``, ``../shared/decision-766.md``), issue 17.

Working days around Tết: Mon 1, Tue 2, Wed 3 | (Tết) | Thu 11, Fri 12 | Mon 15 .. Fri 19 |
Mon 22 .. Fri 26. Office hours 07:30-11:30, 13:00-17:00 (480 min). Times are Hanoi time.
Marital status confirmation: 3 working days; permanent residence: 7 working days; certified copy:
same day (after 15:00: the next working day). Two units with real agency codes (with dots).

    file unit proc       channel   received       due            what happened
    A1   A    marital    in person Tue 02-02 09:00 Fri 02-12 17:00 signed Thu 02-11 10:00 (early),
                                                                   collected Mon 02-15 (after due)
    A2   A    residence  online    Wed 02-03 14:00 Fri 02-19 17:00 fee paid online; papers asked
                                                                   Mon 02-15, back Tue 02-16 (due
                                                                   -> Mon 02-22 17:00), asked
                                                                   again Wed 02-17: late
    A3   A    copy       in person Fri 02-12 15:30 Mon 02-15 17:00 fee at the counter; signed Mon
                                                                   16:00 (on time); dissatisfied
    A4   A    marital    online    Mon 02-15 08:00 Thu 02-18 17:00 apology Thu 16:00; signed Fri
                                                                   02-19 09:00 (late)
    A5   A    marital    in person Tue 02-23 10:00 Fri 02-26 17:00 refused Wed 02-24 (early)
    A6   A    marital    in person Wed 01-27 09:00 Mon 02-01 17:00 still open: overdue
    A7   A    copy       in person Tue 02-16 09:00 -               not accepted at the counter
    B1   B    copy       online    Wed 02-03 10:00 Wed 02-03 17:00 fee paid online; signed 11:00
                                                                   (on time); satisfied
    B2   B    residence  in person Thu 02-11 08:00 Mon 02-22 17:00 fee at the counter; papers
                                                                   asked Fri 02-12, still waiting
    B3   B    copy       in person Mon 02-15 08:00 Mon 02-15 17:00 withdrawn 09:00 (on time)
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from domain.events import PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure
from projections.d766.scorecard import ProcessingTime, rank, score_card
from projections.models.rows import row_from_file
from projections.queries.periods import parse_period
from tests.support.history import CAL, MARITAL, fee, finish, rate, receive, to_officer

A, B = "H15.50.05.13", "H15.50.05.14"
RESIDENCE = get_procedure("permanent_residence")
COPY = get_procedure("certified_copy")
FEB = parse_period("2027-02")
NOW = datetime(2027, 3, 5, 12, tzinfo=CAL.tz)  # after the month: as of its end
IP, ONLINE = Channel.IN_PERSON, Channel.ONLINE


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=CAL.tz)


def ask(f: AdministrativeFile, at: datetime) -> None:
    f.request_supplement(actor=f.holder.officer, items=("CT01",), reason="thiếu", at=at)


def february() -> dict[str, AdministrativeFile]:
    a1 = receive(f"{A}-270202-0001", MARITAL, IP, t(2, 2, 9))
    to_officer(a1, t(2, 2, 9, 30))
    finish(a1, t(2, 11, 9), t(2, 11, 10), t(2, 15, 10))
    rate(a1, Rating.SATISFIED, t(2, 15, 10, 5))

    a2 = receive(f"{A}-270203-0001", RESIDENCE, ONLINE, t(2, 3, 14))
    fee(a2, 20_000, PaymentMethod.ONLINE, t(2, 3, 14, 10))
    to_officer(a2, t(2, 3, 14, 20))
    ask(a2, t(2, 15, 9))
    a2.receive_supplement(actor="mai.vo", items=("CT01",), at=t(2, 16, 9), calendar=CAL)
    ask(a2, t(2, 17, 10))

    a3 = receive(f"{A}-270212-0001", COPY, IP, t(2, 12, 15, 30))
    fee(a3, 6_000, PaymentMethod.COUNTER, t(2, 12, 15, 35))  # 3 pages
    to_officer(a3, t(2, 12, 15, 40))
    finish(a3, t(2, 15, 15), t(2, 15, 16), t(2, 15, 16, 10))
    rate(a3, Rating.DISSATISFIED, t(2, 15, 16, 15))

    a4 = receive(f"{A}-270215-0001", MARITAL, ONLINE, t(2, 15, 8))
    to_officer(a4, t(2, 15, 8, 30))
    a4.issue_apology(actor=a4.holder.officer, reason="chờ xác minh",
                     new_appointment_at=t(2, 19, 11), at=t(2, 18, 16))  # fmt: skip
    finish(a4, t(2, 19, 8), t(2, 19, 9), t(2, 19, 10))

    a5 = receive(f"{A}-270223-0001", MARITAL, IP, t(2, 23, 10))
    a5.refuse(actor=a5.holder.officer, reason="không thuộc thẩm quyền", at=t(2, 24, 9))

    a7 = AdministrativeFile.not_accept(
        code=f"{A}-270216-0001", procedure=COPY, channel=IP, unit=A, counter="counter-2",
        department="one-stop", documents=("Bản chính",), applicant_ref="applicant-a7",
        applicant_sealed="sealed", actor="mai.vo", at=t(2, 16, 9), reason="bản chính bị tẩy xóa",
    )  # fmt: skip

    a6 = receive(f"{A}-270127-0001", MARITAL, IP, t(1, 27, 9))
    to_officer(a6, t(1, 27, 9, 30))

    b1 = receive(f"{B}-270203-0001", COPY, ONLINE, t(2, 3, 10))
    fee(b1, 4_000, PaymentMethod.ONLINE, t(2, 3, 10, 5))
    to_officer(b1, t(2, 3, 10, 10))
    b1.submit_for_signature(actor=b1.holder.officer, leader="chu-tich.phk", at=t(2, 3, 10, 30))
    b1.sign_result(actor="chu-tich.phk", document_sha256="ab" * 32, at=t(2, 3, 11))
    b1.return_result(actor=b1.received_by, method=ReturnMethod.ONLINE, at=t(2, 3, 11, 5),
                     calendar=CAL)  # fmt: skip
    rate(b1, Rating.SATISFIED, t(2, 3, 11, 10))

    b2 = receive(f"{B}-270211-0001", RESIDENCE, IP, t(2, 11, 8))
    fee(b2, 20_000, PaymentMethod.COUNTER, t(2, 11, 8, 5))
    to_officer(b2, t(2, 11, 8, 10))
    ask(b2, t(2, 12, 9))

    b3 = receive(f"{B}-270215-0001", COPY, IP, t(2, 15, 8))
    b3.withdraw(actor=b3.holder.officer, reason="công dân rút", at=t(2, 15, 9))
    return {"A1": a1, "A2": a2, "A3": a3, "A4": a4, "A5": a5, "A6": a6, "A7": a7,
            "B1": b1, "B2": b2, "B3": b3}  # fmt: skip


FILES = february()
ROWS = [row_from_file(f, CAL) for f in FILES.values()]


def test_deadlines_and_verdicts_across_tet() -> None:
    f = FILES
    assert f["A1"].due_at == t(2, 12, 17)  # Wed 3, (Tết) Thu 11, Fri 12
    assert f["A2"].due_at == t(2, 22, 17)  # Fri 02-19 + 480 min waited -> Mon 02-22 closing
    assert f["A3"].due_at == t(2, 15, 17)  # after 15:00 on Fri: the next working day, Mon
    assert f["A4"].due_at == t(2, 18, 17)  # Tue 16, Wed 17, Thu 18
    assert f["A6"].due_at == t(2, 1, 17)  # Thu 28, Fri 29, Mon 1
    assert f["B2"].due_at == t(2, 22, 17)  # Fri 12, Mon 15 .. Fri 19, Mon 22
    verdicts = {k: v.timeliness for k, v in f.items()}
    assert verdicts == {
        "A1": "early", "A2": None, "A3": "on_time", "A4": "late", "A5": "early", "A6": None,
        "A7": None,
        "B1": "on_time", "B2": None, "B3": "on_time",
    }  # fmt: skip
    assert f["A2"].late_by_supplement and not f["B2"].late_by_supplement


def test_signed_on_time_and_collected_late_counts_on_time() -> None:
    """A1 was signed the day before its due day and collected three days after it: the return
    keeps its own "late", the file is judged early at its processing end."""
    a1 = FILES["A1"]
    assert a1.return_timeliness == "late" and a1.closed_at == t(2, 15, 10)
    assert a1.processing_ended_at == t(2, 11, 10) and a1.timeliness == "early"
    card = score_card(ROWS, FEB, now=NOW, calendar=CAL, unit=A)
    assert card.figures.resolved.late == 1  # A4 only


def test_unit_a_every_indicator_and_point() -> None:
    card = score_card(ROWS, FEB, now=NOW, calendar=CAL, unit=A)
    f = card.figures
    # ended in February: A1 early, A3 on time, A4 late, A5 early (refused after acceptance);
    # in progress at 03-01 00:00: A2 (a second request: late) and A6 (past 02-01): overdue
    assert (f.resolved.early, f.resolved.on_time, f.resolved.late) == (2, 1, 1)
    assert (f.in_progress.on_time, f.in_progress.overdue) == (0, 2)
    # A7's papers were not accepted at the counter: counted apart, in no other figure
    assert f.not_accepted == 1 and f.received.total == 5
    values = {i.code: (i.numerator, i.denominator, i.value, i.points) for i in card.indicators
              if i.captured and i.code != "2.2"}  # fmt: skip
    assert values == {
        # 2.1: (2 early + 1 on time + 0 in time) / 6 handled; 20 x 1/2
        "2.1": (3, 6, Fraction(1, 2), Fraction(10)),
        # 3.3: online and with an electronic result (A4; A2 has none) / 5 received; no points
        "3.3": (1, 5, Fraction(1, 5), None),
        # 3.5b: procedures paid online (residence) / 6 with a fee; 2 x (1/6) / 80% = 5/12
        "3.5b": (1, 6, Fraction(1, 6), Fraction(5, 12)),
        # 3.6: paid online (A2) / charged a fee (A2, A3); 6 x 1/2
        "3.6": (1, 2, Fraction(1, 2), Fraction(3)),
        # 4.1: ended with a signed result (A1 A3 A4) / ended (and A5 refused); 6 x 3/4
        "4.1": (3, 4, Fraction(3, 4), Fraction(9, 2)),
        # 5.4: 1 - 3/6 late (A4, A2, A6) - 1/6 dissatisfied (A3) = 1/3; 6 x (1/3) / 90% = 20/9
        "5.4": (2, 6, Fraction(1, 3), Fraction(20, 9)),
    }
    # 10 + 5/12 + 3 + 9/2 + 20/9 = (360 + 15 + 108 + 162 + 80) / 36
    assert card.total == Fraction(725, 36)
    assert card.attainable == 40  # 2.1 (20), 3.5b (2), 3.6 (6), 4.1 (6), 5.4 (6)
    # 2.2, files received in February with a result, in each procedure's own unit:
    # A1 Tue 02 09:00-17:00 (390) + Wed 03 (480) + Thu 11 07:30-10:00 (150) = 1020 min;
    # A4 Mon 15 08:00- (450) + Tue, Wed, Thu (1440) + Fri 07:30-09:00 (90) = 1980 min;
    # marital (1020 + 1980) / 2 / 480 = 25/8 working days; A3 Fri 15:30-17:00 (90) + Mon
    # 07:30-16:00 (420) = 510 min = 17/2 working hours (a same-day procedure)
    assert card.processing_times == (
        ProcessingTime("certified_copy", 1, Fraction(17, 2), "working hours"),
        ProcessingTime("marital_status_confirmation", 2, Fraction(25, 8), "working days"),
    )
    assert card.get("2.2").value == Fraction(1020 + 1980 + 510, 3 * 480)


def test_unit_b_and_the_ranking_by_total_score() -> None:
    card = score_card(ROWS, FEB, now=NOW, calendar=CAL, unit=B)
    points = {i.code: i.points for i in card.indicators if i.points is not None}
    assert points == {
        "2.1": Fraction(20),  # B1 B3 on time, B2 waiting after one request in time: 3/3
        "3.5b": Fraction(5, 12),  # certified copy paid online: 1/6
        "3.6": Fraction(3),  # B1 online of B1 B2 charged
        "4.1": Fraction(3),  # B1 with a result of B1 B3 ended
        "5.4": Fraction(6),  # nothing late, nobody dissatisfied: 100% >= 90%
    }
    assert card.figures.in_progress.awaiting_supplement == 1
    assert card.total == Fraction(389, 12)
    ranking = rank(ROWS, FEB, now=NOW, calendar=CAL)
    assert [(r.rank, r.unit, r.card.total) for r in ranking] == [
        (1, B, Fraction(389, 12)),
        (2, A, Fraction(725, 36)),
    ]


def test_what_is_not_captured_is_never_a_zero() -> None:
    card = score_card(ROWS, FEB, now=NOW, calendar=CAL)
    missing = [i for i in card.indicators if not i.captured]
    assert {i.code for i in missing} == {
        "1.1", "1.2", "1.3", "1.4", "3.T", "3.5", "4.2", "4.3", "4.4", "4.5", "4.C", "5.2",
        "5.3",
    }  # fmt: skip
    assert all(i.value is None and i.points is None and i.note for i in missing)
    assert sum(i.max_points or 0 for i in card.indicators) == 100  # the five groups
    empty = score_card(ROWS, parse_period("2027-04"), now=NOW, calendar=CAL)
    assert empty.get("2.1").value is None and empty.get("2.1").points is None
    assert empty.get("5.4").points is None


def test_equal_totals_share_a_rank() -> None:
    from dataclasses import replace

    twin = [replace(r, unit="H15.50.05.99") for r in ROWS if r.unit == B]
    ranking = rank(ROWS + twin, FEB, now=NOW, calendar=CAL)
    assert [(r.rank, r.unit) for r in ranking] == [(1, B), (1, "H15.50.05.99"), (3, A)]


def test_a_file_closed_while_waiting_for_papers_is_judged_at_the_request() -> None:
    """Its clock stopped at the request (made in time): a refusal long after the deadline, for
    papers that never came, is not the office's lateness; without a wait it would be."""
    waiting = receive(f"{A}-270202-0009", MARITAL, IP, t(2, 2, 9))  # due Fri 02-12 17:00
    to_officer(waiting, t(2, 2, 9, 30))
    ask(waiting, t(2, 3, 10))
    waiting.refuse(actor=waiting.holder.officer, reason="quá hạn bổ sung", at=t(2, 24, 9))
    assert (waiting.processing_ended_at, waiting.timeliness) == (t(2, 24, 9), "early")
    idle = receive(f"{A}-270202-0010", MARITAL, IP, t(2, 2, 9))
    to_officer(idle, t(2, 2, 9, 30))
    idle.refuse(actor=idle.holder.officer, reason="không đủ điều kiện", at=t(2, 24, 9))
    assert idle.timeliness == "late"
