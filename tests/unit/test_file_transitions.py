"""The file aggregate's transitions: the full allowed table, every refusal, and the lifecycle.

Dates are in March 2026 (no Vietnamese public holiday); 2026-03-02 is a Monday. Expected
deadlines are worked out by hand on the default office hours 7:30-11:30, 13:00-17:00.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from itertools import product
from typing import Any

import pytest
from eventsourcing.domain import CanMutateAggregate

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.errors import DomainError, IllegalTransition, InvalidValue
from domain.events import (
    TERMINAL_STATES,
    ApologyIssued,
    Desk,
    FeePaid,
    FeeRequested,
    FileEvent,
    FileHandedOff,
    FileReceived,
    FileRefused,
    FileState,
    FileWithdrawn,
    HandoffAcknowledged,
    PaymentMethod,
    ProcessingStopped,
    Rating,
    ResultReturned,
    ResultSigned,
    ReturnMethod,
    SatisfactionRated,
    SubmittedForSignature,
    SupplementReceived,
    SupplementRequested,
)
from domain.file import AdministrativeFile
from domain.procedures import Channel, Procedure, get_procedure

S = FileState
CAL = vietnam_calendar()
UNIT = "PBD"
CODE = "PBD-260302-0001"
RECEIVER = "thu.tran"
OFFICER = "lan.nguyen"
LEADER = "pho.chu-tich"
STRANGER = "minh.le"
COUNTER_DESK = Desk(RECEIVER, "one-stop", UNIT)
OFFICER_DESK = Desk(OFFICER, "justice", UNIT)
FEE = 20_000
DOC_SHA = "ab" * 32
FIVE_DAYS = get_procedure("birth_residence_insurance")  # 5 working days


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A local (ICT, UTC+7) wall-clock instant."""
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


T0 = vn(2026, 3, 2, 9, 0)  # Monday


def receive(
    *,
    code: str = CODE,
    unit: str = UNIT,
    procedure: Procedure = FIVE_DAYS,
    channel: Channel = Channel.IN_PERSON,
    at: datetime = T0,
    policy: SupplementPolicy = SupplementPolicy.EXTEND,
) -> AdministrativeFile:
    return AdministrativeFile.receive(
        code=code,
        procedure=procedure,
        channel=channel,
        unit=unit,
        counter="counter-3",
        department=COUNTER_DESK.department,
        documents=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh"),
        applicant_ref="applicant-0001",
        applicant_sealed="sealed-blob",
        actor=RECEIVER,
        at=at,
        calendar=CAL,
        supplement_policy=policy,
    )


def build(state: FileState, *, fee: bool = False) -> AdministrativeFile:
    """A file in ``state``, its events collected; with ``fee``, a fee was asked right after
    receipt (and, for a returned file, paid before the return)."""
    if state is S.NOT_ACCEPTED:  # refused at the counter: born closed, nothing follows
        f = AdministrativeFile.not_accept(
            code=CODE, procedure=FIVE_DAYS, channel=Channel.IN_PERSON, unit=UNIT,
            counter="Quầy 1", department=COUNTER_DESK.department, documents=("Tờ khai",),
            applicant_ref="applicant-0001", applicant_sealed="sealed-blob", actor=RECEIVER,
            at=T0, reason="bản chính bị tẩy xóa",
        )  # fmt: skip
        f.collect_events()
        return f
    f = receive()
    clock = [T0]

    def at() -> datetime:
        clock[0] += timedelta(minutes=30)
        return clock[0]

    if fee:
        f.request_fee(actor=RECEIVER, amount_vnd=FEE, description="lệ phí", at=at())
    if state is S.REFUSED:
        f.refuse(actor=RECEIVER, reason="không đủ điều kiện", at=at())
    elif state is S.WITHDRAWN:
        f.withdraw(actor=RECEIVER, reason="công dân rút hồ sơ", at=at())
    elif state is S.STOPPED:
        f.stop_processing(actor=RECEIVER, reason="dừng xử lý", at=at())
    elif state is not S.RECEIVED:
        f.hand_off(actor=RECEIVER, to=OFFICER_DESK, note="chuyển phòng tư pháp", at=at())
        if state is S.AWAITING_SUPPLEMENT:
            f.request_supplement(
                actor=OFFICER, items=("Giấy chứng sinh",), reason="bản mờ", at=at()
            )
        elif state in (S.AWAITING_SIGNATURE, S.SIGNED, S.RETURNED):
            f.submit_for_signature(actor=OFFICER, leader=LEADER, at=at())
            if state is not S.AWAITING_SIGNATURE:
                f.sign_result(actor=LEADER, document_sha256=DOC_SHA, at=at())
            if state is S.RETURNED:
                if fee:
                    f.pay_fee(actor=RECEIVER, amount_vnd=FEE, method=PaymentMethod.ONLINE, at=at())
                f.return_result(actor=RECEIVER, method=ReturnMethod.COUNTER, at=at(), calendar=CAL)
    f.collect_events()
    assert f.state is state
    return f


def state_of(f: AdministrativeFile) -> FileState:
    """The state, unnarrowed (mypy narrows ``f.state`` across commands that change it)."""
    return f.state


def holder(f: AdministrativeFile) -> str:
    return f.holder.officer or OFFICER


def later(f: AdministrativeFile, minutes: int = 10) -> datetime:
    return f.modified_on + timedelta(minutes=minutes)


# Each command called with plausible arguments for whatever state the file is in.
Command = Callable[[AdministrativeFile, datetime], None]
COMMANDS: dict[str, Command] = {
    "acknowledge_handoff": lambda f, at: f.acknowledge_handoff(actor=holder(f), at=at),
    "hand_off": lambda f, at: f.hand_off(
        actor=holder(f),
        to=COUNTER_DESK if f.holder == OFFICER_DESK else OFFICER_DESK,
        note="chuyển",
        at=at,
    ),
    "request_supplement": lambda f, at: f.request_supplement(
        actor=holder(f), items=("Giấy chứng sinh",), reason="thiếu", at=at
    ),
    "receive_supplement": lambda f, at: f.receive_supplement(
        actor=RECEIVER, items=("Giấy chứng sinh",), at=at, calendar=CAL
    ),
    "request_fee": lambda f, at: f.request_fee(
        actor=holder(f), amount_vnd=FEE, description="lệ phí", at=at
    ),
    "pay_fee": lambda f, at: f.pay_fee(
        actor=RECEIVER, amount_vnd=FEE, method=PaymentMethod.COUNTER, at=at
    ),
    "submit_for_signature": lambda f, at: f.submit_for_signature(
        actor=holder(f), leader=LEADER, at=at
    ),
    "sign_result": lambda f, at: f.sign_result(actor=holder(f), document_sha256=DOC_SHA, at=at),
    "return_result": lambda f, at: f.return_result(
        actor=RECEIVER, method=ReturnMethod.COUNTER, at=at, calendar=CAL
    ),
    "refuse": lambda f, at: f.refuse(actor=holder(f), reason="không đủ điều kiện", at=at),
    "withdraw": lambda f, at: f.withdraw(actor=RECEIVER, reason="rút", at=at),
    "stop_processing": lambda f, at: f.stop_processing(actor=holder(f), reason="dừng", at=at),
    "issue_apology": lambda f, at: f.issue_apology(
        actor=holder(f),
        reason="chậm do xác minh",
        new_appointment_at=f.appointment_at + timedelta(days=1),
        at=at,
    ),
    "rate_satisfaction": lambda f, at: f.rate_satisfaction(
        actor="citizen", rating=Rating.SATISFIED, at=at
    ),
}


def run(command: str, f: AdministrativeFile, at: datetime | None = None) -> None:
    """``command`` with plausible arguments, ten minutes after the last event unless ``at``."""
    COMMANDS[command](f, later(f) if at is None else at)


EVENT_OF: dict[str, type[FileEvent]] = {
    "acknowledge_handoff": HandoffAcknowledged,
    "hand_off": FileHandedOff,
    "request_supplement": SupplementRequested,
    "receive_supplement": SupplementReceived,
    "request_fee": FeeRequested,
    "pay_fee": FeePaid,
    "submit_for_signature": SubmittedForSignature,
    "sign_result": ResultSigned,
    "return_result": ResultReturned,
    "refuse": FileRefused,
    "withdraw": FileWithdrawn,
    "stop_processing": ProcessingStopped,
    "issue_apology": ApologyIssued,
    "rate_satisfaction": SatisfactionRated,
}

OPEN = (S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_SIGNATURE, S.SIGNED)

# The expected transition table: (state, command) -> state after. Every pair not listed
# must raise IllegalTransition. pay_fee is tried on files that owe a fee.
ALLOWED: dict[tuple[FileState, str], FileState] = {
    # only right after a hand-off: of the built files, the one in progress (handed to an officer)
    (S.IN_PROGRESS, "acknowledge_handoff"): S.IN_PROGRESS,
    (S.RECEIVED, "hand_off"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "hand_off"): S.IN_PROGRESS,
    (S.AWAITING_SIGNATURE, "hand_off"): S.IN_PROGRESS,  # the leader sends it back
    (S.SIGNED, "hand_off"): S.SIGNED,  # the signed result goes back to the counter
    (S.RECEIVED, "request_supplement"): S.AWAITING_SUPPLEMENT,
    (S.IN_PROGRESS, "request_supplement"): S.AWAITING_SUPPLEMENT,
    (S.AWAITING_SUPPLEMENT, "receive_supplement"): S.IN_PROGRESS,
    (S.RECEIVED, "request_fee"): S.RECEIVED,
    (S.IN_PROGRESS, "request_fee"): S.IN_PROGRESS,
    (S.AWAITING_SIGNATURE, "request_fee"): S.AWAITING_SIGNATURE,
    (S.SIGNED, "request_fee"): S.SIGNED,
    **{(s, "pay_fee"): s for s in OPEN},
    (S.RECEIVED, "submit_for_signature"): S.AWAITING_SIGNATURE,
    (S.IN_PROGRESS, "submit_for_signature"): S.AWAITING_SIGNATURE,
    (S.AWAITING_SIGNATURE, "sign_result"): S.SIGNED,
    (S.SIGNED, "return_result"): S.RETURNED,
    (S.RECEIVED, "refuse"): S.REFUSED,
    (S.IN_PROGRESS, "refuse"): S.REFUSED,
    (S.AWAITING_SUPPLEMENT, "refuse"): S.REFUSED,
    (S.AWAITING_SIGNATURE, "refuse"): S.REFUSED,
    **{(s, "withdraw"): S.WITHDRAWN for s in OPEN},
    **{(s, "stop_processing"): S.STOPPED for s in OPEN},
    **{(s, "issue_apology"): s for s in OPEN},
    (S.RETURNED, "rate_satisfaction"): S.RETURNED,
    (S.REFUSED, "rate_satisfaction"): S.REFUSED,
}


def snapshot(f: AdministrativeFile) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in vars(f).items()}


def assert_refused(
    f: AdministrativeFile, call: Callable[[], None], error: type[DomainError]
) -> DomainError:
    """``call`` raises ``error`` and leaves ``f`` exactly as it was."""
    before = snapshot(f)
    version, state, pending = f.version, f.state, len(f.pending_events)
    with pytest.raises(error) as info:
        call()
    assert f.version == version
    assert f.state is state
    assert len(f.pending_events) == pending
    assert snapshot(f) == before
    return info.value


def assert_illegal(f: AdministrativeFile, action: str, call: Callable[[], None]) -> None:
    err = assert_refused(f, call, IllegalTransition)
    assert isinstance(err, IllegalTransition)
    assert str(err).startswith(f"file {f.id} is '{f.state.value}': cannot {action}")
    assert (err.file_code, err.state, err.action) == (f.id, f.state.value, action)


def replay(events: Sequence[CanMutateAggregate[str]]) -> AdministrativeFile | None:
    agg: AdministrativeFile | None = None
    for event in events:
        agg = event.mutate(agg)
    return agg


# ------------------------------------------------------------------ the full table


def test_every_state_and_command_is_in_the_table() -> None:
    assert set(COMMANDS) == set(EVENT_OF)
    assert {s for s, _ in ALLOWED} <= set(FileState)
    assert {c for _, c in ALLOWED} <= set(COMMANDS)
    assert len(COMMANDS) == 14
    assert len(FileState) == 10


@pytest.mark.parametrize(
    ("state", "command"),
    list(product(FileState, COMMANDS)),
    ids=[f"{s.value}-{c}" for s, c in product(FileState, COMMANDS)],
)
def test_transition_table(state: FileState, command: str) -> None:
    f = build(state, fee=command == "pay_fee")
    assert f.pending_events == []
    version = f.version
    expected = ALLOWED.get((state, command))
    if expected is None:
        assert_illegal(f, command, lambda: run(command, f))
        assert f.pending_events == []
        return
    run(command, f)
    assert f.state is expected
    assert f.version == version + 1
    (event,) = f.collect_events()
    assert type(event) is EVENT_OF[command]
    assert event.originator_version == version + 1


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_states_accept_nothing_but_a_rating(state: FileState) -> None:
    for command in COMMANDS:
        f = build(state, fee=command == "pay_fee")
        if (state, command) not in ALLOWED:
            assert_illegal(f, command, partial(run, command, f))
    allowed = {c for (s, c) in ALLOWED if s is state}
    assert allowed <= {"rate_satisfaction"}


# ------------------------------------------------------------------ specific refusals


def test_return_before_signature() -> None:
    for state in (S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SIGNATURE):
        f = build(state)
        assert_illegal(f, "return_result", partial(run, "return_result", f))
    f = build(S.AWAITING_SIGNATURE)
    with pytest.raises(IllegalTransition, match=r"the result is not signed yet"):
        run("return_result", f)


def test_handoff_after_return() -> None:
    f = build(S.RETURNED)
    err = assert_refused(f, lambda: run("hand_off", f), IllegalTransition)
    assert str(err) == f"file {CODE} is 'returned': cannot hand_off (the file is closed)"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_anything_after_withdrawal(command: str) -> None:
    f = build(S.WITHDRAWN, fee=True)
    err = assert_refused(f, lambda: run(command, f), IllegalTransition)
    assert str(err) == (
        f"file {CODE} is 'withdrawn': cannot {command} (the citizen withdrew the file)"
    )


def test_apology_must_move_the_appointment_later() -> None:
    f = build(S.IN_PROGRESS)
    for new in (f.appointment_at, f.appointment_at - timedelta(minutes=1)):
        assert_illegal(
            f,
            "issue_apology",
            partial(
                f.issue_apology,
                actor=OFFICER,
                reason="chậm",
                new_appointment_at=new,
                at=later(f),
            ),
        )
    # Later than the appointment but not after the apology itself: a bad value.
    at = f.appointment_at + timedelta(days=2)
    assert_refused(
        f,
        lambda: f.issue_apology(
            actor=OFFICER, reason="chậm", new_appointment_at=at - timedelta(hours=1), at=at
        ),
        InvalidValue,
    )
    assert_refused(
        f,
        lambda: f.issue_apology(
            actor=OFFICER, reason="", new_appointment_at=at + timedelta(days=1), at=at
        ),
        InvalidValue,
    )


def test_pay_fee_with_the_wrong_amount() -> None:
    f = build(S.IN_PROGRESS, fee=True)
    for amount in (FEE - 1, FEE + 1, 0, -FEE):
        err = assert_refused(
            f,
            partial(
                f.pay_fee,
                actor=RECEIVER,
                amount_vnd=amount,
                method=PaymentMethod.COUNTER,
                at=later(f),
            ),
            InvalidValue,
        )
        assert f"paid {amount} VND, due {FEE}" in str(err)
    f.pay_fee(actor=RECEIVER, amount_vnd=FEE, method=PaymentMethod.COUNTER, at=later(f))
    assert (f.fee_due_vnd, f.fee_paid_vnd, f.fee_paid_online) == (0, FEE, False)
    assert_illegal(f, "pay_fee", lambda: run("pay_fee", f))  # nothing is due any more


def test_fee_rules() -> None:
    f = build(S.IN_PROGRESS)
    assert_illegal(f, "pay_fee", lambda: run("pay_fee", f))  # no fee is due
    for amount in (0, -1, 1_000_000_001):
        assert_refused(
            f,
            partial(
                f.request_fee, actor=OFFICER, amount_vnd=amount, description="lệ phí", at=later(f)
            ),
            InvalidValue,
        )
    run("request_fee", f)
    assert_illegal(f, "request_fee", lambda: run("request_fee", f))  # already due


def test_return_while_a_fee_is_unpaid() -> None:
    f = build(S.SIGNED, fee=True)
    err = assert_refused(f, lambda: run("return_result", f), IllegalTransition)
    assert str(err) == (
        f"file {CODE} is 'signed': cannot return_result (a fee of {FEE} VND is still unpaid)"
    )
    run("pay_fee", f)
    run("return_result", f)
    assert f.state is S.RETURNED


def test_sign_result_only_by_the_leader_it_was_submitted_to() -> None:
    f = build(S.AWAITING_SIGNATURE)
    assert f.holder == Desk(LEADER, "leadership", UNIT)
    for someone in (OFFICER, RECEIVER, "chu-tich"):
        err = assert_refused(
            f,
            partial(f.sign_result, actor=someone, document_sha256=DOC_SHA, at=later(f)),
            IllegalTransition,
        )
        assert str(err) == (
            f"file {CODE} is 'awaiting_signature': cannot sign_result "
            f"(the file is held by {LEADER}, not {someone})"
        )
    for bad_hash in ("AB" * 32, "ab" * 31, "zz" * 32, ""):
        assert_refused(
            f,
            partial(f.sign_result, actor=LEADER, document_sha256=bad_hash, at=later(f)),
            InvalidValue,
        )
    f.sign_result(actor=LEADER, document_sha256=DOC_SHA, at=later(f))
    assert (f.state, f.signed_by, f.result_sha256) == (S.SIGNED, LEADER, DOC_SHA)


def test_hand_off_by_someone_who_does_not_hold_the_file() -> None:
    f = build(S.IN_PROGRESS)
    err = assert_refused(
        f,
        lambda: f.hand_off(actor=STRANGER, to=COUNTER_DESK, note="", at=later(f)),
        IllegalTransition,
    )
    assert str(err) == (
        f"file {CODE} is 'in_progress': cannot hand_off "
        f"(the file is held by {OFFICER}, not {STRANGER})"
    )
    for action, call in (
        (
            "request_supplement",
            lambda: f.request_supplement(actor=STRANGER, items=("x",), reason="thiếu", at=later(f)),
        ),
        (
            "submit_for_signature",
            lambda: f.submit_for_signature(actor=STRANGER, leader=LEADER, at=later(f)),
        ),
    ):
        assert_illegal(f, action, call)
    # Handing to where the file already is, or to a malformed desk, is refused too.
    assert_illegal(
        f, "hand_off", lambda: f.hand_off(actor=OFFICER, to=OFFICER_DESK, note="", at=later(f))
    )
    for desk in (Desk("Bad Officer", "justice", UNIT), Desk("", " ", UNIT), Desk("", "x", "")):
        assert_refused(
            f,
            partial(f.hand_off, actor=OFFICER, to=desk, note="", at=later(f)),
            InvalidValue,
        )


def test_a_department_inbox_can_be_worked_by_anyone() -> None:
    f = build(S.IN_PROGRESS)
    inbox = Desk("", "land", UNIT)
    f.hand_off(actor=OFFICER, to=inbox, note="về hộp thư phòng", at=later(f))
    f.hand_off(actor=STRANGER, to=OFFICER_DESK, note="nhận", at=later(f))
    assert f.holder == OFFICER_DESK
    assert f.handoffs == 3


def test_action_time_before_the_last_event() -> None:
    f = build(S.IN_PROGRESS, fee=True)
    last = f.modified_on
    tried = 0
    for name in COMMANDS:
        if (S.IN_PROGRESS, name) not in ALLOWED or name == "request_fee":
            continue
        err = assert_refused(f, partial(run, name, f, at=last - timedelta(seconds=1)), InvalidValue)
        assert "is before its last event" in str(err)
        tried += 1
    assert tried == 9
    # The same instant as the last event is fine.
    f.hand_off(actor=OFFICER, to=COUNTER_DESK, note="", at=last)
    assert f.modified_on == last


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(InvalidValue, match="time zone"):
        receive(at=naive)
    f = build(S.IN_PROGRESS)
    naive_later = later(f).replace(tzinfo=None)
    assert_refused(
        f, lambda: f.hand_off(actor=OFFICER, to=COUNTER_DESK, note="", at=naive_later), InvalidValue
    )
    assert_refused(f, lambda: f.refuse(actor=OFFICER, reason="x", at=naive_later), InvalidValue)
    assert_refused(
        f,
        lambda: f.issue_apology(
            actor=OFFICER,
            reason="chậm",
            new_appointment_at=(f.appointment_at + timedelta(days=1)).replace(tzinfo=None),
            at=later(f),
        ),
        InvalidValue,
    )


def test_online_channel_for_a_procedure_not_eligible_online() -> None:
    land = get_procedure("land_use_certificate_first")
    with pytest.raises(InvalidValue, match="cannot be filed online"):
        receive(procedure=land, channel=Channel.ONLINE)
    assert receive(procedure=land, channel=Channel.IN_PERSON).channel == "in_person"
    assert receive(channel=Channel.ONLINE).channel == "online"


@pytest.mark.parametrize(
    ("code", "unit"),
    [
        ("UBX-260302-0001", UNIT),  # a file code of another unit
        ("PBD-260302-0001", "UBX"),
        ("PBD-260230-0001", UNIT),  # no such date
        ("PBD-260302-0000", UNIT),
        ("pbd-260302-0001", "pbd"),
    ],
)
def test_file_code_must_be_valid_and_of_the_unit(code: str, unit: str) -> None:
    with pytest.raises(InvalidValue):
        receive(code=code, unit=unit)


def test_receipt_refuses_bad_values() -> None:
    with pytest.raises(InvalidValue):
        AdministrativeFile.receive(
            code=CODE,
            procedure=FIVE_DAYS,
            channel=Channel.IN_PERSON,
            unit=UNIT,
            counter="counter-3",
            department="one-stop",
            documents=(),
            applicant_ref="a",
            applicant_sealed="",
            actor=RECEIVER,
            at=T0,
            calendar=CAL,
            supplement_policy=SupplementPolicy.EXTEND,
        )
    with pytest.raises(InvalidValue):
        AdministrativeFile.receive(
            code=CODE,
            procedure=FIVE_DAYS,
            channel=Channel.IN_PERSON,
            unit=UNIT,
            counter="counter-3",
            department="one-stop",
            documents=("x",),
            applicant_ref="a",
            applicant_sealed="",
            actor="Not An Actor",
            at=T0,
            calendar=CAL,
            supplement_policy=SupplementPolicy.EXTEND,
        )


def test_rating_is_given_once() -> None:
    f = build(S.REFUSED)
    run("rate_satisfaction", f)
    assert f.rating == "satisfied"
    err = assert_refused(f, lambda: run("rate_satisfaction", f), IllegalTransition)
    assert "already rated" in str(err)


def test_supplement_from_received_returns_to_received() -> None:
    f = build(S.RECEIVED)
    f.request_supplement(actor=RECEIVER, items=("Giấy chứng sinh",), reason="mờ", at=later(f))
    assert f.state is S.AWAITING_SUPPLEMENT
    assert_illegal(f, "request_supplement", lambda: run("request_supplement", f))
    assert_illegal(f, "hand_off", lambda: run("hand_off", f))
    assert_illegal(f, "request_fee", lambda: run("request_fee", f))
    assert not f.overdue(f.due_at + timedelta(days=30))  # the clock is stopped
    assert_refused(
        f,
        lambda: f.receive_supplement(actor=RECEIVER, items=(), at=later(f), calendar=CAL),
        InvalidValue,
    )
    run("receive_supplement", f)
    assert state_of(f) is S.RECEIVED
    assert (f.missing_items, f.supplement_requested_at, f.supplements_requested) == ((), None, 1)


# ------------------------------------------------------------------ lifecycle


@pytest.mark.parametrize(
    ("returned_at", "timeliness"),
    [
        (vn(2026, 3, 10, 10, 0), "early"),  # a day before the extended due
        (vn(2026, 3, 11, 16, 0), "on_time"),  # the due day, before closing
        (vn(2026, 3, 12, 8, 0), "late"),
    ],
)
def test_happy_path(returned_at: datetime, timeliness: str) -> None:
    f = receive(at=T0)  # Monday 2 March 09:00, 5 working days
    assert f.due_at == vn(2026, 3, 9, 17, 0) == f.appointment_at  # Monday 9 March closing
    assert (f.state, f.holder, f.version) == (S.RECEIVED, COUNTER_DESK, 1)

    f.hand_off(actor=RECEIVER, to=OFFICER_DESK, note="chuyển tư pháp", at=vn(2026, 3, 2, 10, 0))
    assert (f.state, f.holder) == (S.IN_PROGRESS, OFFICER_DESK)

    f.request_supplement(
        actor=OFFICER, items=("Giấy chứng sinh",), reason="bản mờ", at=vn(2026, 3, 5, 16, 0)
    )
    assert f.state is S.AWAITING_SUPPLEMENT
    f.receive_supplement(
        actor=RECEIVER, items=("Giấy chứng sinh",), at=vn(2026, 3, 9, 8, 30), calendar=CAL
    )
    # Waited: Thu 16:00-17:00 (60) + Fri (480) + Sat, Sun (0) + Mon 7:30-8:30 (60) = 600 min.
    # Mon 9 March 17:00 + 600 office minutes: Tue 10 (480), Wed 11 7:30 + 120 = 9:30,
    # rounded up to that working day's closing: Wed 11 March 17:00.
    assert state_of(f) is S.IN_PROGRESS
    assert f.due_at == vn(2026, 3, 11, 17, 0) == f.appointment_at

    f.request_fee(actor=OFFICER, amount_vnd=FEE, description="lệ phí", at=vn(2026, 3, 9, 9, 0))
    f.pay_fee(actor=RECEIVER, amount_vnd=FEE, method=PaymentMethod.ONLINE, at=vn(2026, 3, 9, 10))
    assert (f.fee_due_vnd, f.fee_paid_vnd, f.fee_paid_online) == (0, FEE, True)

    f.submit_for_signature(actor=OFFICER, leader=LEADER, at=vn(2026, 3, 9, 11, 0))
    assert (f.state, f.holder) == (S.AWAITING_SIGNATURE, Desk(LEADER, "leadership", UNIT))
    f.sign_result(actor=LEADER, document_sha256=DOC_SHA, at=vn(2026, 3, 9, 14, 0))
    assert (f.state, f.signed_by, f.signed_at) == (S.SIGNED, LEADER, vn(2026, 3, 9, 14, 0))
    f.hand_off(actor=LEADER, to=COUNTER_DESK, note="trả về bộ phận một cửa", at=vn(2026, 3, 9, 15))
    assert (f.state, f.holder) == (S.SIGNED, COUNTER_DESK)

    f.return_result(actor=RECEIVER, method=ReturnMethod.COUNTER, at=returned_at, calendar=CAL)
    assert (f.state, f.return_timeliness, f.closed_at) == (S.RETURNED, timeliness, returned_at)
    # the file's verdict was fixed at its processing end (signed Mon 9 March, before the due
    # Wed 11): early, however late it was collected
    assert (f.processing_ended_at, f.timeliness) == (vn(2026, 3, 9, 14, 0), "early")
    assert not f.is_open
    assert not f.overdue(returned_at + timedelta(days=30))
    f.rate_satisfaction(
        actor="citizen", rating=Rating.SATISFIED, at=returned_at + timedelta(hours=1)
    )
    assert f.rating == "satisfied"

    events = f.collect_events()
    assert [type(e) for e in events] == [
        FileReceived,
        FileHandedOff,
        SupplementRequested,
        SupplementReceived,
        FeeRequested,
        FeePaid,
        SubmittedForSignature,
        ResultSigned,
        FileHandedOff,
        ResultReturned,
        SatisfactionRated,
    ]
    assert [e.originator_version for e in events] == list(range(1, 12))
    assert f.version == 11
    assert f.handoffs == 2
    returned = events[-2]
    assert isinstance(returned, ResultReturned)
    assert returned.timeliness == timeliness
    assert replay(events) == f


def test_restart_policy_counts_again_from_the_supply() -> None:
    f = receive(policy=SupplementPolicy.RESTART)
    f.request_supplement(actor=RECEIVER, items=("x",), reason="thiếu", at=vn(2026, 3, 4, 9))
    f.receive_supplement(actor=RECEIVER, items=("x",), at=vn(2026, 3, 6, 10), calendar=CAL)
    # Friday 6 March + 5 working days = Friday 13 March closing.
    assert f.due_at == vn(2026, 3, 13, 17, 0) == f.appointment_at


def test_apology_moves_the_appointment_not_the_deadline() -> None:
    f = build(S.IN_PROGRESS)
    due = f.due_at
    assert due == vn(2026, 3, 9, 17, 0)
    new = vn(2026, 3, 12, 17, 0)
    f.issue_apology(
        actor=OFFICER, reason="chờ xác minh", new_appointment_at=new, at=vn(2026, 3, 9, 16)
    )
    assert (f.due_at, f.appointment_at, f.apologies) == (due, new, 1)
    assert f.last_apology_reason == "chờ xác minh"
    assert f.state is S.IN_PROGRESS
    # overdue() follows the appointment: past the deadline but before the new date is not overdue.
    assert not f.overdue(vn(2026, 3, 10, 9, 0))
    assert not f.overdue(new)
    assert f.overdue(new + timedelta(minutes=1))
    with pytest.raises(InvalidValue):
        f.overdue(datetime(2026, 3, 13, 9, 0))  # naive
    # A second apology must go beyond the first one.
    assert_illegal(
        f,
        "issue_apology",
        lambda: f.issue_apology(
            actor=OFFICER, reason="lần 2", new_appointment_at=new, at=vn(2026, 3, 10, 8)
        ),
    )
    # The timeliness of the return is still judged against the statutory deadline.
    run("submit_for_signature", f)
    f.sign_result(actor=LEADER, document_sha256=DOC_SHA, at=vn(2026, 3, 11, 9))
    f.return_result(actor=RECEIVER, method=ReturnMethod.POST, at=vn(2026, 3, 11, 10), calendar=CAL)
    assert f.timeliness == "late"


def test_overdue_without_apology_uses_the_due_date() -> None:
    f = build(S.IN_PROGRESS)
    assert not f.overdue(f.due_at)
    assert f.overdue(f.due_at + timedelta(seconds=1))


def test_supplement_after_an_apology_shifts_the_appointment_too() -> None:
    f = build(S.IN_PROGRESS)
    new = vn(2026, 3, 13, 17, 0)
    f.issue_apology(actor=OFFICER, reason="chậm", new_appointment_at=new, at=vn(2026, 3, 5, 9))
    f.request_supplement(actor=OFFICER, items=("x",), reason="thiếu", at=vn(2026, 3, 5, 16))
    f.receive_supplement(actor=RECEIVER, items=("x",), at=vn(2026, 3, 9, 8, 30), calendar=CAL)
    assert f.due_at == vn(2026, 3, 11, 17, 0)  # as in the happy path: +2 days
    assert f.appointment_at == new + timedelta(days=2)
    assert f.appointment_at >= f.due_at


def test_replaying_collected_events_gives_an_equal_aggregate() -> None:
    for state in FileState:
        f = build(state, fee=True)
        assert f.pending_events == []
    f = receive()
    run("hand_off", f)
    run("request_fee", f)
    run("issue_apology", f)
    run("request_supplement", f)
    run("receive_supplement", f)
    run("pay_fee", f)
    run("submit_for_signature", f)
    run("hand_off", f)  # sent back by the leader
    run("refuse", f)
    run("rate_satisfaction", f)
    events = f.collect_events()
    assert f.pending_events == []
    first = events[0].mutate(None)
    assert isinstance(first, AdministrativeFile)
    assert first.version == 1
    rebuilt = replay(events)
    assert rebuilt == f
    assert rebuilt is not f
    assert rebuilt.pending_events == []
    # A prefix of the events rebuilds the file as it was then.
    partial = replay(events[:5])
    assert partial is not None
    assert (partial.version, partial.state) == (5, S.AWAITING_SUPPLEMENT)
