"""Receipts (tiếp nhận): the applicant's personal data, the receipt for the server to sign or
prepared for the officer's own key, and the receipt slip answered once with the PIN."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field

from api.http.schemas.commands import (
    EXAMPLE_CODE,
    EXAMPLE_KID,
    SIGNING_FIELDS,
    Items,
    KeyId,
    Name,
    strict_config,
)
from api.http.schemas.envelopes import EVENT_EXAMPLE, EventOut
from domain.procedures import Channel


class ApplicantIn(BaseModel):
    """The applicant's personal data: sealed with a per-applicant key, never stored in clear."""

    model_config = strict_config(
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

    model_config = strict_config(_RECEIPT_EXAMPLE)
    procedure: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
    channel: Channel
    counter: Annotated[str, Field(min_length=1, max_length=50)]
    department: Name
    documents: Items
    applicant: ApplicantIn
    applicant_ref: Annotated[str | None, Field(pattern=r"^ap-[0-9a-f]{24}$")] = Field(
        default=None, description="A returning applicant's reference (their key is reused)."
    )


class CounterReceiptIn(ReceiptIn):
    """Tiếp nhận signed by the server with the officer's key; with ``refusal``, the papers are
    not accepted (từ chối tiếp nhận, form 03): the file opens closed, with portal status 3, and
    counts in no figure of files received or processed."""

    model_config = strict_config(_RECEIPT_EXAMPLE)
    refusal: Annotated[str | None, Field(min_length=1, max_length=500)] = Field(
        default=None,
        description="Why the papers are not accepted at the counter (if they are not).",
    )


class PrepareReceiptIn(ReceiptIn):
    """A receipt to be signed by the officer's own key: reserves the code now."""

    model_config = strict_config({**_RECEIPT_EXAMPLE, "key_id": EXAMPLE_KID})
    key_id: KeyId = Field(description=SIGNING_FIELDS["key_id"])
    at: AwareDatetime | None = Field(default=None, description=SIGNING_FIELDS["at"])


PIN_NOTICE_VI = (
    "Giữ kín mã tra cứu. Nhập sai 5 lần, việc tra cứu hồ sơ bị tạm khóa; mang giấy tiếp nhận "
    "và căn cước đến bộ phận một cửa để được cấp lại mã."
)
PIN_NOTICE = (
    "Keep the PIN private. After 5 wrong PINs the file's lookup is locked for a while; bring "
    "this receipt and your ID card to the one-stop counter to have a new PIN issued."
)


class ReceiptOut(BaseModel):
    """The receipt slip: the PIN is shown here once and never again."""

    model_config = strict_config(
        {
            "code": EXAMPLE_CODE,
            "pin": "042917",
            "applicant_ref": "ap-0123456789abcdef01234567",
            "appointment_at": "2026-03-02T10:00:00Z",
            "events": [{**EVENT_EXAMPLE, "version": 1, "type": "FileReceived"}],
            "pin_notice_vi": PIN_NOTICE_VI,
            "pin_notice": PIN_NOTICE,
        }
    )
    code: str
    pin: str
    applicant_ref: str
    appointment_at: datetime
    events: list[EventOut]
    pin_notice_vi: str = Field(default=PIN_NOTICE_VI, description="For the printed receipt.")
    pin_notice: str = Field(default=PIN_NOTICE, description="The same, in English.")
