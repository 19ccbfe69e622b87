"""The lifecycle commands (lệnh xử lý hồ sơ): each action's input as plain values, and the
``AdministrativeFile`` method it calls.

One table for every caller: the HTTP bodies map to a command, the intake replays a client-signed
event as the command that gives it (``of_event``), the demo plans commands. ``apply`` runs one on
a file with the actor, the instant and the working calendar it needs; the aggregate checks the
rule. ``Receive`` opens a file (``AdministrativeFile.receive``); the others act on one.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.calendar import WorkingCalendar
from domain.codes import format_file_code, parse_file_code
from domain.deadlines import SupplementPolicy
from domain.errors import InvalidValue
from domain.events import (
    ApologyIssued,
    Desk,
    FeePaid,
    FeeRequested,
    FileEvent,
    FileHandedOff,
    FileNotAccepted,
    FileReceived,
    FileRefused,
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
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure


@dataclass(frozen=True)
class Receive:
    """Tiếp nhận: open a file under ``code`` (issued by the receiving unit's daily counter);
    with a ``refusal`` reason, the papers are not accepted (từ chối tiếp nhận: the file opens
    closed, ``FileNotAccepted``)."""

    procedure: str
    channel: Channel
    unit: str
    counter: str
    department: str
    documents: tuple[str, ...]
    applicant_ref: str
    applicant_sealed: str
    refusal: str = ""

    def open(
        self,
        code: str,
        *,
        actor: str,
        at: datetime,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy,
    ) -> AdministrativeFile:
        if self.refusal:
            return AdministrativeFile.not_accept(
                code=code,
                procedure=get_procedure(self.procedure),
                channel=self.channel,
                unit=self.unit,
                counter=self.counter,
                department=self.department,
                documents=self.documents,
                applicant_ref=self.applicant_ref,
                applicant_sealed=self.applicant_sealed,
                actor=actor,
                at=at,
                reason=self.refusal,
            )
        return AdministrativeFile.receive(
            code=code,
            procedure=get_procedure(self.procedure),
            channel=self.channel,
            unit=self.unit,
            counter=self.counter,
            department=self.department,
            documents=self.documents,
            applicant_ref=self.applicant_ref,
            applicant_sealed=self.applicant_sealed,
            actor=actor,
            at=at,
            calendar=calendar,
            supplement_policy=supplement_policy,
        )

    def draft(
        self,
        *,
        actor: str,
        at: datetime,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy,
    ) -> FileReceived | FileNotAccepted:
        """The receipt rule, before a number is reserved: the receipt event under the unit's
        first code of the day (``issue`` gives it the code the unit's counter then issues)."""
        provisional = format_file_code(self.unit, at.astimezone(calendar.tz).date(), 1)
        f = self.open(
            provisional,
            actor=actor,
            at=at,
            calendar=calendar,
            supplement_policy=supplement_policy,
        )
        (event,) = f.collect_events()
        assert isinstance(event, FileReceived | FileNotAccepted)
        return event

    @staticmethod
    def issue(draft: FileReceived | FileNotAccepted, code: str) -> AdministrativeFile:
        """The file ``draft`` opens, under ``code`` (of the draft's unit): the rule does not
        depend on the number, so the draft's checks hold for it."""
        if parse_file_code(code).unit != draft.unit:
            raise InvalidValue(f"file code {code} does not belong to unit {draft.unit}")
        event = dataclasses.replace(draft, originator_id=code)
        f = event.mutate(None)
        assert isinstance(f, AdministrativeFile)
        f.pending_events.append(event)
        return f

    @classmethod
    def of_event(cls, event: FileReceived | FileNotAccepted) -> Receive:
        """The receipt (or refusal at the counter) that gives ``event``."""
        return cls(
            procedure=event.procedure,
            channel=Channel(event.channel),
            unit=event.unit,
            counter=event.counter,
            department=event.department,
            documents=event.documents,
            applicant_ref=event.applicant_ref,
            applicant_sealed=event.applicant_sealed,
            refusal=event.reason if isinstance(event, FileNotAccepted) else "",
        )


OPENING_EVENTS = frozenset({"FileReceived", "FileNotAccepted"})
"""The event types a file's stream starts with (``Receive``)."""


@dataclass(frozen=True)
class FileCommand(ABC):
    """A command on an open file: ``action`` names the aggregate method, ``event`` what it gives."""

    action: ClassVar[str]
    event: ClassVar[type[FileEvent]]

    @abstractmethod
    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        """Call the aggregate's method for this command (the domain checks its rule there)."""

    @classmethod
    @abstractmethod
    def of_event(cls, event: FileEvent) -> FileCommand:
        """The command that gives ``event`` (ValueError: a field no command takes)."""


@dataclass(frozen=True)
class HandOff(FileCommand):
    action = "hand_off"
    event = FileHandedOff
    to: Desk
    note: str = ""

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.hand_off(actor=actor, to=self.to, note=self.note, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> HandOff:
        assert isinstance(event, FileHandedOff)
        return cls(to=event.to_desk, note=event.note)


@dataclass(frozen=True)
class AcknowledgeHandoff(FileCommand):
    action = "acknowledge_handoff"
    event = HandoffAcknowledged

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.acknowledge_handoff(actor=actor, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> AcknowledgeHandoff:
        assert isinstance(event, HandoffAcknowledged)
        return cls()


@dataclass(frozen=True)
class RequestSupplement(FileCommand):
    action = "request_supplement"
    event = SupplementRequested
    items: tuple[str, ...]
    reason: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.request_supplement(actor=actor, items=self.items, reason=self.reason, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> RequestSupplement:
        assert isinstance(event, SupplementRequested)
        return cls(items=event.items, reason=event.reason)


@dataclass(frozen=True)
class ReceiveSupplement(FileCommand):
    action = "receive_supplement"
    event = SupplementReceived
    items: tuple[str, ...]

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.receive_supplement(actor=actor, items=self.items, at=at, calendar=calendar)

    @classmethod
    def of_event(cls, event: FileEvent) -> ReceiveSupplement:
        assert isinstance(event, SupplementReceived)
        return cls(items=event.items)


@dataclass(frozen=True)
class RequestFee(FileCommand):
    action = "request_fee"
    event = FeeRequested
    amount_vnd: int
    description: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.request_fee(actor=actor, amount_vnd=self.amount_vnd, description=self.description, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> RequestFee:
        assert isinstance(event, FeeRequested)
        return cls(amount_vnd=event.amount_vnd, description=event.description)


@dataclass(frozen=True)
class PayFee(FileCommand):
    action = "pay_fee"
    event = FeePaid
    amount_vnd: int
    method: PaymentMethod

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.pay_fee(actor=actor, amount_vnd=self.amount_vnd, method=self.method, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> PayFee:
        assert isinstance(event, FeePaid)
        return cls(amount_vnd=event.amount_vnd, method=PaymentMethod(event.method))


@dataclass(frozen=True)
class SubmitForSignature(FileCommand):
    action = "submit_for_signature"
    event = SubmittedForSignature
    leader: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.submit_for_signature(actor=actor, leader=self.leader, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> SubmitForSignature:
        assert isinstance(event, SubmittedForSignature)
        return cls(leader=event.leader)


@dataclass(frozen=True)
class SignResult(FileCommand):
    action = "sign_result"
    event = ResultSigned
    document_sha256: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.sign_result(actor=actor, document_sha256=self.document_sha256, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> SignResult:
        assert isinstance(event, ResultSigned)
        return cls(document_sha256=event.document_sha256)


@dataclass(frozen=True)
class ReturnResult(FileCommand):
    action = "return_result"
    event = ResultReturned
    method: ReturnMethod

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.return_result(actor=actor, method=self.method, at=at, calendar=calendar)

    @classmethod
    def of_event(cls, event: FileEvent) -> ReturnResult:
        assert isinstance(event, ResultReturned)
        return cls(method=ReturnMethod(event.method))


@dataclass(frozen=True)
class Refuse(FileCommand):
    action = "refuse"
    event = FileRefused
    reason: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.refuse(actor=actor, reason=self.reason, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> Refuse:
        assert isinstance(event, FileRefused)
        return cls(reason=event.reason)


@dataclass(frozen=True)
class Withdraw(FileCommand):
    action = "withdraw"
    event = FileWithdrawn
    reason: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.withdraw(actor=actor, reason=self.reason, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> Withdraw:
        assert isinstance(event, FileWithdrawn)
        return cls(reason=event.reason)


@dataclass(frozen=True)
class StopProcessing(FileCommand):
    action = "stop_processing"
    event = ProcessingStopped
    reason: str

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.stop_processing(actor=actor, reason=self.reason, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> StopProcessing:
        assert isinstance(event, ProcessingStopped)
        return cls(reason=event.reason)


@dataclass(frozen=True)
class IssueApology(FileCommand):
    action = "issue_apology"
    event = ApologyIssued
    reason: str
    new_appointment_at: datetime

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.issue_apology(
            actor=actor, reason=self.reason, new_appointment_at=self.new_appointment_at, at=at
        )

    @classmethod
    def of_event(cls, event: FileEvent) -> IssueApology:
        assert isinstance(event, ApologyIssued)
        return cls(reason=event.reason, new_appointment_at=event.new_appointment_at)


@dataclass(frozen=True)
class RateSatisfaction(FileCommand):
    action = "rate_satisfaction"
    event = SatisfactionRated
    rating: Rating

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.rate_satisfaction(actor=actor, rating=self.rating, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> RateSatisfaction:
        assert isinstance(event, SatisfactionRated)
        return cls(rating=Rating(event.rating))


@dataclass(frozen=True)
class ReissuePin(FileCommand):
    action = "reissue_pin"
    event = PinReissued

    def apply(
        self, f: AdministrativeFile, *, actor: str, at: datetime, calendar: WorkingCalendar
    ) -> None:
        f.reissue_pin(actor=actor, at=at)

    @classmethod
    def of_event(cls, event: FileEvent) -> ReissuePin:
        assert isinstance(event, PinReissued)
        return cls()


COMMANDS: tuple[type[FileCommand], ...] = (
    HandOff,
    AcknowledgeHandoff,
    RequestSupplement,
    ReceiveSupplement,
    RequestFee,
    PayFee,
    SubmitForSignature,
    SignResult,
    ReturnResult,
    Refuse,
    Withdraw,
    StopProcessing,
    IssueApology,
    RateSatisfaction,
    ReissuePin,
)
BY_ACTION: Mapping[str, type[FileCommand]] = {c.action: c for c in COMMANDS}
"""The command of each aggregate method's name (``"hand_off"``: ``HandOff``)."""
BY_EVENT: Mapping[str, type[FileCommand]] = {c.event.__name__: c for c in COMMANDS}
"""The command that gives each stored event type (``"FileHandedOff"``: ``HandOff``)."""
