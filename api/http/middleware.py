"""Edges of the HTTP service that are not routes: the request-body limit, per-client rate
limiting, strict query strings, and the problem+json answers declared in the OpenAPI document.

- ``BodySizeLimit``: a request whose body exceeds the service's ``max_body_bytes`` (1 MiB)
  gets a 413 problem before anything parses it: a declared ``Content-Length`` over the limit is
  refused at once, a chunked body is counted as it arrives; a body that stalls for
  ``body_timeout`` seconds (10) gets a 408 and its connection closed.
- ``rate_limited``: the citizen lookup's per-address limit (``api.http.limits``); a refusal
  carries how long to wait (``Retry-After``).
- ``no_unknown_query``: FastAPI ignores query parameters a route does not declare; on our routes
  an unknown one is a 422 like any other invalid field, so a typo never silently widens a read.
- ``install_openapi``: every operation documents its problems as ``application/problem+json``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import Problem
from api.http.limits import AddressLimit
from api.http.problems import PROBLEM_JSON, problem_response

MAX_BODY_BYTES = 1 << 20
BODY_TIMEOUT_SECONDS = 10.0


# --------------------------------------------------------------------------- the body limit
def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        "Payload too large",
        f"the request body exceeds the limit of {limit} bytes",
    )


FastHandler = Callable[[Scope, Receive, Send], Awaitable[bool]]
"""Answers a request itself (True) or leaves it to the app (False)."""


class FastPath:
    """ASGI middleware: every GET under ``prefix`` is offered first to ``handler``, a route's
    fast path without FastAPI's per-request machinery; it answers (True) or leaves the request
    to the app (False). Every other request goes straight on, touching nothing of the route."""

    def __init__(self, app: ASGIApp, *, prefix: str, handler: FastHandler) -> None:
        self.app = app
        self.prefix = prefix
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(self.prefix)
            and await self.handler(scope, receive, send)
        ):
            return
        await self.app(scope, receive, send)


class NoStore:
    """ASGI middleware: every answer under ``prefix`` (the citizen's lookups: 200, 404, 429,
    422 alike) is ``Cache-Control: no-store``, so no browser or proxy keeps a file's status or
    the fact that a code answered (issue 16)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)


class BodyLimits(Protocol):
    """Where ``BodySizeLimit`` reads its limits (the service's state: tests change them)."""

    max_body_bytes: int
    body_timeout: float


def request_timeout(seconds: float) -> Problem:
    return Problem(
        408,
        "request-timeout",
        "Request timeout",
        f"the request body did not arrive within {seconds:g} s",
        headers={"Connection": "close"},
    )


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``limits.max_body_bytes`` with a 413 problem, and
    bodies that do not arrive in time with a 408 (issue 16: slow senders held connections).

    A declared ``Content-Length`` over the limit is refused before anything is read. Otherwise
    the body is read here, each piece within ``limits.body_timeout`` seconds of the one
    before, up to the limit, and then handed on unchanged: the app never waits on a client.
    """

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit, seconds = self.limits.max_body_bytes, self.limits.body_timeout
        path = scope.get("path")
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await problem_response(too_large(limit), path)(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), seconds)
            except TimeoutError:
                await problem_response(request_timeout(seconds), path)(scope, receive, send)
                return
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await problem_response(too_large(limit), path)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------- rate limiting
def too_many_requests(wait: float) -> Problem:
    seconds = max(1, math.ceil(wait))
    return Problem(
        429,
        "too-many-requests",
        "Too many requests",
        f"too many lookups from this address; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def rate_limited(
    limit_of: Callable[[Request], AddressLimit],
) -> Callable[[Request], Awaitable[None]]:
    """Dependency: one request from the client's address counted by ``limit_of(request)`` (an
    ``AddressLimit``); 429 with ``Retry-After`` beyond it. The address is the peer's, or the
    one a configured proxy forwarded (uvicorn's ``forwarded_allow_ips``, ``hoso serve``)."""

    async def dependency(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        wait = await limit_of(request).take(client)
        if wait is not None:
            raise too_many_requests(wait)

    return dependency


# --------------------------------------------------------------------------- strict queries
def _declared_query(route: Any) -> frozenset[str]:
    cached = getattr(route, "_hoso_query_names", None)
    if cached is None:
        names: set[str] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            names.update(str(p.alias) for p in dependant.query_params)
            pending.extend(dependant.dependencies)
        cached = frozenset(names)
        route._hoso_query_names = cached
    return frozenset(cached)


async def no_unknown_query(request: Request) -> None:
    """Dependency: a query parameter the route does not declare is a 422, never ignored.
    (``async``: pure bookkeeping, no reason to send every request to a worker thread.)"""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    known = _declared_query(route)
    unknown = sorted({k for k in request.query_params if k not in known})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


# --------------------------------------------------------------------------- OpenAPI
class ProblemModel(BaseModel):
    """An RFC 9457 problem: every 4xx and 5xx answer of this service."""

    model_config = ConfigDict(
        title="Problem",
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://hoso.vn/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no file PBADINH-260212-9999",
                    "instance": "/files/PBADINH-260212-9999",
                }
            ]
        },
    )

    type: str = Field(description="A stable URI naming the kind of problem.")
    title: str = Field(description="A short summary; never changes for a given type.")
    status: int = Field(ge=400, le=599, description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[dict[str, str]] | None = Field(
        default=None,
        description="For 422: each invalid field as {where, message} (the input is not echoed).",
    )


PROBLEM_TEXT: dict[int, str] = {
    400: "Bad request (problem+json).",
    401: "No bearer token, or an unknown or revoked one (problem+json).",
    403: "The caller's role or units do not allow this (problem+json).",
    404: "Not found (problem+json).",
    409: "Conflict, or not yet covered by a checkpoint (problem+json, Retry-After).",
    413: "The request body is over the size limit (problem+json).",
    422: "A field is missing, malformed or unknown (problem+json with `errors`).",
    429: "Rate limited (problem+json, Retry-After).",
    500: "An unexpected failure; no internals are disclosed (problem+json).",
    503: "The database is unreachable or the service is starting (problem+json, Retry-After).",
}
_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered with a problem document."""
    return {
        s: {"description": PROBLEM_TEXT.get(s, "A problem."), "content": {PROBLEM_JSON: {}}}
        for s in statuses
    }


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": _REF}}


def document_problems(doc: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response of every operation is problem+json (never FastAPI's default
    validation body), and every operation declares the problems any route may give."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = ProblemModel.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for item in doc.get("paths", {}).values():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head", "options"):
                continue
            responses = op.setdefault("responses", {})
            for code, response in list(responses.items()):
                if code[0] in "45":
                    response["content"] = _problem_content()
            for code in (422, 500, 503):
                responses.setdefault(
                    str(code), {"description": PROBLEM_TEXT[code], "content": _problem_content()}
                )
            responses.setdefault(
                "default",
                {"description": "Any other problem (problem+json).", "content": _problem_content()},
            )
    return doc


def install_openapi(app: FastAPI) -> None:
    """Generate the OpenAPI document once, with every problem documented."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = document_problems(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
