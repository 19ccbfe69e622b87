"""Envelopes over HTTP: the unsigned envelope prepared for the officer to sign, the signed
envelopes submitted (one file, or a batch of many), the stored events answered and each file's
outcome (``stored``, ``already-stored`` or ``refused``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.commands import (
    BASE64,
    EXAMPLE_CODE,
    EXAMPLE_HASH,
    EXAMPLE_KID,
    HEX64,
    INSTANT,
    MAX_BATCH,
    MAX_PER_FILE,
    Actor,
    FileCode,
    KeyId,
    strict_config,
)
from ledger.encoding.envelope import Envelope
from signing import b64

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

    model_config = strict_config(_ENVELOPE_EXAMPLE)
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
    model_config = strict_config(
        {"envelope": _ENVELOPE_EXAMPLE, "signing_message": "aG9zby9lbnZlbG9wZS92MQB7In..."}
    )
    envelope: UnsignedEnvelopeOut
    signing_message: str = Field(description="base64 of the exact bytes to sign with Ed25519.")


class PreparedReceiptOut(PreparedOut):
    model_config = strict_config(
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
    model_config = strict_config({"envelopes": [{**_ENVELOPE_EXAMPLE, "sig": _SIG_EXAMPLE}]})
    envelopes: Annotated[list[SignedEnvelopeIn], Field(min_length=1, max_length=MAX_PER_FILE)]


class BatchIn(BaseModel):
    model_config = strict_config({"envelopes": [{**_ENVELOPE_EXAMPLE, "sig": _SIG_EXAMPLE}]})
    envelopes: Annotated[list[SignedEnvelopeIn], Field(min_length=1, max_length=MAX_BATCH)]


# --------------------------------------------------------------------------- results
EVENT_EXAMPLE: dict[str, Any] = {
    **_ENVELOPE_EXAMPLE,
    "recorded_at": "2026-03-02T01:30:00.412345Z",
    "sig": _SIG_EXAMPLE,
    "hash": EXAMPLE_HASH,
}


class EventOut(BaseModel):
    """A stored envelope. ``hash`` (the next event's ``prev_hash``) is SHA-256 of the RFC 8785
    JSON of every other field except ``recorded_at``, the server's receipt time."""

    model_config = strict_config(EVENT_EXAMPLE)
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
    model_config = strict_config({"events": [EVENT_EXAMPLE]})
    events: list[EventOut]


class FileResult(BaseModel):
    """One file's outcome: ``stored``, ``already-stored`` (an idempotent replay) or ``refused``
    (nothing of this file was stored; ``problem`` says why, as RFC 9457 problem details)."""

    model_config = strict_config(
        {"code": EXAMPLE_CODE, "status": "stored", "events": [EVENT_EXAMPLE], "pin": None}
    )
    code: str
    status: Literal["stored", "already-stored", "refused"]
    events: list[EventOut] = []
    pin: str | None = Field(
        default=None, description="Set once: when this request stored a receipt."
    )
    problem: dict[str, Any] | None = None


class BatchOut(BaseModel):
    model_config = strict_config(
        {
            "results": [
                {"code": EXAMPLE_CODE, "status": "stored", "events": [EVENT_EXAMPLE]},
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
