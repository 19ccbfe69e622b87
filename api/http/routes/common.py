"""What the HTTP routes share: the open ledger (503 while there is none), a 422 for checks a
declared type cannot express, and the read routes' path parameter, caller, answers and router.

Who reads what (``api.auth``) is said once in ``api.routes_reads``; each resource's routes live
in their own module (``routes_files``, ``routes_queues``, ``routes_transparency``,
``routes_inspect``, ``routes_feed``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError

from api.errors import Problem
from api.http import problems
from api.http.auth import principal
from api.http.middleware import no_unknown_query
from api.http.schemas.reads import CODE_PATTERN
from api.http.state import service_state
from api.tokens import Principal
from ledger.chain.service import Ledger

Code = Annotated[
    str,
    Path(pattern=CODE_PATTERN, max_length=24, examples=["PBADINH-260212-0003"]),
]
Caller = Annotated[Principal, Depends(principal)]
AUTH = (401, 403, 422, 503)


def reads_router() -> APIRouter:
    """A router of read routes: tagged ``reads``, unknown query parameters refused (422)."""
    return APIRouter(tags=["reads"], dependencies=[Depends(no_unknown_query)])


def ledger_of(request: Request) -> Ledger:
    ledger = service_state(request).ledger
    if ledger is None:
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger is not open (the service is starting or stopping)",
            headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
        )
    return ledger


def invalid(where: str, message: str) -> RequestValidationError:
    """A 422 like FastAPI's own, for checks a declared type cannot express."""
    loc = tuple(where.split("."))
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])
