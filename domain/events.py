"""The events of a file's lifecycle (vòng đời hồ sơ), one per row of the process control slip.

Event class names are the stable event type names stored in every envelope: never rename one.
Each event only *applies* a decision already checked by the aggregate's command methods
(``domain.file``); replaying stored events never needs the calendar or the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate

from domain.deadlines import judge

if TYPE_CHECKING:
    from domain.file import AdministrativeFile


class FileState(StrEnum):
    """Where a file stands (trạng thái hồ sơ)."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    NOT_ACCEPTED = "not_accepted"


TERMINAL_STATES = frozenset(
    {
        FileState.RETURNED,
        FileState.REFUSED,
        FileState.WITHDRAWN,
        FileState.STOPPED,
        FileState.NOT_ACCEPTED,
    }
)


class ReturnMethod(StrEnum):
    COUNTER = "counter"
    POST = "post"
    ONLINE = "online"


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COUNTER = "counter"


class Rating(StrEnum):
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


@dataclass(frozen=True)
class Desk:
    """Who holds the file: an officer (may be empty: a department's inbox) of a department of an
    agency (the unit itself, or an outside agency such as the district police)."""

    officer: str
    department: str
    agency: str

    def describe(self) -> str:
        who = self.officer or "(inbox)"
        return f"{who} / {self.department} / {self.agency}"


def end_processing(f: AdministrativeFile, at: datetime) -> None:
    """Kết thúc xử lý: the file's processing end (the portal's NgayKetThucXuLy) is the first
    of: the result signed (processed, status 9), or, after acceptance, refused, stopped or
    withdrawn. The file is judged early / on time / late there, once (``deadlines.judge``); a
    citizen who collects the result late does not make the office late. A file closed while it
    waits for the citizen's papers (its clock stopped) is judged at the request."""
    if f.processing_ended_at is None:
        f.processing_ended_at = at
        judged = f.supplement_requested_at or at
        f.timeliness = judge(judged, f.due_at, late_by_supplement=f.late_by_supplement).value


def _closed(f: AdministrativeFile, state: FileState, at: datetime, reason: str) -> None:
    """Refused, withdrawn or stopped: closed with its reason, its processing ended."""
    f.state = state
    f.closed_at = at
    f.closing_reason = reason
    end_processing(f, at)


@dataclass(frozen=True)
class FileEvent(CanMutateAggregate[str]):
    """Base of every file event. ``actor`` is who did it; ``timestamp`` is when (aware UTC)."""

    originator_id: str
    originator_version: int
    timestamp: datetime
    actor: str

    def apply(self, aggregate: Any) -> None:
        self.apply_to(aggregate)
        aggregate.last_step = type(self).__name__

    def apply_to(self, f: AdministrativeFile) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class FileReceived(CanInitAggregate[str], FileEvent):
    """Tiếp nhận hồ sơ: the receipt-and-appointment slip."""

    originator_topic: str
    procedure: str
    channel: str
    unit: str
    counter: str
    department: str
    documents: tuple[str, ...]
    applicant_ref: str
    applicant_sealed: str
    statutory_amount: int
    statutory_unit: str
    supplement_policy: str
    due_at: datetime

    def apply_to(self, f: AdministrativeFile) -> None:
        _opened(f, self)
        f.statutory_amount = self.statutory_amount
        f.statutory_unit = self.statutory_unit
        f.supplement_policy = self.supplement_policy
        f.received_at = self.timestamp
        f.received_by = self.actor
        f.due_at = self.due_at
        f.appointment_at = self.due_at
        f.state = FileState.RECEIVED
        f.holder = Desk(self.actor, self.department, self.unit)
        f.holder_since = self.timestamp


@dataclass(frozen=True)
class FileNotAccepted(CanInitAggregate[str], FileEvent):
    """Từ chối tiếp nhận hồ sơ (phiếu từ chối tiếp nhận, form 03 of Circular 03/2025): the
    papers were checked at the counter (or the online submission) and not accepted, for
    ``reason``. The file is closed at once, never processed (portal status 3) and counts in no
    figure of files received or processed. A refusal after acceptance is ``FileRefused``."""

    originator_topic: str
    procedure: str
    channel: str
    unit: str
    counter: str
    department: str
    documents: tuple[str, ...]
    applicant_ref: str
    applicant_sealed: str
    reason: str

    def apply_to(self, f: AdministrativeFile) -> None:
        _opened(f, self)
        f.statutory_amount = 0
        f.statutory_unit = "same_day"
        f.supplement_policy = "extend"
        f.received_at = f.due_at = f.appointment_at = f.closed_at = self.timestamp
        f.received_by = self.actor
        f.state = FileState.NOT_ACCEPTED
        f.holder = Desk(self.actor, self.department, self.unit)
        f.holder_since = self.timestamp
        f.closing_reason = self.reason


def _opened(f: AdministrativeFile, e: FileReceived | FileNotAccepted) -> None:
    """What a file's first event sets, accepted or not."""
    f.code = e.originator_id
    f.procedure = e.procedure
    f.channel = e.channel
    f.unit = e.unit
    f.counter = e.counter
    f.documents = e.documents
    f.applicant_ref = e.applicant_ref
    f.applicant_sealed = e.applicant_sealed


@dataclass(frozen=True)
class FileHandedOff(FileEvent):
    """Chuyển xử lý: one handoff row of the process control slip."""

    from_desk: Desk
    to_desk: Desk
    note: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.holder = self.to_desk
        f.holder_since = self.timestamp
        if f.state in (FileState.RECEIVED, FileState.AWAITING_SIGNATURE):
            f.state = FileState.IN_PROGRESS
        f.handoffs += 1


@dataclass(frozen=True)
class HandoffAcknowledged(FileEvent):
    """Xác nhận đã nhận hồ sơ: the receiver of a hand-off signs that the file reached them
    (the receiver's column of the process control slip, form 06 of Circular 03/2025). A
    department's inbox is taken by the officer who acknowledges it."""

    def apply_to(self, f: AdministrativeFile) -> None:
        if not f.holder.officer:
            f.holder = Desk(self.actor, f.holder.department, f.holder.agency)


@dataclass(frozen=True)
class SupplementRequested(FileEvent):
    """Yêu cầu bổ sung hồ sơ: the deadline clock stops."""

    items: tuple[str, ...]
    reason: str

    def apply_to(self, f: AdministrativeFile) -> None:
        # the first request in time stops the clock; a second one, or one after the deadline,
        # makes the file late (Decision 766, indicator 2.1)
        if f.supplements_requested or self.timestamp > f.due_at:
            f.late_by_supplement = True
        f.state_before_supplement = f.state
        f.state = FileState.AWAITING_SUPPLEMENT
        f.missing_items = self.items
        f.supplement_requested_at = self.timestamp
        f.supplements_requested += 1


@dataclass(frozen=True)
class SupplementReceived(FileEvent):
    """Nhận hồ sơ bổ sung: the clock runs again, with the deadline moved as the policy says."""

    items: tuple[str, ...]
    new_due_at: datetime

    def apply_to(self, f: AdministrativeFile) -> None:
        f.state = f.state_before_supplement or FileState.IN_PROGRESS
        f.state_before_supplement = None
        if f.supplement_requested_at is not None:
            f.supplement_waits += ((f.supplement_requested_at, self.timestamp),)
        f.missing_items = ()
        f.supplement_requested_at = None
        shift = self.new_due_at - f.due_at
        f.due_at = self.new_due_at
        f.appointment_at = f.appointment_at + shift if f.apologies else self.new_due_at


@dataclass(frozen=True)
class FeeRequested(FileEvent):
    """Yêu cầu nộp phí, lệ phí."""

    amount_vnd: int
    description: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.fee_due_vnd = self.amount_vnd


@dataclass(frozen=True)
class FeePaid(FileEvent):
    """Đã nộp phí (trực tuyến hoặc tại quầy)."""

    amount_vnd: int
    method: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.fee_due_vnd = 0
        f.fee_paid_vnd += self.amount_vnd
        f.fee_paid_online = f.fee_paid_online or self.method == PaymentMethod.ONLINE


@dataclass(frozen=True)
class SubmittedForSignature(FileEvent):
    """Trình ký: the file goes to a leader."""

    leader: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.state = FileState.AWAITING_SIGNATURE
        f.holder = Desk(self.leader, "leadership", f.unit)
        f.holder_since = self.timestamp


@dataclass(frozen=True)
class ResultSigned(FileEvent):
    """Ký duyệt kết quả: the leader signs; the result document is identified by its SHA-256."""

    document_sha256: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.state = FileState.SIGNED
        f.signed_by = self.actor
        f.signed_at = self.timestamp
        f.result_sha256 = self.document_sha256
        end_processing(f, self.timestamp)


@dataclass(frozen=True)
class ResultReturned(FileEvent):
    """Trả kết quả. ``timeliness`` is the return's own against the statutory deadline (when the
    citizen collected it); the file's verdict was fixed at its processing end (the signing)."""

    method: str
    timeliness: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.state = FileState.RETURNED
        f.closed_at = self.timestamp
        f.return_timeliness = self.timeliness


@dataclass(frozen=True)
class FileRefused(FileEvent):
    """Từ chối giải quyết (phiếu từ chối)."""

    reason: str

    def apply_to(self, f: AdministrativeFile) -> None:
        _closed(f, FileState.REFUSED, self.timestamp, self.reason)


@dataclass(frozen=True)
class FileWithdrawn(FileEvent):
    """Rút hồ sơ theo yêu cầu của công dân."""

    reason: str

    def apply_to(self, f: AdministrativeFile) -> None:
        _closed(f, FileState.WITHDRAWN, self.timestamp, self.reason)


@dataclass(frozen=True)
class ProcessingStopped(FileEvent):
    """Dừng xử lý hồ sơ."""

    reason: str

    def apply_to(self, f: AdministrativeFile) -> None:
        _closed(f, FileState.STOPPED, self.timestamp, self.reason)


@dataclass(frozen=True)
class ApologyIssued(FileEvent):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả: a new appointment for a file that will be late."""

    reason: str
    new_appointment_at: datetime

    def apply_to(self, f: AdministrativeFile) -> None:
        f.appointment_at = self.new_appointment_at
        f.apologies += 1
        f.last_apology_reason = self.reason


@dataclass(frozen=True)
class SatisfactionRated(FileEvent):
    """Đánh giá mức độ hài lòng, by the citizen."""

    rating: str

    def apply_to(self, f: AdministrativeFile) -> None:
        f.rating = self.rating


@dataclass(frozen=True)
class PinReissued(FileEvent):
    """Cấp lại mã tra cứu: an officer gave the citizen a new lookup PIN at the counter (the old
    one stops working; a code locked after wrong PINs opens again). The PIN is never in it."""

    def apply_to(self, f: AdministrativeFile) -> None:
        f.pins_reissued += 1


FILE_EVENT_TYPES: tuple[type[FileEvent], ...] = (
    FileReceived,
    FileNotAccepted,
    FileHandedOff,
    SupplementRequested,
    SupplementReceived,
    FeeRequested,
    FeePaid,
    SubmittedForSignature,
    ResultSigned,
    ResultReturned,
    FileRefused,
    FileWithdrawn,
    ProcessingStopped,
    ApologyIssued,
    SatisfactionRated,
    PinReissued,
    HandoffAcknowledged,
)
