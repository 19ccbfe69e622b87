"""Commands over HTTP: every lifecycle action of a file, in two signing modes that produce the
same envelope.

Server-side (``POST /files``, ``POST /files/{code}/<action>``): the caller is the acting officer
or leader; the server signs with that actor's key from its key directory (``settings.keys_dir``),
at the server's clock. Client-side (``POST /files/prepare-receipt``,
``POST /files/{code}/prepare/<action>``, then ``POST /files/{code}/events``): the server prepares
the unsigned envelope, the officer signs ``signing_message`` with their own key, and the server
checks the signature, the key registry, the domain rule, that ``prev_hash`` is the file's head
(else 409) and that ``occurred_at`` lies within ``app.state.max_skew`` (default 5 minutes) of
its clock, then stores it with its own receipt time ``recorded_at`` beside it.

A file's chain hash is over what the actor signed and sent, not the server's ``recorded_at``, so
a client can chain several envelopes of one file (each ``prev_hash`` = SHA-256 of the previous
envelope's RFC 8785 JSON with ``sig`` and without ``recorded_at``) and send them together.

``POST /batch`` takes many client-signed envelopes from an integration client: grouped by file
in order of appearance, each file all or nothing, idempotent (an envelope already stored is
``already-stored`` and nothing is stored twice). It answers 200 when every file was stored or
already stored, 207 Multi-Status when some were refused; each file's result says which.

A prepared receipt reserves its code and stores a new applicant's sealing key at once: a
reservation never submitted leaves only that random key and a skipped number, no event.
Every refusal is RFC 9457 problem+json (``api.problems``) and nothing is half-written.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api.auth import ApiRole, Principal, forbidden, may_write_file, require
from api.models_commands import (
    ACTIONS,
    EXAMPLE_CODE,
    FILE_CODE,
    ActionBody,
    ApplicantIn,
    BatchIn,
    BatchOut,
    EnvelopesIn,
    EventOut,
    EventsOut,
    FileResult,
    PreparedOut,
    PreparedReceiptOut,
    PrepareReceiptIn,
    ReceiptIn,
    ReceiptOut,
    SignedEnvelopeIn,
    UnsignedEnvelopeOut,
    prepare_model,
)
from api.problems import PROBLEM_JSON, PROBLEMS, Problem, as_problem
from api.settings import Settings
from domain.codes import format_file_code, parse_file_code
from domain.file import AdministrativeFile
from ledger.canonical import CanonicalError, canonical_bytes
from ledger.envelope import Envelope, UnsignedEnvelope
from ledger.errors import MalformedEnvelope
from ledger.intake import Intake, Refused
from ledger.personal import PersonalData, seal
from ledger.pins import hash_pin
from ledger.service import Ledger
from ledger.store import SideWrite
from ledger.timefmt import format_instant
from signing import KeyDirectory, KeyFileError, Signer, b64

log = logging.getLogger("hoso.http")

DEFAULT_MAX_SKEW = timedelta(minutes=5)  # override with ``app.state.max_skew``

CodePath = Annotated[str, Path(pattern=FILE_CODE, max_length=24, examples=[EXAMPLE_CODE])]
Officer = Annotated[Principal, Depends(require(ApiRole.OFFICER, ApiRole.LEADER))]
Preparer = Annotated[
    Principal, Depends(require(ApiRole.OFFICER, ApiRole.LEADER, ApiRole.INTEGRATION))
]
Integrator = Annotated[Principal, Depends(require(ApiRole.INTEGRATION))]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {}}}


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No or an unknown bearer token."),
    403: _problem("Not allowed: role, unit, or a signature/key the registry refuses."),
    404: _problem("No such file."),
    409: _problem("The file changed first (stale prev_hash) or its state forbids the action."),
    422: _problem("Invalid body or value, or a refused envelope (skew, rule, form)."),
}


# --------------------------------------------------------------------------- helpers
def _ledger(request: Request) -> Ledger:
    ledger: Ledger | None = getattr(request.app.state, "ledger", None)
    if ledger is None:
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger is not open (the service is starting or stopping)",
            headers={"Retry-After": "5"},
        )
    return ledger


def _intake(request: Request, ledger: Ledger) -> Intake:
    max_skew: timedelta = getattr(request.app.state, "max_skew", DEFAULT_MAX_SKEW)
    return Intake(ledger, max_skew=max_skew)


def _authorize(who: Principal, unit: str, holder: str | None, code: str) -> None:
    if not may_write_file(who, unit, holder or None):
        raise forbidden(f"{who.actor} ({who.role.value}) may not act on file {code}")


def _authorize_file(who: Principal, f: AdministrativeFile) -> None:
    _authorize(who, f.unit, f.holder.officer, f.code)


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


def _acting(who: Principal, actor: str | None) -> str:
    """The actor of a prepared envelope: the caller, or the officer an integration client names."""
    if who.role is ApiRole.INTEGRATION:
        if actor is None:
            raise Problem(422, "invalid-value", "Invalid value", "name the acting officer: actor")
        return actor
    if actor not in (None, who.actor):
        raise forbidden(f"{who.actor} may not prepare envelopes for {actor}")
    return who.actor


def _person(a: ApplicantIn) -> PersonalData:
    return PersonalData(a.full_name, a.id_number, a.phone, a.address)


def _prepared(unsigned: UnsignedEnvelope) -> dict[str, Any]:
    return {
        "envelope": UnsignedEnvelopeOut(**unsigned.body()),
        "signing_message": b64(unsigned.signing_message()),
    }


def _problem_doc(p: Problem) -> dict[str, Any]:
    return {"type": PROBLEMS + p.kind, "title": p.title, "status": p.status, "detail": p.detail}


def _check_receipt(intake: Intake, body: ReceiptIn, actor: str, key_id: str, at: datetime,
                   unit: str) -> None:  # fmt: skip
    """Run the domain's receipt rules on a provisional code, before a number is reserved."""
    intake.prepare_receipt(
        actor=actor,
        key_id=key_id,
        at=at,
        unit=unit,
        procedure=body.procedure,
        channel=body.channel,
        counter=body.counter,
        department=body.department,
        documents=tuple(body.documents),
        applicant_ref=body.applicant_ref or "ap-" + "0" * 24,
        applicant_sealed="",
        code=format_file_code(unit, at.astimezone(intake.ledger.calendar.tz).date(), 1),
    )


def _applicant_secret(ledger: Ledger, ref: str) -> bytes:
    rows = ledger.store.query(
        "SELECT secret FROM hoso_applicant_keys WHERE applicant_ref = ?", (ref,)
    )
    if not rows:
        raise Problem(404, "not-found", "Not found", f"applicant {ref} is unknown or was forgotten")
    return bytes(rows[0]["secret"])


def _signature(params: Sequence[tuple[str, Any]], returns: Any) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature(
        [inspect.Parameter(name, kind, annotation=annotation) for name, annotation in params],
        return_annotation=returns,
    )


# --------------------------------------------------------------------------- server-side
def _server_action(action: type[ActionBody], keys: KeyDirectory) -> Callable[..., EventsOut]:
    def endpoint(request: Request, code: str, body: ActionBody, who: Principal) -> EventsOut:
        ledger = _ledger(request)
        try:
            signer = _server_signer(keys, who.actor)
        except Problem:  # say "forbidden" before "no key", to whoever may not touch the file
            _authorize_file(who, ledger.load(code).file)
            raise
        at = ledger.clock()
        act = body.command(who.actor, at, ledger.calendar)

        def command(f: AdministrativeFile) -> None:
            _authorize_file(who, f)  # on the file execute() has just loaded and verified
            act(f)

        stored = ledger.execute(code, signer=signer, actor=who.actor, at=at, command=command)
        return EventsOut(events=[EventOut.of(e) for e in stored])

    endpoint.__signature__ = _signature(  # type: ignore[attr-defined]
        [("request", Request), ("code", CodePath), ("body", action), ("who", Officer)], EventsOut
    )
    endpoint.__doc__ = f"{action.summary}, signed by the server with the caller's key."
    return endpoint


def _receive(keys: KeyDirectory) -> Callable[..., ReceiptOut]:
    def receive(request: Request, body: ReceiptIn, who: Officer) -> ReceiptOut:
        """Tiếp nhận: open a file for the caller's unit, signed by the server with the caller's
        key. The PIN is shown in this answer only."""
        ledger = _ledger(request)
        signer = _server_signer(keys, who.actor)
        at = ledger.clock()
        _check_receipt(_intake(request, ledger), body, who.actor, signer.key_id, at, who.unit)
        if body.applicant_ref is not None:
            _applicant_secret(ledger, body.applicant_ref)  # 404 before a number is reserved
        receipt = ledger.receive(
            signer=signer,
            actor=who.actor,
            procedure=body.procedure,
            channel=body.channel,
            unit=who.unit,
            counter=body.counter,
            department=body.department,
            documents=tuple(body.documents),
            applicant=_person(body.applicant),
            at=at,
            applicant_ref=body.applicant_ref,
        )
        stored = ledger.load(receipt.code).envelopes
        return ReceiptOut(
            code=receipt.code,
            pin=receipt.pin,
            applicant_ref=receipt.applicant_ref,
            appointment_at=receipt.appointment_at,
            events=[EventOut.of(e) for e in stored],
        )

    return receive


# --------------------------------------------------------------------------- client-side
def _prepare_action(action: type[ActionBody]) -> Callable[..., PreparedOut]:
    prepared_model = prepare_model(action)

    def endpoint(request: Request, code: str, body: Any, who: Principal) -> PreparedOut:
        ledger = _ledger(request)
        actor = _acting(who, body.actor)
        _authorize_file(who, ledger.load(code).file)
        at: datetime = body.at or ledger.clock()
        ledger.registry().key_for(actor, body.key_id, at)
        unsigned = _intake(request, ledger).prepare(
            code, actor=actor, key_id=body.key_id, command=body.command(actor, at, ledger.calendar)
        )
        return PreparedOut(**_prepared(unsigned))

    endpoint.__signature__ = _signature(  # type: ignore[attr-defined]
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
    ledger = _ledger(request)
    intake = _intake(request, ledger)
    at = body.at or ledger.clock()
    ledger.registry().key_for(who.actor, body.key_id, at)
    _check_receipt(intake, body, who.actor, body.key_id, at, who.unit)
    ref = body.applicant_ref
    if ref is None:
        ref, secret = "ap-" + secrets.token_hex(12), secrets.token_bytes(32)
        ledger.store.execute(
            "INSERT INTO hoso_applicant_keys (applicant_ref, secret, created_at) VALUES (?, ?, ?)",
            (ref, secret, format_instant(at)),
        )
    else:
        secret = _applicant_secret(ledger, ref)
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
        applicant_sealed=seal(secret, secrets.token_bytes(12), ref, _person(body.applicant)),
        code=code,
    )
    return PreparedReceiptOut(**_prepared(unsigned), code=code, applicant_ref=ref)


def _receipt_writes(
    ledger: Ledger, code: str, first: SignedEnvelopeIn | Envelope
) -> tuple[str, SideWrite]:
    """For a new file's receipt: its code must have been reserved, its applicant key stored;
    the PIN hash is written in the receipt's own transaction."""
    parsed = parse_file_code(code)
    rows = ledger.store.query(
        "SELECT last FROM hoso_code_counters WHERE unit = ? AND day = ?",
        (parsed.unit, parsed.day.isoformat()),
    )
    if not rows or int(rows[0]["last"]) < parsed.number:
        raise Refused(f"file code {code} was not reserved: use POST /files/prepare-receipt")
    ref = first.payload.get("applicant_ref")
    known = isinstance(ref, str) and ledger.store.query(
        "SELECT applicant_ref FROM hoso_applicant_keys WHERE applicant_ref = ?", (ref,)
    )
    if not known:
        raise Refused(f"the receipt's applicant {ref!r} has no key on this server")
    pin = f"{secrets.randbelow(10**6):06d}"
    write = SideWrite(
        "INSERT INTO hoso_file_pins (file_code, pin_hash) VALUES (?, ?)",
        (code, hash_pin(pin, secrets.token_bytes(16))),
    )
    return pin, write


def submit_file(
    ledger: Ledger, intake: Intake, who: Principal, code: str, envelopes: Sequence[SignedEnvelopeIn]
) -> FileResult:
    """Check and store one file's client-signed envelopes, all or nothing (raises on refusal)."""
    unit = parse_file_code(code).unit
    existing = ledger.store.stream(code)
    holder = ledger.load(code).file.holder.officer if existing else None
    _authorize(who, unit, holder, code)  # who may write this file, before looking at the body
    if any(e.stream != code for e in envelopes):
        raise Refused(f"every envelope of this request must be for file {code}")
    if who.role is not ApiRole.INTEGRATION:
        for e in envelopes:
            if e.actor != who.actor:
                raise forbidden(f"{who.actor} may not submit an envelope signed by {e.actor}")
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
        pin, write = _receipt_writes(ledger, code, first)
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
    ledger = _ledger(request)
    result = submit_file(ledger, _intake(request, ledger), who, code, body.envelopes)
    response.status_code = 201 if result.status == "stored" else 200
    return result


def _batch_intake(request: Request, ledger: Ledger) -> Intake:
    """The service's batch intake: kept between requests (its verifying threads and its cache of
    verified files); replaced when the ledger or the allowed skew changes."""
    max_skew: timedelta = getattr(request.app.state, "max_skew", DEFAULT_MAX_SKEW)
    kept: Intake | None = getattr(request.app.state, "batch_intake", None)
    if kept is None or kept.ledger is not ledger or kept.max_skew != max_skew:
        kept = request.app.state.batch_intake = Intake(ledger, max_skew=max_skew)
    return kept


def _batch_submission(
    who: Principal, code: str, envelopes: Sequence[SignedEnvelopeIn]
) -> list[bytes]:
    """One file's envelopes of a batch, authorized and without repeats (raises on refusal)."""
    _authorize(who, parse_file_code(code).unit, None, code)  # integration: its units' files
    unique: dict[bytes, None] = {}
    for e in envelopes:
        try:
            unique.setdefault(canonical_bytes(e.model_dump()), None)
        except CanonicalError as err:
            raise MalformedEnvelope(f"envelope version {e.version}: {err}") from err
    return list(unique)


def batch(request: Request, body: BatchIn, who: Integrator, response: Response) -> BatchOut:
    """For the integration client: up to 1,000 client-signed envelopes of many files. Each file is
    stored all or nothing and gets its own result; 200 when no file was refused, 207 otherwise.
    Resubmitting is safe: what is stored already answers `already-stored`."""
    ledger = _ledger(request)
    intake = _batch_intake(request, ledger)
    groups: dict[str, list[SignedEnvelopeIn]] = {}
    for e in body.envelopes:
        groups.setdefault(e.stream, []).append(e)
    results: dict[str, FileResult] = {}

    def refused(code: str, e: Exception) -> FileResult:
        problem = as_problem(e)
        if problem.status >= 500:
            log.warning("batch: file %s failed: %s", code, e)
        return FileResult(code=code, status="refused", problem=_problem_doc(problem))

    codes: list[str] = []
    submissions: list[list[bytes]] = []
    for code, envelopes in groups.items():
        try:
            submissions.append(_batch_submission(who, code, envelopes))
            codes.append(code)
        except Exception as e:  # one file's refusal never touches the others
            results[code] = refused(code, e)
    pins: dict[str, str] = {}

    def opening(code: str, first: Envelope) -> list[SideWrite]:
        pins[code], write = _receipt_writes(ledger, code, first)
        return [write]

    outcomes = intake.submit_many(submissions, now=ledger.clock(), opening=opening)
    for code, outcome in zip(codes, outcomes, strict=True):
        if outcome.error is not None:
            results[code] = refused(code, outcome.error)
            continue
        fresh = any(not d.stored_before for d in outcome.submitted)
        results[code] = FileResult(
            code=code,
            status="stored" if fresh else "already-stored",
            events=[EventOut.of(d.envelope) for d in outcome.submitted],
            pin=pins.get(code) if fresh else None,
        )
    ordered = [results[code] for code in groups]
    response.status_code = 207 if any(r.status == "refused" for r in ordered) else 200
    return BatchOut(results=ordered)


# --------------------------------------------------------------------------- the router
def _name(action: type[ActionBody]) -> str:
    return action.path.replace("-", "_")


def router_for(settings: Settings) -> APIRouter:
    """The command routes; the server signs with the keys in ``settings.keys_dir``."""
    keys = KeyDirectory(settings.keys_dir)
    router = APIRouter(tags=["commands"], responses=RESPONSES)
    router.add_api_route(
        "/files", _receive(keys), methods=["POST"], status_code=201, response_model=ReceiptOut
    )
    router.add_api_route(
        "/files/prepare-receipt",
        prepare_receipt,
        methods=["POST"],
        response_model=PreparedReceiptOut,
    )
    for action in ACTIONS:
        router.add_api_route(
            f"/files/{{code}}/{action.path}",
            _server_action(action, keys),
            methods=["POST"],
            status_code=201,
            response_model=EventsOut,
            summary=action.summary,
            name=_name(action),
        )
        router.add_api_route(
            f"/files/{{code}}/prepare/{action.path}",
            _prepare_action(action),
            methods=["POST"],
            response_model=PreparedOut,
            summary=f"Prepare: {action.summary}",
            name="prepare_" + _name(action),
        )
    router.add_api_route(
        "/files/{code}/events",
        submit_events,
        methods=["POST"],
        status_code=201,
        response_model=FileResult,
        responses={200: {"description": "Every envelope was already stored.", "model": FileResult}},
    )
    router.add_api_route(
        "/batch",
        batch,
        methods=["POST"],
        response_model=BatchOut,
        responses={207: {"description": "Some files were refused.", "model": BatchOut}},
    )
    return router
