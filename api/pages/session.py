"""Signing in to a page with an API token (the counter, the inspector's workspace): the token is
typed once into a form, checked like a bearer token (``api.http.auth.lookup``), and kept in an
``HttpOnly`` cookie ``SameSite=Strict`` limited to the page's path, for one working day. Every
form that changes something is a POST whose ``Origin`` must be this server (no other site can
make a signed-in browser act), its body parsed here (a form, never a query string)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.http.auth import lookup
from api.http.state import ledger_of
from api.pages.layout import page
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


NOT_OURS = "Biểu mẫu không hợp lệ · Not a form of this site"


@dataclass(frozen=True)
class Door:
    """Signing in to one workspace (its ``path``) with a token of one of ``roles``."""

    path: str
    roles: frozenset[ApiRole]
    title: str
    label: str  # what the token field asks for
    refusal: str  # what a token of another role, or none, is told

    def page(self, message: str = "", status: int = 200) -> HTMLResponse:
        """The sign-in form, with ``message`` if there is one."""
        said = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
        body = (
            f'{said}<form method="post" action="{self.path}/dang-nhap">'
            f'<label for="token">{escape(self.label)}</label>'
            '<input id="token" name="token" type="password" autocomplete="off" required>'
            '<button type="submit">Đăng nhập · Sign in</button></form>'
        )
        return page(self.title, body, status=status)

    def who(self, request: Request) -> Principal | None:
        return signed_in(request, self.path, self.roles)

    def routes(self, router: APIRouter) -> None:
        """``POST path/dang-nhap`` (a token typed into the form) and ``POST path/dang-xuat``."""
        router.add_api_route(f"{self.path}/dang-nhap", self._sign_in, methods=["POST"])
        router.add_api_route(f"{self.path}/dang-xuat", self._sign_out, methods=["POST"])

    async def _sign_in(self, request: Request) -> Response:
        fields = await form(request)
        if not same_origin(request) or fields is None:
            return self.page(NOT_OURS, status=400)
        token = fields.get("token", "")
        request.cookies[cookie_name(self.path)] = token  # checked as the pages will check it
        if self.who(request) is None:
            return self.page(self.refusal, status=401)
        return start(request, self.path, token)

    def _sign_out(self, request: Request) -> Response:
        return end(self.path) if same_origin(request) else self.page(NOT_OURS, status=400)
