"""What the HTTP routes share: a 422 for checks a declared type cannot express, and the read
routes' path parameter, caller, answers and router. (The open ledger, or 503 while there is none:
``api.http.state.ledger_of``.)

Who reads what (``api.http.auth``) is said once in ``api.http.routes.reads``; each resource's
routes live in their own module of ``api.http.routes`` (``files``, ``queues``, ``transparency``,
``inspect``, ``feed``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.exceptions import RequestValidationError

from api.http.auth import principal
from api.http.middleware import no_unknown_query
from api.http.schemas.reads import CODE_PATTERN
from api.tokens import Principal
from domain.codes import MAX_FILE_CODE_LENGTH

Code = Annotated[
    str,
    Path(pattern=CODE_PATTERN, max_length=MAX_FILE_CODE_LENGTH, examples=["PBADINH-260212-0003"]),
]
Caller = Annotated[Principal, Depends(principal)]
AUTH = (401, 403, 422, 503)


def reads_router() -> APIRouter:
    """A router of read routes: tagged ``reads``, unknown query parameters refused (422)."""
    return APIRouter(tags=["reads"], dependencies=[Depends(no_unknown_query)])


def invalid(where: str, message: str) -> RequestValidationError:
    """A 422 like FastAPI's own, for checks a declared type cannot express."""
    loc = tuple(where.split("."))
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])
