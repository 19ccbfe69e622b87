"""Server-side signing (ký phía máy chủ): ``POST /files`` and ``POST /files/{code}/<action>``.
The caller is the acting officer or leader; the server signs with that actor's key from its key
directory (``settings.keys_dir``), at the server's clock."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from api.errors import Problem
from api.http.auth import authorize_file
from api.http.routes.commands_common import CodePath, Officer, person, signature
from api.http.schemas.actions import ActionBody
from api.http.schemas.envelopes import EventOut, EventsOut
from api.http.schemas.receipts import CounterReceiptIn, ReceiptOut
from api.http.state import ledger_of
from api.tokens import Principal
from domain.file import AdministrativeFile
from signing import KeyDirectory, KeyFileError, Signer


def _server_signer(keys: KeyDirectory, actor: str) -> Signer:
    try:
        return keys.signer(actor)
    except KeyFileError as e:
        raise Problem(
            403,
            "no-server-key",
            "No server-held key",
            f"the server holds no signing key for {actor}: sign on your own device "
            "(client-side mode: prepare, sign, submit)",
        ) from e


def server_action(action: type[ActionBody], keys: KeyDirectory) -> Callable[..., EventsOut]:
    def endpoint(request: Request, code: str, body: ActionBody, who: Principal) -> EventsOut:
        files = ledger_of(request).files  # the file commands, not the whole service
        try:
            signer = _server_signer(keys, who.actor)
        except Problem:  # say "forbidden" before "no key", to whoever may not touch the file
            authorize_file(who, files.load(code).file)
            raise
        at = files.now()

        def command(f: AdministrativeFile) -> None:
            authorize_file(who, f)  # on the file execute() has just loaded and verified
            body.command(who.actor, at, files.calendar)(f)  # the calendar in force now

        stored = files.execute(code, signer=signer, actor=who.actor, at=at, command=command)
        return EventsOut(events=[EventOut.of(e) for e in stored])

    endpoint.__signature__ = signature(  # type: ignore[attr-defined]
        [("request", Request), ("code", CodePath), ("body", action), ("who", Officer)], EventsOut
    )
    endpoint.__doc__ = f"{action.summary}, signed by the server with the caller's key."
    return endpoint


def receive(keys: KeyDirectory) -> Callable[..., ReceiptOut]:
    def receive(request: Request, body: CounterReceiptIn, who: Officer) -> ReceiptOut:
        """Tiếp nhận: open a file for the caller's unit, signed by the server with the caller's
        key. The PIN is shown in this answer only. The ledger checks the receipt's rule and its
        applicant before it reserves a number, and answers with the envelope it stored."""
        ledger = ledger_of(request)
        signer = _server_signer(keys, who.actor)
        at = ledger.clock()
        receipt = ledger.receive(
            signer=signer,
            actor=who.actor,
            procedure=body.procedure,
            channel=body.channel,
            unit=who.unit,
            counter=body.counter,
            department=body.department,
            documents=tuple(body.documents),
            applicant=person(body.applicant),
            at=at,
            applicant_ref=body.applicant_ref,
            refusal=body.refusal or "",
        )
        return ReceiptOut(
            code=receipt.code,
            pin=receipt.pin,
            applicant_ref=receipt.applicant_ref,
            appointment_at=receipt.appointment_at,
            events=[EventOut.of(e) for e in receipt.envelopes],
        )

    return receive


class ReissuedPinOut(BaseModel):
    """The new PIN (shown in this answer only) and the signed event that records its reissue."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "PBADINH-260212-0003", "pin": "305917", "events": []}]
        },
    )
    code: str
    pin: str = Field(description="The new 6-digit PIN; the old one no longer opens the file.")
    events: list[EventOut]


def reissue_pin(keys: KeyDirectory) -> Callable[..., ReissuedPinOut]:
    def reissue_pin(request: Request, code: CodePath, who: Officer) -> ReissuedPinOut:
        """Cấp lại mã tra cứu (issue 16): the citizen lost the PIN, or the code is locked after
        too many wrong PINs: a new PIN, shown once, signed as ``PinReissued`` by the caller's
        key; the old PIN stops working and the lockout is lifted, in one transaction."""
        ledger = ledger_of(request)
        authorize_file(who, ledger.load(code).file)
        signer = _server_signer(keys, who.actor)
        at = ledger.clock()
        pin, stored = ledger.reissue_pin(code, signer=signer, actor=who.actor, at=at)
        return ReissuedPinOut(code=code, pin=pin, events=[EventOut.of(e) for e in stored])

    return reissue_pin
