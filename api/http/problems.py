"""HTTP errors as RFC 9457 problem details: the exception handlers that answer them.

Every 4xx and 5xx answer is ``application/problem+json`` with a stable ``type`` URI, a ``title``
that never changes for that type, the ``status`` and a ``detail`` for this occurrence. Which
exception gets which answer is written once, in ``api.errors`` (shared with the CLI). A stack
trace never reaches the client: unexpected failures are logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import INTERNAL, Answer, Problem, answer_for, status_kind
from api.errors import RETRY_AFTER_SECONDS as RETRY_AFTER_SECONDS
from domain.errors import DomainError
from ledger.errors import LedgerError
from ledger.store.outages import DATABASE_OUTAGES
from projections.errors import ProjectionFailed
from signing.errors import SigningError

PROBLEM_JSON = "application/problem+json"
PROBLEMS = "https://hoso.vn/problems/"
log = logging.getLogger("hoso.http")


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


def not_checkpointed(detail: str) -> Problem:
    """409 with ``Retry-After``: what was asked is stored but no signed checkpoint covers it."""
    return Problem(
        409,
        "not-yet-checkpointed",
        "Not yet in a checkpoint",
        detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


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
    """The problem for an exception: its row in ``api.errors.ANSWERS``, else a bare 500."""
    if isinstance(exc, Problem):
        return exc
    return answer_problem(answer_for(exc) or INTERNAL, exc)


def answer_problem(answer: Answer, exc: BaseException) -> Problem:
    """The problem that ``answer`` gives for ``exc`` (its text unless the answer fixes one)."""
    detail = answer.detail if answer.detail is not None else str(exc)
    headers = {} if answer.retry_after is None else {"Retry-After": str(answer.retry_after)}
    return Problem(answer.status, answer.kind, answer.title, detail, headers=headers)


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


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    problem = as_problem(exc)
    if problem.status == 500 and not isinstance(exc, Problem):  # a fault of ours: its trace
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    elif problem.status > 500 and not isinstance(exc, Problem):
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return problem_response(problem, request.url.path)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind, title = status_kind(exc.status_code)
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
    """Register every handler on ``app``; what each answers is ``api.errors``'s table."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(LedgerError, _on_problem)
    app.add_exception_handler(DomainError, _on_problem)
    app.add_exception_handler(SigningError, _on_problem)
    app.add_exception_handler(ProjectionFailed, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    for outage in DATABASE_OUTAGES:  # answered 503 with Retry-After, logged without a trace
        app.add_exception_handler(outage, _on_problem)
    app.add_exception_handler(Exception, _on_unexpected)
