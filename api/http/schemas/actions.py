"""The lifecycle actions' bodies (chuyển xử lý, yêu cầu bổ sung, trình ký, ký duyệt, trả kết quả,
...): each maps to its domain command (``domain.commands``, ``to_command``), so the server-side
mode and the client-side ``prepare`` run the very same command; ``prepare_model`` adds the
signing fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, Field

from api.http.schemas.commands import (
    ACTOR,
    EXAMPLE_HASH,
    EXAMPLE_KID,
    HEX64,
    SIGNING_FIELDS,
    Actor,
    Items,
    KeyId,
    Name,
    Text,
    strict_config,
)
from domain import commands
from domain.calendar import WorkingCalendar
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile

Command = Callable[[AdministrativeFile], None]


class ActionBody(BaseModel):
    """A lifecycle action: its body, and the domain command it stands for."""

    path: ClassVar[str]
    summary: ClassVar[str]

    def to_command(self) -> commands.FileCommand:
        """The domain command this body stands for."""
        raise NotImplementedError

    def command(self, actor: str, at: datetime, calendar: WorkingCalendar) -> Command:
        """The command as ``actor`` gives it at ``at``, ready to run on the file."""
        command = self.to_command()
        return lambda f: command.apply(f, actor=actor, at=at, calendar=calendar)


class DeskIn(BaseModel):
    model_config = strict_config({"officer": "binh", "department": "tu-phap", "agency": "PTEST"})
    officer: Annotated[str, Field(pattern=r"^$|" + ACTOR, max_length=64)] = Field(
        description="The receiving officer; empty for a department's inbox."
    )
    department: Name
    agency: Name


class HandOff(ActionBody):
    path = "hand-off"
    summary = "Chuyển xử lý: hand the file to another officer, department or agency"
    model_config = strict_config(
        {
            "to_desk": {"officer": "binh", "department": "tu-phap", "agency": "PTEST"},
            "note": "Chuyển thẩm định",
        }
    )
    to_desk: DeskIn
    note: Annotated[str, Field(max_length=500)] = ""

    def to_command(self) -> commands.HandOff:
        desk = self.to_desk
        return commands.HandOff(Desk(desk.officer, desk.department, desk.agency), self.note)


class AcknowledgeHandoff(ActionBody):
    path = "acknowledge-handoff"
    summary = "Xác nhận nhận hồ sơ: the receiver acknowledges the hand-off (its own signed step)"
    model_config = strict_config({})

    def to_command(self) -> commands.AcknowledgeHandoff:
        return commands.AcknowledgeHandoff()


class RequestSupplement(ActionBody):
    path = "request-supplement"
    summary = "Yêu cầu bổ sung: ask the citizen for missing papers (the clock stops)"
    model_config = strict_config({"items": ["Bản sao CCCD"], "reason": "Thiếu bản sao CCCD"})
    items: Items
    reason: Text

    def to_command(self) -> commands.RequestSupplement:
        return commands.RequestSupplement(tuple(self.items), self.reason)


class ReceiveSupplement(ActionBody):
    path = "receive-supplement"
    summary = "Nhận bổ sung: the papers arrived (the clock runs again)"
    model_config = strict_config({"items": ["Bản sao CCCD"]})
    items: Items

    def to_command(self) -> commands.ReceiveSupplement:
        return commands.ReceiveSupplement(tuple(self.items))


class RequestFee(ActionBody):
    path = "request-fee"
    summary = "Ask for the fee (lệ phí)"
    model_config = strict_config({"amount_vnd": 4000, "description": "Lệ phí chứng thực 2 trang"})
    amount_vnd: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    description: Text

    def to_command(self) -> commands.RequestFee:
        return commands.RequestFee(self.amount_vnd, self.description)


class PayFee(ActionBody):
    path = "pay-fee"
    summary = "Record the fee paid"
    model_config = strict_config({"amount_vnd": 4000, "method": "counter"})
    amount_vnd: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    method: PaymentMethod

    def to_command(self) -> commands.PayFee:
        return commands.PayFee(self.amount_vnd, self.method)


class SubmitForSignature(ActionBody):
    path = "submit-for-signature"
    summary = "Trình ký: send the draft result to a leader"
    model_config = strict_config({"leader": "chutich"})
    leader: Actor

    def to_command(self) -> commands.SubmitForSignature:
        return commands.SubmitForSignature(self.leader)


class SignResult(ActionBody):
    path = "sign-result"
    summary = "Ký duyệt: the leader signs the result document (its SHA-256)"
    model_config = strict_config({"document_sha256": EXAMPLE_HASH})
    document_sha256: Annotated[str, Field(pattern=HEX64)]

    def to_command(self) -> commands.SignResult:
        return commands.SignResult(self.document_sha256)


class ReturnResult(ActionBody):
    path = "return-result"
    summary = "Trả kết quả: hand the signed result to the citizen"
    model_config = strict_config({"method": "counter"})
    method: ReturnMethod

    def to_command(self) -> commands.ReturnResult:
        return commands.ReturnResult(self.method)


class Refuse(ActionBody):
    path = "refuse"
    summary = "Từ chối: refuse the file, with the reason"
    model_config = strict_config({"reason": "Hồ sơ không thuộc thẩm quyền"})
    reason: Text

    def to_command(self) -> commands.Refuse:
        return commands.Refuse(self.reason)


class Withdraw(ActionBody):
    path = "withdraw"
    summary = "Rút hồ sơ: the citizen withdraws the file"
    model_config = strict_config({"reason": "Công dân xin rút hồ sơ"})
    reason: Text

    def to_command(self) -> commands.Withdraw:
        return commands.Withdraw(self.reason)


class StopProcessing(ActionBody):
    path = "stop-processing"
    summary = "Dừng xử lý: stop processing the file"
    model_config = strict_config({"reason": "Theo yêu cầu của cơ quan có thẩm quyền"})
    reason: Text

    def to_command(self) -> commands.StopProcessing:
        return commands.StopProcessing(self.reason)


class IssueApology(ActionBody):
    path = "issue-apology"
    summary = "Phiếu xin lỗi: apologise and set a new appointment"
    model_config = strict_config(
        {"reason": "Chờ kết quả xác minh", "new_appointment_at": "2026-03-06T09:00:00Z"}
    )
    reason: Text
    new_appointment_at: AwareDatetime

    def to_command(self) -> commands.IssueApology:
        return commands.IssueApology(self.reason, self.new_appointment_at)


class RateSatisfaction(ActionBody):
    path = "rate-satisfaction"
    summary = "Đánh giá: record the citizen's satisfaction"
    model_config = strict_config({"rating": "satisfied"})
    rating: Rating

    def to_command(self) -> commands.RateSatisfaction:
        return commands.RateSatisfaction(self.rating)


ACTIONS: tuple[type[ActionBody], ...] = (
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
)


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
        "key_id": Field(description=SIGNING_FIELDS["key_id"]),
        "at": Field(default=None, description=SIGNING_FIELDS["at"]),
        "actor": Field(default=None, description=SIGNING_FIELDS["actor"]),
        "model_config": strict_config(*examples),
    }
    made: type[ActionBody] = type("Prepare" + body.__name__, (body,), namespace)
    return made
