"""The shell of every page: Vietnamese first with English, the one stylesheet, scripts only as
modules from this server, and headers that keep it so (a Content-Security-Policy allowing
nothing from elsewhere, no framing, no referrer). Every value put in a page is escaped here or
by the caller with ``html.escape``."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi.responses import HTMLResponse

STATIC = "/static/hoso"
STATIC_DIR = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make a form's Origin "null"
    "Cache-Control": "no-store",
}


def page(
    title: str,
    body: str,
    *,
    script: str | None = None,
    meta: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """``body`` (markup the caller built, its values escaped) in the shell, titled ``title``;
    ``script``: a module under ``STATIC``; ``meta``: named values the script reads."""
    metas = "".join(
        f'<meta name="{escape(k)}" content="{escape(v)}">' for k, v in (meta or {}).items()
    )
    scripts = f'<script type="module" src="{STATIC}/{escape(script)}"></script>' if script else ""
    html = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{metas}"
        f'<link rel="stylesheet" href="{STATIC}/pages.css">{scripts}</head><body>'
        "<header><p>Trung tâm Phục vụ hành chính công · One-stop service centre</p>"
        f"<h1>{escape(title)}</h1></header><main>{body}</main>"
        "<footer>Sổ hồ sơ ký số hoso · the signed ledger of administrative files</footer>"
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
