"""HTTP errors as RFC 9457 problem details: the one place that maps exceptions to responses.

Every 4xx and 5xx answer is ``application/problem+json`` with a stable ``type`` URI, a ``title``
that never changes for that type, the ``status`` and a ``detail`` for this occurrence. A stack
trace never reaches the client: unexpected failures are logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError as StoreIntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError, IllegalTransition
from ledger.errors import (
    ConfigurationError,
    ConflictError,
    LedgerError,
    LogError,
    MalformedEnvelope,
    NotFound,
    OutOfRange,
    PermissionRefused,
    ProofRequestError,
    Refused,
)
from ledger.store.outages import DATABASE_OUTAGES
from signing.errors import KeyNotValid, SigningError, VerificationError

PROBLEM_JSON = "application/problem+json"
PROBLEMS = "https://hoso.vn/problems/"
RETRY_AFTER_SECONDS = 5
log = logging.getLogger("hoso.http")


class Problem(Exception):
    """Raised by a route to answer with a given problem (kind is the last part of the type URI)."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


def bad_request(detail: str) -> Problem:
    return Problem(400, "bad-request", "Bad request", detail)


def problem_response(p: Problem, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEMS + p.kind,
        "title": p.title,
        "status": p.status,
        "detail": p.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(p.extra)
    headers = {"Cache-Control": "no-store", **p.headers}
    return JSONResponse(body, status_code=p.status, headers=headers, media_type=PROBLEM_JSON)


def as_problem(exc: BaseException) -> Problem:
    """The problem for an exception; the most specific known class wins."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, OutOfRange | ProofRequestError):
        return Problem(400, "out-of-range", "Out of range", str(exc))
    if isinstance(exc, NotFound | LogError):
        return Problem(404, "not-found", "Not found", str(exc))
    if isinstance(exc, StoreIntegrityError):
        return Problem(409, "conflict", "Conflict", "another write got there first; try again")
    if isinstance(exc, DATABASE_OUTAGES):
        return Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger database is unavailable; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ConfigurationError):
        return Problem(503, "misconfigured", "Service misconfigured", str(exc))
    command = _command_problem(exc)
    if command is not None:
        return command
    if isinstance(exc, LedgerError):
        return Problem(400, "refused", "Request refused", str(exc))
    return Problem(500, "internal", "Internal server error", "an unexpected error occurred")


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    at: BaseException | None = exc
    while at is not None and at not in chain:
        chain.append(at)
        at = at.__cause__
    return chain


def _command_problem(exc: BaseException) -> Problem | None:
    """Refused commands and client-signed envelopes (``api.routes_commands``)."""
    if isinstance(exc, IllegalTransition):
        return Problem(409, "illegal-transition", "Illegal transition", str(exc))
    if isinstance(exc, DomainError):
        return Problem(422, "invalid-value", "Invalid value", str(exc))
    if isinstance(exc, ConflictError):  # includes a stale prev_hash (ledger.intake.StaleHead)
        return Problem(409, "conflict", "Conflict", str(exc))
    if isinstance(exc, PermissionRefused | VerificationError):
        chain = _causes(exc)
        if any(isinstance(c, KeyNotValid) for c in chain):
            return Problem(403, "key-not-valid", "Key not valid", str(exc))
        if any(isinstance(c, VerificationError) for c in chain):
            return Problem(403, "bad-signature", "Bad signature", str(exc))
        return Problem(403, "permission-refused", "Permission refused", str(exc))
    if isinstance(exc, Refused):
        return Problem(422, "refused", "Request refused", str(exc))
    if isinstance(exc, MalformedEnvelope):
        return Problem(422, "malformed-envelope", "Malformed envelope", str(exc))
    return None


def summarise_validation(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"where": "query.index", "message": ...}``, without input echoes."""
    out: list[dict[str, str]] = []
    for e in errors:
        loc = e.get("loc", ()) if isinstance(e, Mapping) else ()
        out.append(
            {
                "where": ".".join(str(part) for part in loc),
                "message": str(e.get("msg", "invalid")) if isinstance(e, Mapping) else str(e),
            }
        )
    return out


def _status_kind(status: int) -> tuple[str, str]:
    return {
        400: ("bad-request", "Bad request"),
        404: ("not-found", "Not found"),
        405: ("method-not-allowed", "Method not allowed"),
        406: ("not-acceptable", "Not acceptable"),
        413: ("too-large", "Request too large"),
        415: ("unsupported-media-type", "Unsupported media type"),
        429: ("too-many-requests", "Too many requests"),
    }.get(status, ("http-" + str(status), "HTTP error " + str(status)))


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    problem = as_problem(exc)
    if problem.status >= 500 and not isinstance(exc, Problem):
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return problem_response(problem, request.url.path)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind, title = _status_kind(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else title
    problem = Problem(exc.status_code, kind, title, detail, headers=exc.headers)
    return problem_response(problem, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = summarise_validation(exc.errors())
    detail = "; ".join(f"{e['where']}: {e['message']}" for e in errors) or "invalid request"
    problem = Problem(422, "invalid-request", "Invalid request", detail, extra={"errors": errors})
    return problem_response(problem, request.url.path)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return problem_response(as_problem(exc), request.url.path)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``: the only mapping of exceptions to HTTP answers."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(LedgerError, _on_problem)
    app.add_exception_handler(DomainError, _on_problem)
    app.add_exception_handler(SigningError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    for outage in DATABASE_OUTAGES:  # answered 503 with Retry-After, logged without a trace
        app.add_exception_handler(outage, _on_problem)
    app.add_exception_handler(Exception, _on_unexpected)
