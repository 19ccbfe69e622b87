"""Client-side signing (ký phía máy trạm): the server prepares the unsigned envelope
(``POST /files/prepare-receipt``, ``POST /files/{code}/prepare/<action>``), the officer signs
``signing_message`` with their own key, and ``POST /files/{code}/events`` checks and stores the
file's signed envelopes, all or nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request, Response

from api.errors import Problem
from api.http.auth import authorize, authorize_file, authorize_signers, forbidden
from api.http.routes.commands_common import (
    CodePath,
    Officer,
    Preparer,
    check_receipt,
    intake_of,
    person,
    receipt_writes,
    signature,
)
from api.http.schemas.actions import ActionBody, prepare_model
from api.http.schemas.envelopes import (
    EnvelopesIn,
    EventOut,
    FileResult,
    PreparedOut,
    PreparedReceiptOut,
    SignedEnvelopeIn,
    UnsignedEnvelopeOut,
)
from api.http.schemas.receipts import PrepareReceiptIn
from api.http.state import ledger_of
from api.tokens import ApiRole, Principal
from domain.codes import parse_file_code
from ledger.chain.intake import Intake
from ledger.chain.personal import seal
from ledger.chain.service import Ledger
from ledger.encoding.canonical import canonical_bytes
from ledger.encoding.envelope import UnsignedEnvelope
from ledger.errors import CanonicalError, MalformedEnvelope, Refused
from ledger.store.events import SideWrite
from signing import b64


def _acting(who: Principal, actor: str | None) -> str:
    """The actor of a prepared envelope: the caller, or the officer an integration client names."""
    if who.role is ApiRole.INTEGRATION:
        if actor is None:
            raise Problem(422, "invalid-value", "Invalid value", "name the acting officer: actor")
        return actor
    if actor not in (None, who.actor):
        raise forbidden(f"{who.actor} may not prepare envelopes for {actor}")
    return who.actor


def _prepared(unsigned: UnsignedEnvelope) -> dict[str, Any]:
    return {
        "envelope": UnsignedEnvelopeOut(**unsigned.body()),
        "signing_message": b64(unsigned.signing_message()),
    }


def prepare_action(action: type[ActionBody]) -> Callable[..., PreparedOut]:
    prepared_model = prepare_model(action)

    def endpoint(request: Request, code: str, body: Any, who: Principal) -> PreparedOut:
        ledger = ledger_of(request)
        actor = _acting(who, body.actor)
        authorize_file(who, ledger.load(code).file)
        at: datetime = body.at or ledger.clock()
        ledger.registry().key_for(actor, body.key_id, at)
        unsigned = intake_of(request, ledger).prepare(
            code, actor=actor, key_id=body.key_id, command=body.command(actor, at, ledger.calendar)
        )
        return PreparedOut(**_prepared(unsigned))

    endpoint.__signature__ = signature(  # type: ignore[attr-defined]
        [("request", Request), ("code", CodePath), ("body", prepared_model), ("who", Preparer)],
        PreparedOut,
    )
    endpoint.__doc__ = (
        f"{action.summary}: the unsigned envelope for the officer's own key. Sign "
        "`signing_message` (Ed25519), put the base64 signature in `sig` and submit the "
        "envelope to `POST /files/{code}/events`."
    )
    return endpoint


def prepare_receipt(request: Request, body: PrepareReceiptIn, who: Officer) -> PreparedReceiptOut:
    """A receipt for the officer's own key: reserves the file code now and seals the applicant's
    data (a new applicant's key is stored at once). Submit the signed envelope to
    `POST /files/{code}/events`, which answers the PIN. A reservation never submitted leaves only
    a random applicant key and a skipped number."""
    ledger = ledger_of(request)
    intake = intake_of(request, ledger)
    at = body.at or ledger.clock()
    ledger.registry().key_for(who.actor, body.key_id, at)
    check_receipt(intake, body, who.actor, body.key_id, at, who.unit)
    applicant = ledger.receipts.applicant(body.applicant_ref, at)  # a new one's key is stored
    ref, secret = applicant.ref, applicant.secret
    code = ledger.next_code(who.unit, at.astimezone(ledger.calendar.tz).date())
    unsigned = intake.prepare_receipt(
        actor=who.actor,
        key_id=body.key_id,
        at=at,
        unit=who.unit,
        procedure=body.procedure,
        channel=body.channel,
        counter=body.counter,
        department=body.department,
        documents=tuple(body.documents),
        applicant_ref=ref,
        applicant_sealed=seal(secret, secrets.token_bytes(12), ref, person(body.applicant)),
        code=code,
    )
    return PreparedReceiptOut(**_prepared(unsigned), code=code, applicant_ref=ref)


def submit_file(
    ledger: Ledger, intake: Intake, who: Principal, code: str, envelopes: Sequence[SignedEnvelopeIn]
) -> FileResult:
    """Check and store one file's client-signed envelopes, all or nothing (raises on refusal)."""
    unit = parse_file_code(code).unit
    existing = ledger.store.stream(code)
    holder = ledger.load(code).file.holder.officer if existing else None
    authorize(who, unit, holder, code)  # who may write this file, before looking at the body
    if any(e.stream != code for e in envelopes):
        raise Refused(f"every envelope of this request must be for file {code}")
    if who.role is not ApiRole.INTEGRATION:
        for e in envelopes:
            if e.actor != who.actor:
                raise forbidden(f"{who.actor} may not submit an envelope signed by {e.actor}")
    else:  # relayed: each envelope as if its signer had called with their own token
        authorize_signers(ledger.registry(), ledger.clock(), code, holder, envelopes)
    unique: dict[bytes, SignedEnvelopeIn] = {}
    for e in envelopes:
        try:
            unique.setdefault(canonical_bytes(e.model_dump()), e)
        except CanonicalError as err:
            raise MalformedEnvelope(f"envelope version {e.version}: {err}") from err
    pin: str | None = None
    side: list[SideWrite] = []
    first = next(iter(unique.values()))
    if not existing and first.version == 1:
        pin, write = receipt_writes(ledger, code, first)
        side.append(write)
    done = intake.submit(list(unique), now=ledger.clock(), side_writes=side)
    fresh = any(not d.stored_before for d in done)
    return FileResult(
        code=code,
        status="stored" if fresh else "already-stored",
        events=[EventOut.of(d.envelope) for d in done],
        pin=pin if fresh else None,
    )


def submit_events(
    request: Request, code: CodePath, body: EnvelopesIn, who: Preparer, response: Response
) -> FileResult:
    """Store the file's client-signed envelopes, all or nothing: 201 when stored, 200 when every
    one was already stored (an idempotent replay). A receipt (version 1) answers its PIN once."""
    ledger = ledger_of(request)
    result = submit_file(ledger, intake_of(request, ledger), who, code, body.envelopes)
    response.status_code = 201 if result.status == "stored" else 200
    return result
