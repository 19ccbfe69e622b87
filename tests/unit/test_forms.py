"""The forms of Circular 03/2025 rendered from the events of the hand-built history
(``tests/support/history.py``; its docstring has the times), every value worked out by hand."""

from __future__ import annotations

from typing import Any

from domain.deadlines import SupplementPolicy
from domain.events import Desk, FileEvent
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure
from projections.queries.forms import file_forms, tracking_book
from projections.queries.periods import parse_period
from tests.support.history import (
    ALL,
    CAL,
    PBD_COUNTER,
    PBD_LEADER,
    PBD_OFFICER,
    PHK_COUNTER,
    history,
    vn,
)

FILES = history()
EVENTS: dict[str, list[FileEvent]] = {
    k: [e for e in f.collect_events() if isinstance(e, FileEvent)] for k, f in FILES.items()
}


def forms(name: str, **kw: Any) -> Any:
    return file_forms(EVENTS[name], **kw)


def test_the_receipt_form_01() -> None:
    r = forms("F1").receipt
    assert r is not None
    assert (r.code, r.unit, r.procedure, r.channel) == (
        "PBD-260420-0001", "PBD", "marital_status_confirmation", "in_person",
    )  # fmt: skip
    assert r.procedure_vi == "Cấp Giấy xác nhận tình trạng hôn nhân"
    assert (r.received_at, r.officer, r.documents) == (vn(4, 20, 8), PBD_COUNTER, ("Tờ khai",))
    assert (r.appointment_at, r.statutory_vi) == (vn(4, 23, 17), "3 ngày làm việc")


def test_supplement_request_form_02() -> None:
    (request,) = forms("F4").supplements
    assert (request.requested_at, request.officer) == (vn(4, 24, 10), PBD_OFFICER)
    assert (request.items, request.reason) == (("Giấy tờ ly hôn",), "thiếu")
    assert (request.supplied_at, request.new_due_at) == (vn(5, 5, 8, 30), vn(5, 7, 17))
    (waiting,) = forms("F11").supplements  # still waiting: nothing came back
    assert (waiting.requested_at, waiting.supplied_at, waiting.new_due_at) == (
        vn(5, 5, 9), None, None,
    )  # fmt: skip


def test_refusal_form_03_in_processing_and_at_the_counter() -> None:
    refusal = forms("F5").refusal
    assert refusal is not None
    assert (refusal.at, refusal.officer, refusal.reason, refusal.at_counter) == (
        vn(4, 24, 16, 30), PHK_COUNTER, "không thuộc thẩm quyền", False,
    )  # fmt: skip
    f = AdministrativeFile.not_accept(
        code="PBD-260424-0009", procedure=get_procedure("certified_copy"),
        channel=Channel.IN_PERSON, unit="PBD", counter="counter-1", department="one-stop",
        documents=("Bản chính",), applicant_ref="applicant-x", applicant_sealed="sealed",
        actor=PBD_COUNTER, at=vn(4, 24, 9), reason="bản chính bị tẩy xóa",
    )  # fmt: skip
    at_counter = file_forms([e for e in f.collect_events() if isinstance(e, FileEvent)])
    assert at_counter.receipt is None and at_counter.refusal is not None
    assert (at_counter.refusal.at_counter, at_counter.refusal.reason) == (
        True, "bản chính bị tẩy xóa",
    )  # fmt: skip
    assert forms("F1").refusal is None


def test_apology_form_04_names_both_appointments() -> None:
    (apology,) = forms("F3").apologies
    assert (apology.issued_at, apology.officer, apology.reason) == (
        vn(4, 28, 16), PBD_OFFICER, "chờ xác minh",
    )  # fmt: skip
    assert (apology.previous_appointment, apology.new_appointment) == (
        vn(4, 28, 17), vn(4, 29, 11, 30),
    )  # fmt: skip


def test_stop_notice_form_05_and_the_withdrawal() -> None:
    stop = forms("F7").stop
    assert stop is not None
    assert (stop.at, stop.officer, stop.reason, stop.withdrawn) == (
        vn(5, 6, 10), PHK_COUNTER, "công dân rút", True,
    )  # fmt: skip
    assert forms("F3").stop is None


def test_process_control_slip_form_06() -> None:
    slip = forms("F3").slip
    steps = [(r.version, r.step, r.at, r.verdict) for r in slip.rows]
    assert steps == [
        (1, "FileReceived", vn(4, 22, 14), "early"),
        (2, "FileHandedOff", vn(4, 22, 14, 30), "early"),
        (3, "ApologyIssued", vn(4, 28, 16), "on_time"),  # the due day, before 17:00
        (4, "SubmittedForSignature", vn(4, 29, 8), "late"),
        (5, "ResultSigned", vn(4, 29, 9), "late"),
        (6, "ResultReturned", vn(4, 29, 10), "late"),
        (7, "SatisfactionRated", vn(4, 29, 10, 30), "late"),
    ]
    handoff, submitted = slip.rows[1], slip.rows[3]
    assert (handoff.giver, handoff.receiver) == (
        f"{PBD_COUNTER} · one-stop · PBD", f"{PBD_OFFICER} · justice · PBD",
    )  # fmt: skip
    assert (submitted.giver, submitted.receiver) == (f"{PBD_OFFICER} · justice · PBD", PBD_LEADER)
    assert all(r.due_at == vn(4, 28, 17) for r in slip.rows)
    assert (slip.processing_ended_at, slip.verdict) == (vn(4, 29, 9), "late")
    # F4: the deadline of each step as it stood then (moved by the supplement's wait)
    due = [(r.step, r.due_at) for r in forms("F4").slip.rows]
    assert due[2] == ("SupplementRequested", vn(4, 29, 17))
    assert due[3] == ("SupplementReceived", vn(5, 7, 17))


def test_the_tracking_book_form_07() -> None:
    book = tracking_book(ALL, "PBD", parse_period("2026-04"))
    assert [b.code for b in book] == [
        "PBD-260420-0001", "PBD-260421-0001", "PBD-260422-0001", "PBD-260423-0001",
        "PBD-260428-0001",
    ]  # fmt: skip
    f1, f6 = book[0], book[-1]
    assert (f1.verdict, f1.processing_ended_at, f1.returned_at) == (
        "early", vn(4, 22, 9), vn(4, 22, 10),
    )  # fmt: skip
    assert (f6.state, f6.verdict, f6.processing_ended_at, f6.returned_at) == (
        "in_progress", None, None, None,
    )  # fmt: skip


def test_sealed_texts_are_opened_by_reveal() -> None:
    (apology,) = forms("F3", reveal=str.upper).apologies
    assert apology.reason == "CHỜ XÁC MINH"
    receipt = forms("F1", reveal=str.upper).receipt
    assert receipt is not None and receipt.documents == ("TỜ KHAI",)


def test_the_receivers_acknowledgement_is_a_row_of_the_slip() -> None:
    f = AdministrativeFile.receive(
        code="PBD-260504-0007", procedure=get_procedure("marital_status_confirmation"),
        channel=Channel.IN_PERSON, unit="PBD", counter="counter-1", department="one-stop",
        documents=("Tờ khai",), applicant_ref="applicant-y", applicant_sealed="sealed",
        actor=PBD_COUNTER, at=vn(5, 4, 8), calendar=CAL,
        supplement_policy=SupplementPolicy.EXTEND,
    )  # fmt: skip
    f.hand_off(actor=PBD_COUNTER, to=Desk("", "justice", "PBD"), note="", at=vn(5, 4, 8, 5))
    f.acknowledge_handoff(actor=PBD_OFFICER, at=vn(5, 4, 8, 20))  # taken from the inbox
    slip = file_forms([e for e in f.collect_events() if isinstance(e, FileEvent)]).slip
    handoff, ack = slip.rows[1], slip.rows[2]
    assert (handoff.giver, handoff.receiver) == (
        f"{PBD_COUNTER} · one-stop · PBD",
        "(inbox) · justice · PBD",
    )
    assert (ack.step, ack.at, ack.actor, ack.receiver) == (
        "HandoffAcknowledged", vn(5, 4, 8, 20), PBD_OFFICER, PBD_OFFICER,
    )  # fmt: skip
    assert (f.holder.officer, f.last_step) == (PBD_OFFICER, "HandoffAcknowledged")
