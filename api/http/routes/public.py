"""The citizen's lookup (tra cứu hồ sơ) with the code and PIN printed on the receipt.

No token: the code and the PIN are the credential. The answer carries no personal data of
anyone (the procedure, the steps by department and agency, never a name; free text only while
the applicant's key exists). A wrong PIN and an unknown code give the same 404 body (only
``instance``, the path, differs), and both pay one PIN check, so neither the body nor the timing
tells whether a code exists. Against guessing (issue 16): a per-address limit (the service's
``lookup_limit``, ``api.http.limits``: by default 20 in two minutes, shared by every worker
through Redis when configured), and a per-code lockout that holds against any number of
addresses: after 5 wrong PINs on a code (known or not) it answers 429 ``pin-locked`` for a
minute, doubling with each further wrong PIN up to a day, even to the right PIN, until the
time is over or an officer reissues the PIN at the counter (``ledger.store.pins``). Every
answer is ``Cache-Control: no-store``; PINs are redacted from the access log (``api.logs``).

Under load (issue 6) the route is ``async def`` and nothing of a remembered right PIN runs in a
worker thread but the query: the rows (the PIN hash and the code's wrong PINs joined with the
file's status row and its steps) come from ``api.http.lookup_reads``, one query for every lookup
waiting at that moment, the same for an unknown code and a known one; the answer is written with
orjson (the ``CitizenView`` model documents it). The PIN check goes through
``ledger.store.pins.VerifiedPins`` (the service's ``verified_pins``): a right PIN seen before
skips the check, while a wrong PIN, an unknown code or a pair not remembered pays one check: a
keyed HMAC for new PINs, on the event loop (microseconds), or the scrypt of PINs issued before
keyed PINs existed, in a worker thread. A check is counted first (``PinFailures.attempt``, one
statement that does not wait for the disk), so a wrong PIN costs about what a right one does
(issue 19).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import Receive, Scope, Send

from api.errors import Problem
from api.http.limits import AddressLimit
from api.http.lookup_reads import LookupReads
from api.http.middleware import (
    FastHandler,
    no_unknown_query,
    problem_responses,
    rate_limited,
)
from api.http.problems import as_problem, problem_response
from api.http.routes.common import Code
from api.http.schemas.reads import CODE_PATTERN, PORTAL_LABELS
from api.http.state import ServiceState, ledger_of, service_state
from domain.portal import PortalStatus
from ledger.chain.service import Ledger
from ledger.encoding.canonical import parse_instant
from ledger.store.pins import KEYED, PinFailures, VerifiedPins, pin_matches
from projections.models.reader import PostgresReader
from projections.queries.citizen import (
    STEP_TEXT,
    FileRecord,
    procedure_names,
    revealed,
    sealed_refs,
    where_now,
)

PREFIX = "/public/files/"
log = logging.getLogger("hoso.http")


def _limit_of(request: Request) -> AddressLimit:
    return service_state(request).lookup_limit


router = APIRouter(
    prefix="/public",
    tags=["public"],
    dependencies=[Depends(rate_limited(_limit_of)), Depends(no_unknown_query)],
)


def no_such_file() -> Problem:
    """The one answer for an unknown code and a wrong PIN alike."""
    return Problem(404, "not-found", "Not found", "no file with this code and PIN")


class CitizenStep(BaseModel):
    """One step of the file's progress, by department and agency (never an officer's name)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-02-12T01:15:00.000000Z",
                    "text_vi": "Chuyển xử lý",
                    "text_en": "Passed on for processing",
                    "department": "tu-phap",
                    "agency": "PBADINH",
                }
            ]
        },
    )
    at: str
    text_vi: str
    text_en: str
    department: str
    agency: str


class CitizenView(BaseModel):
    """What the citizen sees: the procedure, where the file is, the appointment, the steps."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "PBADINH-260212-0003",
                    "procedure_vi": "Chứng thực bản sao từ bản chính",
                    "procedure_en": "Certified copy from the original",
                    "state": "in_progress",
                    "now_vi": "Đang xử lý tại tu-phap (PBADINH)",
                    "now_en": "Being processed at tu-phap (PBADINH)",
                    "received_at": "2026-02-12T01:10:00.000000Z",
                    "appointment_at": "2026-02-12T09:00:00.000000Z",
                    "apology_reason": None,
                    "missing_items": [],
                    "portal_status": 4,
                    "portal_label_vi": "Đang xử lý",
                    "portal_label": "In progress",
                    "steps": [],
                }
            ]
        },
    )
    code: str
    procedure_vi: str
    procedure_en: str
    state: str
    now_vi: str
    now_en: str
    received_at: str
    appointment_at: str = Field(description="The date to collect the result (after any apology).")
    apology_reason: str | None = Field(description="Why the appointment was moved, if it was.")
    missing_items: list[str] = Field(description="Papers the citizen still has to bring.")
    portal_status: int = Field(ge=1, le=10)
    portal_label_vi: str
    portal_label: str
    steps: list[CitizenStep]


def verified_pins(request: Request) -> VerifiedPins:
    """This app's memory of verified (code, PIN) pairs (made on first use if absent)."""
    return service_state(request).verified_pins


def lookup_reads(request: Request, ledger: Ledger) -> LookupReads:
    """This app's queue of lookups waiting for their rows (one per open ledger)."""
    state = service_state(request)
    reads = state.lookup_reads
    if reads is None or reads.store is not ledger.store:
        if reads is not None:
            reads.close()
        db = state.settings.db
        reader = PostgresReader(db) if ledger.store.dialect == "postgresql" and db else None
        reads = LookupReads(ledger.store, reader=reader, secrets_of=ledger.applicant_secrets)
        state.lookup_reads = reads
    return reads


def close_lookup_reads(state: ServiceState) -> None:
    """At shutdown: the lookups' own connection, if one was opened."""
    reads = state.lookup_reads
    if reads is not None:
        reads.close()
        state.lookup_reads = None


def scrypt_limiter(request: Request) -> anyio.CapacityLimiter:
    """At most ``SCRYPT_THREADS`` scrypts at once (each holds 4 MiB and a core): a flood of
    wrong PINs queues here instead of starving the event loop, the database and every other
    request of CPU. The service state's ``scrypt_threads`` sets the number."""
    state, loop = service_state(request), asyncio.get_running_loop()
    held = state.scrypt_limiter
    if held is None or held[0] is not loop:  # one per event loop (tests start several)
        held = state.scrypt_limiter = (loop, anyio.CapacityLimiter(state.scrypt_threads))
    return held[1]


async def pin_check(request: Request, stored: str, check: Callable[..., bool], *args: str) -> bool:
    """``check(*args)`` for the PIN hash ``stored``: a keyed hash (an HMAC, a few
    microseconds: less than handing it to a thread) right here; a scrypt hash (PINs issued
    before the pepper) in a worker thread, behind ``scrypt_limiter``. Either way the same work
    for a known code and an unknown one (the dummy hash has the scheme of the live PINs)."""
    if stored.startswith(KEYED):
        return check(*args)
    return await anyio.to_thread.run_sync(check, *args, limiter=scrypt_limiter(request))


def locked(wait: timedelta) -> Problem:
    """The per-code lockout (issue 16): the same for a known code and an unknown one."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    return Problem(
        429,
        "pin-locked",
        "Locked after too many wrong PINs",
        f"this file code is locked after too many wrong PINs; try again in {seconds} s, or "
        "have the PIN reissued at the receiving counter (bring the receipt and an ID card)",
        headers={"Retry-After": str(seconds)},
    )


async def citizen_answer(request: Request, code: str, pin: str) -> bytes | None:
    """The citizen's view as JSON bytes, or None (the 404) for an unknown code, a wrong PIN,
    or a file the read model does not hold yet; ``locked`` (429) while the code is locked
    after too many wrong PINs, even for the right one, known code or not. A right PIN
    remembered costs nothing more; any other answer waits for one PIN check in a worker thread
    (the dummy hash for an unknown code), and a wrong one is counted against the code."""
    ledger = ledger_of(request)
    reads = lookup_reads(request, ledger)
    record = await reads.record(code)
    now = ledger.clock()
    failures = PinFailures(ledger.store)
    # A known code's lock came with its rows; an unknown code's (and every code's that needs a
    # PIN check) is met by ``attempt`` below: the same path and work for both.
    until = parse_instant(record.locked_until) if record and record.locked_until else None
    if until is not None and until > now:
        raise locked(until - now)
    pins = verified_pins(request)
    stored = record.pin_hash if record is not None else pins.dummy
    if not pins.known(code, pin, stored):  # never true for the dummy: it is never remembered
        # Counted before the check: a burst of guesses gets no more checks than the lockout
        # allows, however many arrive together.
        until = await reads.attempt(code, now)
        if until is not None:
            raise locked(until - now)
        if record is None:  # the dummy's check, never remembered (a match proves nothing)
            dummy = functools.partial(pin_matches, code=code, pepper=pins.pepper)
            await pin_check(request, stored, dummy, pin, stored)
            return None
        if not await pin_check(request, stored, pins.verify, code, pin, stored):
            return None
        await anyio.to_thread.run_sync(failures.clear, code)  # a right PIN: a fresh start
    elif record is not None and record.pin_failures:  # remembered, and the code not locked
        await anyio.to_thread.run_sync(failures.clear, code)
    if record is None or record.file is None:
        return None
    file = record.file
    if file.apology_reason or file.missing_items:  # sealed text: read the applicant's key
        found = {ref: await reads.secret(ref) for ref in sealed_refs(file)}
        file = revealed(file, found.get)  # AES-GCM: microseconds, here
    return render(code, file)


def render(code: str, file: FileRecord) -> bytes:
    """``CitizenView`` as JSON, from the lookup's record (times go out as they are stored)."""
    procedure_vi, procedure_en = procedure_names(file.procedure)
    now_vi, now_en = where_now(file)
    label_vi, label_en = PORTAL_LABELS[PortalStatus(file.portal_status)]
    text = STEP_TEXT.get  # as step_text, inline: every lookup renders every step
    steps = [
        {
            "at": s.at,
            "text_vi": vi,
            "text_en": en,
            "department": s.department,
            "agency": s.agency,
        }
        for s in file.steps
        for vi, en in (text(s.type) or (s.type, s.type),)
    ]
    doc = {
        "code": code,
        "procedure_vi": procedure_vi,
        "procedure_en": procedure_en,
        "state": file.state,
        "now_vi": now_vi,
        "now_en": now_en,
        "received_at": file.received_at,
        "appointment_at": file.appointment_at,
        "apology_reason": file.apology_reason,
        "missing_items": list(file.missing_items),
        "portal_status": file.portal_status,
        "portal_label_vi": label_vi,
        "portal_label": label_en,
        "steps": steps,
    }
    return orjson.dumps(doc)


@router.get(
    "/files/{code}",
    summary="Look up a file with its code and PIN",
    description="The citizen's status view: the procedure, where the file is now, the "
    "appointment (and the apology's reason if it was moved), the papers still missing and "
    "every step by department. An unknown code and a wrong PIN give the same 404. Rate "
    "limited per client address (429 with Retry-After).",
    response_model=CitizenView,
    responses=problem_responses(404, 422, 429, 503),
)
async def lookup(
    request: Request,
    code: Code,
    pin: Annotated[
        str,
        Query(
            pattern=r"^[0-9]{6}$",
            min_length=6,
            max_length=6,
            description="The 6-digit PIN on the receipt.",
            examples=["048213"],
        ),
    ],
) -> Response:
    body = await citizen_answer(request, code, pin)
    if body is None:
        raise no_such_file()
    return Response(body, media_type="application/json")


_FAST_CODE = re.compile(CODE_PATTERN.removeprefix("^").removesuffix("$"))
_FAST_QUERY = re.compile(rb"pin=([0-9]{6})")
NO_STORE = {"Cache-Control": "no-store"}  # what ``NoStore`` gives the route's answers
_limit = rate_limited(_limit_of)


def fast_lookup(state: ServiceState) -> FastHandler:
    """The lookup's fast path (``api.http.middleware.FastPath`` offers it every GET under
    ``PREFIX``): a well-formed lookup answered without FastAPI's per-request machinery.

    ``GET /public/files/<code>?pin=<6 digits>``, with nothing else in the query and a code of
    the documented pattern, is answered here: the same rate limit, the same ``citizen_answer``,
    the same 404 and 429 problems and the same 503 on an outage as the route gives (its
    exception handlers' ``as_problem``). Anything else (a malformed or percent-encoded query, an
    unknown parameter, HEAD, the ledger not open yet) goes on to the app (False), where the route
    and its validation answer as before. The route stays the documented contract (OpenAPI);
    this is its fast path, stricter in what it takes, never looser.
    """

    async def handle(scope: Scope, receive: Receive, send: Send) -> bool:
        path: str = scope["path"]
        code = path[len(PREFIX) :]
        query = _FAST_QUERY.fullmatch(scope.get("query_string", b""))
        if (
            query is None
            or len(code) > 24
            or _FAST_CODE.fullmatch(code) is None
            or state.ledger is None
        ):
            return False
        request = Request(scope, receive)
        try:
            await _limit(request)
            body = await citizen_answer(request, code, query.group(1).decode())
            if body is None:
                raise no_such_file()
            response: Response = Response(body, media_type="application/json", headers=NO_STORE)
        except Exception as e:  # the route's exception handlers, for the same answers
            problem = as_problem(e)
            if problem.status == 500:
                log.error("GET %s failed", request.url.path, exc_info=e)
            elif problem.status > 500 and not isinstance(e, Problem):
                log.warning("GET %s: %s", request.url.path, e)
            response = problem_response(problem, request.url.path)
        await response(scope, receive, send)
        return True

    return handle
