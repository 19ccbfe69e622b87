"""Request and response bodies of the command API (``api.routes_commands``).

Every body is strict (unknown fields are refused, text lengths and code shapes are checked here,
the business rules in ``domain``) and carries an OpenAPI example for provincial integrators.
Each lifecycle action body knows the domain command it stands for (``command``), so the
server-side mode and the client-side ``prepare`` run the very same command.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.envelope import Envelope
from signing import b64

FILE_CODE = r"^[A-Z0-9]{2,12}-\d{6}-\d{4}$"
ACTOR = r"^[a-z0-9][a-z0-9._-]{0,63}$"
KEY_ID = r"^[0-9a-f]{32}$"
HEX64 = r"^[0-9a-f]{64}$"
BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
MAX_BATCH = 1000
MAX_PER_FILE = 100

Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Actor = Annotated[str, Field(pattern=ACTOR, max_length=64)]
Items = Annotated[list[Text], Field(min_length=1, max_length=50)]
FileCode = Annotated[str, Field(pattern=FILE_CODE, max_length=24)]
KeyId = Annotated[str, Field(pattern=KEY_ID)]

EXAMPLE_CODE = "PTEST-260302-0001"
EXAMPLE_KID = "3f1c0a9be2d94c7f8a1b6e5d4c3b2a19"
EXAMPLE_HASH = "9b3d4f0e1c2a5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f"
Command = Callable[[AdministrativeFile], None]


def _strict(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


# --------------------------------------------------------------------------- actions
class ActionBody(BaseModel):
    """A lifecycle action: its body, and the domain command it stands for."""

    path: ClassVar[str]
    summary: ClassVar[str]

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        raise NotImplementedError


class DeskIn(BaseModel):
    model_config = _strict({"officer": "binh", "department": "tu-phap", "agency": "PTEST"})
    officer: Annotated[str, Field(pattern=r"^$|" + ACTOR, max_length=64)] = Field(
        description="The receiving officer; empty for a department's inbox."
    )
    department: Name
    agency: Name


class HandOff(ActionBody):
    path = "hand-off"
    summary = "Chuyển xử lý: hand the file to another officer, department or agency"
    model_config = _strict(
        {
            "to_desk": {"officer": "binh", "department": "tu-phap", "agency": "PTEST"},
            "note": "Chuyển thẩm định",
        }
    )
    to_desk: DeskIn
    note: Annotated[str, Field(max_length=500)] = ""

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        to = Desk(self.to_desk.officer, self.to_desk.department, self.to_desk.agency)
        return lambda f: f.hand_off(actor=actor, to=to, note=self.note, at=at)


class RequestSupplement(ActionBody):
    path = "request-supplement"
    summary = "Yêu cầu bổ sung: ask the citizen for missing papers (the clock stops)"
    model_config = _strict({"items": ["Bản sao CCCD"], "reason": "Thiếu bản sao CCCD"})
    items: Items
    reason: Text

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        items = tuple(self.items)
        return lambda f: f.request_supplement(actor=actor, items=items, reason=self.reason, at=at)


class ReceiveSupplement(ActionBody):
    path = "receive-supplement"
    summary = "Nhận bổ sung: the papers arrived (the clock runs again)"
    model_config = _strict({"items": ["Bản sao CCCD"]})
    items: Items

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        items = tuple(self.items)
        return lambda f: f.receive_supplement(actor=actor, items=items, at=at, calendar=calendar)


class RequestFee(ActionBody):
    path = "request-fee"
    summary = "Ask for the fee (lệ phí)"
    model_config = _strict({"amount_vnd": 4000, "description": "Lệ phí chứng thực 2 trang"})
    amount_vnd: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    description: Text

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.request_fee(
            actor=actor, amount_vnd=self.amount_vnd, description=self.description, at=at
        )


class PayFee(ActionBody):
    path = "pay-fee"
    summary = "Record the fee paid"
    model_config = _strict({"amount_vnd": 4000, "method": "counter"})
    amount_vnd: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    method: PaymentMethod

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.pay_fee(
            actor=actor, amount_vnd=self.amount_vnd, method=self.method, at=at
        )


class SubmitForSignature(ActionBody):
    path = "submit-for-signature"
    summary = "Trình ký: send the draft result to a leader"
    model_config = _strict({"leader": "chutich"})
    leader: Actor

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.submit_for_signature(actor=actor, leader=self.leader, at=at)


class SignResult(ActionBody):
    path = "sign-result"
    summary = "Ký duyệt: the leader signs the result document (its SHA-256)"
    model_config = _strict({"document_sha256": EXAMPLE_HASH})
    document_sha256: Annotated[str, Field(pattern=HEX64)]

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.sign_result(actor=actor, document_sha256=self.document_sha256, at=at)


class ReturnResult(ActionBody):
    path = "return-result"
    summary = "Trả kết quả: hand the signed result to the citizen"
    model_config = _strict({"method": "counter"})
    method: ReturnMethod

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.return_result(actor=actor, method=self.method, at=at, calendar=calendar)


class Refuse(ActionBody):
    path = "refuse"
    summary = "Từ chối: refuse the file, with the reason"
    model_config = _strict({"reason": "Hồ sơ không thuộc thẩm quyền"})
    reason: Text

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.refuse(actor=actor, reason=self.reason, at=at)


class Withdraw(ActionBody):
    path = "withdraw"
    summary = "Rút hồ sơ: the citizen withdraws the file"
    model_config = _strict({"reason": "Công dân xin rút hồ sơ"})
    reason: Text

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.withdraw(actor=actor, reason=self.reason, at=at)


class StopProcessing(ActionBody):
    path = "stop-processing"
    summary = "Dừng xử lý: stop processing the file"
    model_config = _strict({"reason": "Theo yêu cầu của cơ quan có thẩm quyền"})
    reason: Text

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.stop_processing(actor=actor, reason=self.reason, at=at)


class IssueApology(ActionBody):
    path = "issue-apology"
    summary = "Phiếu xin lỗi: apologise and set a new appointment"
    model_config = _strict(
        {"reason": "Chờ kết quả xác minh", "new_appointment_at": "2026-03-06T09:00:00Z"}
    )
    reason: Text
    new_appointment_at: AwareDatetime

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.issue_apology(
            actor=actor, reason=self.reason, new_appointment_at=self.new_appointment_at, at=at
        )


class RateSatisfaction(ActionBody):
    path = "rate-satisfaction"
    summary = "Đánh giá: record the citizen's satisfaction"
    model_config = _strict({"rating": "satisfied"})
    rating: Rating

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        return lambda f: f.rate_satisfaction(actor=actor, rating=self.rating, at=at)


ACTIONS: tuple[type[ActionBody], ...] = (
    HandOff,
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
)

_SIGNING_FIELDS = {
    "key_id": "The caller's registered key that will sign the envelope.",
    "at": "When the action happens (default: the server's clock); checked again at submit.",
    "actor": "Integration clients only: the officer who acts and signs.",
}


def _examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    extra = model.model_config.get("json_schema_extra")
    found = extra.get("examples", []) if isinstance(extra, dict) else []
    return [dict(e) for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def prepare_model(body: type[ActionBody]) -> type[ActionBody]:
    """``body`` plus the client-side signing fields ``key_id``, ``at`` and ``actor``."""
    examples = [{**e, "key_id": EXAMPLE_KID} for e in _examples(body)]
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"{body.summary}, prepared for the officer's own key.",
        "__annotations__": {
            "key_id": KeyId,
            "at": AwareDatetime | None,
            "actor": Annotated[str | None, Field(pattern=ACTOR, max_length=64)],
        },
        "key_id": Field(description=_SIGNING_FIELDS["key_id"]),
        "at": Field(default=None, description=_SIGNING_FIELDS["at"]),
        "actor": Field(default=None, description=_SIGNING_FIELDS["actor"]),
        "model_config": _strict(*examples),
    }
    made: type[ActionBody] = type("Prepare" + body.__name__, (body,), namespace)
    return made


# --------------------------------------------------------------------------- receipts
class ApplicantIn(BaseModel):
    """The applicant's personal data: sealed with a per-applicant key, never stored in clear."""

    model_config = _strict(
        {
            "full_name": "Trần Thị Bình",
            "id_number": "001190054321",
            "phone": "0987654321",
            "address": "5 Kim Mã, Hà Nội",
        }
    )
    full_name: Name
    id_number: Annotated[str, Field(min_length=1, max_length=20)]
    phone: Annotated[str, Field(max_length=20)] = ""
    address: Annotated[str, Field(max_length=300)] = ""


_RECEIPT_EXAMPLE: dict[str, Any] = {
    "procedure": "certified_copy",
    "channel": "in_person",
    "counter": "Q01",
    "department": "mot-cua",
    "documents": ["Bản chính giấy khai sinh"],
    "applicant": {
        "full_name": "Trần Thị Bình",
        "id_number": "001190054321",
        "phone": "0987654321",
        "address": "5 Kim Mã, Hà Nội",
    },
}


class ReceiptIn(BaseModel):
    """Tiếp nhận: a new file for the caller's unit."""

    model_config = _strict(_RECEIPT_EXAMPLE)
    procedure: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
    channel: Channel
    counter: Annotated[str, Field(min_length=1, max_length=50)]
    department: Name
    documents: Items
    applicant: ApplicantIn
    applicant_ref: Annotated[str | None, Field(pattern=r"^ap-[0-9a-f]{24}$")] = Field(
        default=None, description="A returning applicant's reference (their key is reused)."
    )


class PrepareReceiptIn(ReceiptIn):
    """A receipt to be signed by the officer's own key: reserves the code now."""

    model_config = _strict({**_RECEIPT_EXAMPLE, "key_id": EXAMPLE_KID})
    key_id: KeyId = Field(description=_SIGNING_FIELDS["key_id"])
    at: AwareDatetime | None = Field(default=None, description=_SIGNING_FIELDS["at"])


# --------------------------------------------------------------------------- envelopes
_ENVELOPE_EXAMPLE: dict[str, Any] = {
    "v": 1,
    "origin": "demo.hoso.vn/phuong-ba-dinh",
    "stream": EXAMPLE_CODE,
    "version": 2,
    "type": "FileHandedOff",
    "occurred_at": "2026-03-02T01:30:00.000000Z",
    "actor": "an",
    "key_id": EXAMPLE_KID,
    "payload": {
        "from_desk": {"officer": "an", "department": "mot-cua", "agency": "PTEST"},
        "to_desk": {"officer": "binh", "department": "tu-phap", "agency": "PTEST"},
        "note": "",
    },
    "prev_hash": EXAMPLE_HASH,
}
_SIG_EXAMPLE = "Zm9v" * 21 + "ZQ=="


class UnsignedEnvelopeOut(BaseModel):
    """The envelope to sign: Ed25519 over ``signing_message`` (context + RFC 8785 of this)."""

    model_config = _strict(_ENVELOPE_EXAMPLE)
    v: int
    origin: str
    stream: str
    version: int
    type: str
    occurred_at: str
    actor: str
    key_id: str
    payload: dict[str, Any]
    prev_hash: str


class PreparedOut(BaseModel):
    model_config = _strict(
        {"envelope": _ENVELOPE_EXAMPLE, "signing_message": "aG9zby9lbnZlbG9wZS92MQB7In..."}
    )
    envelope: UnsignedEnvelopeOut
    signing_message: str = Field(description="base64 of the exact bytes to sign with Ed25519.")


class PreparedReceiptOut(PreparedOut):
    model_config = _strict(
        {
            "envelope": {**_ENVELOPE_EXAMPLE, "version": 1, "type": "FileReceived"},
            "signing_message": "aG9zby9lbnZlbG9wZS92MQB7In...",
            "code": EXAMPLE_CODE,
            "applicant_ref": "ap-0123456789abcdef01234567",
        }
    )
    code: str
    applicant_ref: str


class SignedEnvelopeIn(BaseModel):
    """A prepared envelope with the officer's base64 Ed25519 signature in ``sig``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{**_ENVELOPE_EXAMPLE, "sig": _SIG_EXAMPLE}]},
    )
    v: Literal[1]
    origin: Annotated[str, Field(min_length=1, max_length=200)]
    stream: FileCode
    version: Annotated[int, Field(ge=1, le=1_000_000)]
    type: Annotated[str, Field(pattern=r"^[A-Za-z]{1,64}$")]
    occurred_at: Annotated[str, Field(pattern=INSTANT)]
    actor: Actor
    key_id: KeyId
    payload: dict[str, Any]
    prev_hash: Annotated[str, Field(pattern=HEX64)]
    sig: Annotated[str, Field(pattern=BASE64, min_length=88, max_length=88)]


class EnvelopesIn(BaseModel):
    model_config = _strict({"envelopes": [{**_ENVELOPE_EXAMPLE, "sig": _SIG_EXAMPLE}]})
    envelopes: Annotated[list[SignedEnvelopeIn], Field(min_length=1, max_length=MAX_PER_FILE)]


class BatchIn(BaseModel):
    model_config = _strict({"envelopes": [{**_ENVELOPE_EXAMPLE, "sig": _SIG_EXAMPLE}]})
    envelopes: Annotated[list[SignedEnvelopeIn], Field(min_length=1, max_length=MAX_BATCH)]


# --------------------------------------------------------------------------- results
_EVENT_EXAMPLE: dict[str, Any] = {
    **_ENVELOPE_EXAMPLE,
    "recorded_at": "2026-03-02T01:30:00.412345Z",
    "sig": _SIG_EXAMPLE,
    "hash": EXAMPLE_HASH,
}


class EventOut(BaseModel):
    """A stored envelope. ``hash`` (the next event's ``prev_hash``) is SHA-256 of the RFC 8785
    JSON of every other field except ``recorded_at``, the server's receipt time."""

    model_config = _strict(_EVENT_EXAMPLE)
    v: int
    origin: str
    stream: str
    version: int
    type: str
    occurred_at: str = Field(description="When the actor says it happened (signed).")
    recorded_at: str | None = Field(description="When the server received it (not signed).")
    actor: str
    key_id: str
    payload: dict[str, Any]
    prev_hash: str
    sig: str
    hash: str

    @classmethod
    def of(cls, env: Envelope) -> EventOut:
        body = env.unsigned.body()
        return cls(**body, recorded_at=env.recorded_at, sig=b64(env.signature), hash=env.hash())


class EventsOut(BaseModel):
    model_config = _strict({"events": [_EVENT_EXAMPLE]})
    events: list[EventOut]


class ReceiptOut(BaseModel):
    """The receipt slip: the PIN is shown here once and never again."""

    model_config = _strict(
        {
            "code": EXAMPLE_CODE,
            "pin": "042917",
            "applicant_ref": "ap-0123456789abcdef01234567",
            "appointment_at": "2026-03-02T10:00:00Z",
            "events": [{**_EVENT_EXAMPLE, "version": 1, "type": "FileReceived"}],
        }
    )
    code: str
    pin: str
    applicant_ref: str
    appointment_at: datetime
    events: list[EventOut]


class FileResult(BaseModel):
    """One file's outcome: ``stored``, ``already-stored`` (an idempotent replay) or ``refused``
    (nothing of this file was stored; ``problem`` says why, as RFC 9457 problem details)."""

    model_config = _strict(
        {"code": EXAMPLE_CODE, "status": "stored", "events": [_EVENT_EXAMPLE], "pin": None}
    )
    code: str
    status: Literal["stored", "already-stored", "refused"]
    events: list[EventOut] = []
    pin: str | None = Field(
        default=None, description="Set once: when this request stored a receipt."
    )
    problem: dict[str, Any] | None = None


class BatchOut(BaseModel):
    model_config = _strict(
        {
            "results": [
                {"code": EXAMPLE_CODE, "status": "stored", "events": [_EVENT_EXAMPLE]},
                {
                    "code": "PTEST-260302-0002",
                    "status": "refused",
                    "problem": {
                        "type": "https://hoso.vn/problems/conflict",
                        "title": "Conflict",
                        "status": 409,
                        "detail": "file PTEST-260302-0002 is at version 3: ...",
                    },
                },
            ]
        }
    )
    results: list[FileResult]
