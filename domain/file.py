"""The administrative file (hồ sơ) aggregate: every command checks its rule, then triggers an event.

Commands take the actor and the instant as values (no clock), and the working calendar when a
deadline must be computed. A refused command raises ``IllegalTransition`` or ``InvalidValue``
and leaves the aggregate untouched.
"""

from __future__ import annotations

import re
from datetime import datetime

from eventsourcing.domain import BaseAggregate

from domain.calendar import WorkingCalendar
from domain.codes import check_actor, check_unit_code, parse_file_code
from domain.deadlines import (
    StatutoryTime,
    SupplementPolicy,
    TimeUnit,
    classify,
    compute_due,
    due_after_supplement,
    is_overdue,
)
from domain.errors import IllegalTransition, InvalidValue
from domain.events import (
    TERMINAL_STATES,
    ApologyIssued,
    Desk,
    FeePaid,
    FeeRequested,
    FileHandedOff,
    FileNotAccepted,
    FileReceived,
    FileRefused,
    FileState,
    FileWithdrawn,
    HandoffAcknowledged,
    PaymentMethod,
    PinReissued,
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
from domain.instants import instant as _instant
from domain.instants import new_appointment
from domain.procedures import Channel, Procedure
from domain.text import items as _items
from domain.text import text as _text

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

S = FileState
WORKING_STATES = frozenset({S.RECEIVED, S.IN_PROGRESS})


class AdministrativeFile(BaseAggregate[str]):
    """One citizen's file, from receipt to return (or refusal, withdrawal, stop)."""

    code: str
    procedure: str
    channel: str
    unit: str
    counter: str
    documents: tuple[str, ...]
    applicant_ref: str
    applicant_sealed: str
    statutory_amount: int
    statutory_unit: str
    supplement_policy: str
    received_at: datetime
    received_by: str
    due_at: datetime
    appointment_at: datetime
    state: FileState
    holder: Desk
    holder_since: datetime

    def __init__(self) -> None:
        self.state_before_supplement: FileState | None = None
        self.missing_items: tuple[str, ...] = ()
        self.supplement_requested_at: datetime | None = None
        self.supplements_requested = 0
        self.supplement_waits: tuple[tuple[datetime, datetime], ...] = ()
        self.handoffs = 0
        self.fee_due_vnd = 0
        self.fee_paid_vnd = 0
        self.fee_paid_online = False
        self.signed_by: str | None = None
        self.signed_at: datetime | None = None
        self.result_sha256: str | None = None
        self.closed_at: datetime | None = None
        self.closing_reason: str | None = None
        # the processing end and the verdict judged there (``events.end_processing``); the
        # return's own timeliness is kept apart
        self.processing_ended_at: datetime | None = None
        self.timeliness: str | None = None
        self.late_by_supplement = False
        self.return_timeliness: str | None = None
        self.apologies = 0
        self.last_apology_reason: str | None = None
        self.rating: str | None = None
        self.pins_reissued = 0
        self.last_step = ""  # the type of the file's last event

    # ----------------------------------------------------------------- creation
    @classmethod
    def receive(
        cls,
        *,
        code: str,
        procedure: Procedure,
        channel: Channel,
        unit: str,
        counter: str,
        department: str,
        documents: tuple[str, ...],
        applicant_ref: str,
        applicant_sealed: str,
        actor: str,
        at: datetime,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy,
    ) -> AdministrativeFile:
        """Tiếp nhận: open a file and fix its appointment from the statutory time."""
        _check_opening(code, procedure, channel, unit, counter, department, documents,
                       applicant_ref, actor, at)  # fmt: skip
        due = compute_due(calendar, at, procedure.time)
        return cls._create(
            FileReceived,
            id=code,
            timestamp=at,
            actor=actor,
            procedure=procedure.code,
            channel=channel.value,
            unit=unit,
            counter=counter,
            department=department,
            documents=tuple(documents),
            applicant_ref=applicant_ref,
            applicant_sealed=applicant_sealed,
            statutory_amount=procedure.time.amount,
            statutory_unit=procedure.time.unit.value,
            supplement_policy=supplement_policy.value,
            due_at=due,
        )

    @classmethod
    def not_accept(
        cls,
        *,
        code: str,
        procedure: Procedure,
        channel: Channel,
        unit: str,
        counter: str,
        department: str,
        documents: tuple[str, ...],
        applicant_ref: str,
        applicant_sealed: str,
        actor: str,
        at: datetime,
        reason: str,
    ) -> AdministrativeFile:
        """Từ chối tiếp nhận: the papers are not accepted at the counter; the file is born
        closed, with the refusal slip's reason (no deadline, no processing)."""
        _check_opening(code, procedure, channel, unit, counter, department, documents,
                       applicant_ref, actor, at)  # fmt: skip
        return cls._create(
            FileNotAccepted,
            id=code,
            timestamp=at,
            actor=actor,
            procedure=procedure.code,
            channel=channel.value,
            unit=unit,
            counter=counter,
            department=department,
            documents=tuple(documents),
            applicant_ref=applicant_ref,
            applicant_sealed=applicant_sealed,
            reason=_text(reason, "reason", multiline=True),
        )

    # ----------------------------------------------------------------- helpers
    @property
    def statutory(self) -> StatutoryTime:
        return StatutoryTime(self.statutory_amount, TimeUnit(self.statutory_unit))

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    def overdue(self, now: datetime) -> bool:
        """Open and past its (possibly re-appointed) date; never while waiting for the citizen."""
        if not self.is_open or self.state is S.AWAITING_SUPPLEMENT:
            return False
        return is_overdue(now, self.appointment_at)

    def _refuse(self, action: str, reason: str = "") -> IllegalTransition:
        return IllegalTransition(self.id, self.state.value, action, reason)

    def _require(self, action: str, allowed: frozenset[FileState], why: str) -> None:
        if self.state not in allowed:
            raise self._refuse(action, why)

    def _require_open(self, action: str) -> None:
        if self.state is S.WITHDRAWN:
            raise self._refuse(action, "the citizen withdrew the file")
        if not self.is_open:
            raise self._refuse(action, "the file is closed")

    def _require_holder(self, action: str, actor: str) -> None:
        if self.holder.officer and actor != self.holder.officer:
            raise self._refuse(action, f"the file is held by {self.holder.officer}, not {actor}")

    def _check_time(self, at: datetime) -> datetime:
        _instant(at, "action time")
        if at < self.modified_on:
            raise InvalidValue(
                f"file {self.id}: action time {at.isoformat()} is before its last event "
                f"({self.modified_on.isoformat()})"
            )
        return at

    # ----------------------------------------------------------------- commands
    def hand_off(self, *, actor: str, to: Desk, note: str, at: datetime) -> None:
        """Chuyển xử lý to another officer, department or agency."""
        action = "hand_off"
        self._require_open(action)
        allowed = frozenset({S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SIGNATURE, S.SIGNED})
        self._require(action, allowed, "a file waiting for the citizen's papers stays put")
        self._require_holder(action, actor)
        check_actor(actor)
        if to.officer:
            check_actor(to.officer)
        _text(to.department, "receiving department")
        _text(to.agency, "receiving agency")
        _text(to.officer, "receiving officer", required=False)
        _text(note, "note", required=False, multiline=True)
        if to == self.holder:
            raise self._refuse(action, "the file is already there")
        self.trigger_event(
            FileHandedOff,
            timestamp=self._check_time(at),
            actor=actor,
            from_desk=self.holder,
            to_desk=to,
            note=note,
        )

    def acknowledge_handoff(self, *, actor: str, at: datetime) -> None:
        """Xác nhận nhận hồ sơ: the hand-off's receiver (or, for a department's inbox, the
        officer who takes it) acknowledges it, before anything else happens to the file."""
        action = "acknowledge_handoff"
        self._require_open(action)
        if self.last_step != FileHandedOff.__name__:
            raise self._refuse(action, "only the last step, a hand-off, is acknowledged")
        self._require_holder(action, actor)
        check_actor(actor)
        self.trigger_event(HandoffAcknowledged, timestamp=self._check_time(at), actor=actor)

    def request_supplement(
        self, *, actor: str, items: tuple[str, ...], reason: str, at: datetime
    ) -> None:
        """Yêu cầu bổ sung: ask the citizen for missing papers; the clock stops."""
        action = "request_supplement"
        self._require_open(action)
        self._require(action, WORKING_STATES, "papers are asked for while the file is processed")
        self._require_holder(action, actor)
        self.trigger_event(
            SupplementRequested,
            timestamp=self._check_time(at),
            actor=actor,
            items=_items(items, "missing papers"),
            reason=_text(reason, "reason", multiline=True),
        )

    def receive_supplement(
        self, *, actor: str, items: tuple[str, ...], at: datetime, calendar: WorkingCalendar
    ) -> None:
        """Nhận bổ sung: the papers arrived; the clock runs again."""
        action = "receive_supplement"
        self._require_open(action)
        self._require(action, frozenset({S.AWAITING_SUPPLEMENT}), "no papers were requested")
        at = self._check_time(at)
        assert self.supplement_requested_at is not None
        new_due = due_after_supplement(
            calendar,
            due_at=self.due_at,
            requested_at=self.supplement_requested_at,
            supplied_at=at,
            statutory=self.statutory,
            policy=SupplementPolicy(self.supplement_policy),
        )
        self.trigger_event(
            SupplementReceived,
            timestamp=at,
            actor=actor,
            items=_items(items, "papers received"),
            new_due_at=new_due,
        )

    def request_fee(self, *, actor: str, amount_vnd: int, description: str, at: datetime) -> None:
        action = "request_fee"
        self._require_open(action)
        allowed = frozenset({S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SIGNATURE, S.SIGNED})
        self._require(action, allowed, "fees are asked for while the file is open")
        if self.fee_due_vnd:
            raise self._refuse(action, f"a fee of {self.fee_due_vnd} VND is already due")
        if not 0 < amount_vnd <= 1_000_000_000:
            raise InvalidValue(f"fee {amount_vnd} VND must be positive and at most 1e9")
        self.trigger_event(
            FeeRequested,
            timestamp=self._check_time(at),
            actor=actor,
            amount_vnd=amount_vnd,
            description=_text(description, "fee description"),
        )

    def pay_fee(self, *, actor: str, amount_vnd: int, method: PaymentMethod, at: datetime) -> None:
        action = "pay_fee"
        self._require_open(action)
        if not self.fee_due_vnd:
            raise self._refuse(action, "no fee is due")
        if amount_vnd != self.fee_due_vnd:
            raise InvalidValue(f"file {self.id}: paid {amount_vnd} VND, due {self.fee_due_vnd}")
        self.trigger_event(
            FeePaid,
            timestamp=self._check_time(at),
            actor=actor,
            amount_vnd=amount_vnd,
            method=method.value,
        )

    def submit_for_signature(self, *, actor: str, leader: str, at: datetime) -> None:
        """Trình ký: send the draft result to a leader."""
        action = "submit_for_signature"
        self._require_open(action)
        self._require(action, WORKING_STATES, "only a file being processed goes for signature")
        self._require_holder(action, actor)
        self.trigger_event(
            SubmittedForSignature,
            timestamp=self._check_time(at),
            actor=actor,
            leader=check_actor(leader),
        )

    def sign_result(self, *, actor: str, document_sha256: str, at: datetime) -> None:
        """Ký duyệt: the leader it was submitted to signs the result."""
        action = "sign_result"
        self._require_open(action)
        self._require(
            action, frozenset({S.AWAITING_SIGNATURE}), "it was not submitted for signature"
        )
        self._require_holder(action, actor)
        if not SHA256_HEX.match(document_sha256):
            raise InvalidValue("result document hash must be 64 lower-case hex digits (SHA-256)")
        self.trigger_event(
            ResultSigned,
            timestamp=self._check_time(at),
            actor=actor,
            document_sha256=document_sha256,
        )

    def return_result(
        self, *, actor: str, method: ReturnMethod, at: datetime, calendar: WorkingCalendar
    ) -> None:
        """Trả kết quả: hand the signed result to the citizen."""
        action = "return_result"
        self._require_open(action)
        self._require(action, frozenset({S.SIGNED}), "the result is not signed yet")
        if self.fee_due_vnd:
            raise self._refuse(action, f"a fee of {self.fee_due_vnd} VND is still unpaid")
        at = self._check_time(at)
        self.trigger_event(
            ResultReturned,
            timestamp=at,
            actor=actor,
            method=method.value,
            timeliness=classify(calendar, at, self.due_at).value,
        )

    def refuse(self, *, actor: str, reason: str, at: datetime) -> None:
        action = "refuse"
        self._require_open(action)
        allowed = frozenset(
            {S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_SIGNATURE}
        )
        self._require(action, allowed, "a signed result is returned, not refused")
        self.trigger_event(
            FileRefused,
            timestamp=self._check_time(at),
            actor=actor,
            reason=_text(reason, "reason", multiline=True),
        )

    def withdraw(self, *, actor: str, reason: str, at: datetime) -> None:
        """Rút hồ sơ at the citizen's request."""
        self._require_open("withdraw")
        self.trigger_event(
            FileWithdrawn,
            timestamp=self._check_time(at),
            actor=actor,
            reason=_text(reason, "reason", multiline=True),
        )

    def stop_processing(self, *, actor: str, reason: str, at: datetime) -> None:
        self._require_open("stop_processing")
        self.trigger_event(
            ProcessingStopped,
            timestamp=self._check_time(at),
            actor=actor,
            reason=_text(reason, "reason", multiline=True),
        )

    def issue_apology(
        self, *, actor: str, reason: str, new_appointment_at: datetime, at: datetime
    ) -> None:
        """Phiếu xin lỗi: a new appointment, later than the current one and than now."""
        action = "issue_apology"
        self._require_open(action)
        at = self._check_time(at)
        new_appointment(new_appointment_at, at)
        if new_appointment_at <= self.appointment_at:
            raise self._refuse(
                action,
                f"the new date {new_appointment_at.isoformat()} is not after the current "
                f"appointment {self.appointment_at.isoformat()}",
            )
        if new_appointment_at <= at:
            raise InvalidValue("the new appointment must be in the future")
        self.trigger_event(
            ApologyIssued,
            timestamp=at,
            actor=actor,
            reason=_text(reason, "reason", multiline=True),
            new_appointment_at=new_appointment_at,
        )

    def rate_satisfaction(self, *, actor: str, rating: Rating, at: datetime) -> None:
        """Đánh giá: the citizen rates the service once the file is returned or refused."""
        action = "rate_satisfaction"
        if self.state is S.WITHDRAWN:
            raise self._refuse(action, "the citizen withdrew the file")
        self._require(action, frozenset({S.RETURNED, S.REFUSED}), "the file is not finished")
        if self.rating is not None:
            raise self._refuse(action, "it was already rated")
        self.trigger_event(
            SatisfactionRated, timestamp=self._check_time(at), actor=actor, rating=rating.value
        )

    def reissue_pin(self, *, actor: str, at: datetime) -> None:
        """Cấp lại mã tra cứu: allowed whatever the file's state (a citizen may look up a
        returned file too); the new PIN's hash is the ledger's side row, never the event's."""
        self.trigger_event(PinReissued, timestamp=self._check_time(at), actor=actor)


def _check_opening(
    code: str,
    procedure: Procedure,
    channel: Channel,
    unit: str,
    counter: str,
    department: str,
    documents: tuple[str, ...],
    applicant_ref: str,
    actor: str,
    at: datetime,
) -> None:
    """What a file's first event needs, accepted or not: a code of its unit, an actor, a time,
    a channel the procedure allows, the texts of the counter."""
    parsed = parse_file_code(code)
    check_unit_code(unit)
    if parsed.unit != unit:
        raise InvalidValue(f"file code {code} does not belong to unit {unit}")
    check_actor(actor)
    _instant(at, "receipt time")
    if channel is Channel.ONLINE and not procedure.online_eligible:
        raise InvalidValue(f"procedure {procedure.code} cannot be filed online")
    _text(counter, "counter")
    _text(department, "department")
    _items(documents, "documents submitted")
    _text(applicant_ref, "applicant reference")
