"""Signing in to a page with an API token (the counter, the inspector's workspace): the token is
typed once into a form, checked like a bearer token (``api.http.auth.lookup``), and kept in an
``HttpOnly`` cookie ``SameSite=Strict`` limited to the page's path, for one working day. Every
form that changes something is a POST whose ``Origin`` must be this server (no other site can
make a signed-in browser act), its body parsed here (a form, never a query string)."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.http.auth import lookup
from api.http.state import ledger_of
from api.tokens import ApiRole, Principal

SHIFT_SECONDS = 10 * 3600
MAX_FORM_BYTES = 64 * 1024


def cookie_name(path: str) -> str:
    return "hoso" + path.replace("/", "_")


def signed_in(request: Request, path: str, roles: frozenset[ApiRole]) -> Principal | None:
    """The caller whose token the page's cookie holds, if it is valid and of one of ``roles``."""
    token = request.cookies.get(cookie_name(path))
    if not token:
        return None
    who = lookup(ledger_of(request).store, token)
    return who if who is not None and who.role in roles else None


def same_origin(request: Request) -> bool:
    """A POST from one of this server's own pages (the browser says where the form was)."""
    origin = request.headers.get("origin")
    return origin is not None and origin == f"{request.url.scheme}://{request.url.netloc}"


async def form(request: Request) -> dict[str, str] | None:
    """The POST's form fields (the last of each name), or None if it is not a form this size."""
    if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None
    return {k: v[-1] for k, v in fields.items()}


def start(request: Request, path: str, token: str) -> Response:
    """Back to ``path``, the token kept in its cookie for a shift."""
    answer = RedirectResponse(path, status_code=303)
    answer.set_cookie(
        cookie_name(path),
        token,
        max_age=SHIFT_SECONDS,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return answer


def end(path: str) -> Response:
    answer = RedirectResponse(path, status_code=303)
    answer.delete_cookie(cookie_name(path), path=path)
    return answer
