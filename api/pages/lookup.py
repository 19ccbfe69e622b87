"""The citizen's status page (tra cứu hồ sơ, issue 18, point 2): ``/tra-cuu``, a form of the code
and PIN on the receipt sent in a POST body (never a URL, so no PIN reaches a log), and the path
the receipt's QR opens, ``/tra-cuu#CODE.PIN`` (``static/lookup-page.js`` posts the fragment and
clears it). The answer is the JSON lookup's own (``api.http.routes.public.citizen_answer``: the
same PIN check, per-code lockout and per-address limit), in plain words and Hanoi time; an
unknown code and a wrong PIN get the same page."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.errors import Problem
from api.http.routes import public as routes_public
from api.http.state import service_state
from api.pages import session
from api.pages.layout import page
from domain.calendar import VN_TZ
from domain.codes import MAX_FILE_CODE_LENGTH
from ledger.encoding.canonical import parse_instant

router = APIRouter(include_in_schema=False)
PATH = "/tra-cuu"
TITLE = "Tra cứu hồ sơ · Look up your file"
PIN_RE = re.compile(r"^[0-9]{6}$")
NOT_FOUND = (
    "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại giấy tiếp nhận. · "
    "No file with this code and PIN: check them on your receipt."
)


def _local(text: str) -> str:
    return parse_instant(text).astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def _form(message: str = "") -> str:
    said = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return (
        f'{said}<form id="lookup" method="post" action="{PATH}">'
        '<label for="code">Mã hồ sơ · File code</label><input id="code" name="code" required '
        f'autocomplete="off" spellcheck="false" maxlength="{MAX_FILE_CODE_LENGTH}" '
        'autocapitalize="characters">'
        '<label for="pin">Mã tra cứu (6 chữ số) · PIN (6 digits)</label><input id="pin" '
        'name="pin" type="password" required autocomplete="off" inputmode="numeric" '
        'maxlength="6">'
        '<button type="submit">Tra cứu · Look up</button></form>'
        "<p>Mã hồ sơ và mã tra cứu in trên giấy tiếp nhận; quét mã QR trên giấy là đủ. · The "
        "code and PIN are on your receipt; scanning its QR code is enough.</p>"
    )


def _answer(view: dict[str, Any]) -> str:
    steps = "".join(
        f"<li><strong>{escape(s['text_vi'])}</strong> · {escape(s['text_en'])}<br>"
        f"{escape(_local(s['at']))} · {escape(s['department'])} ({escape(s['agency'])})</li>"
        for s in view["steps"]
    )
    missing = ""
    if view["missing_items"]:
        items = "".join(f"<li>{escape(m)}</li>" for m in view["missing_items"])
        missing = (
            '<section class="answer refused" aria-labelledby="missing"><h2 id="missing">'
            f"Cần bổ sung · Papers to bring</h2><ul>{items}</ul></section>"
        )
    apology = ""
    if view["apology_reason"]:
        apology = (
            f"<dt>Lý do hẹn lại · Why the date moved</dt><dd>{escape(view['apology_reason'])}</dd>"
        )
    return (
        '<section class="answer verified" aria-labelledby="now">'
        f'<h2 id="now" tabindex="-1">{escape(view["now_vi"])}</h2>'
        f'<p lang="en">{escape(view["now_en"])}</p><dl>'
        f"<dt>Mã hồ sơ · Code</dt><dd>{escape(view['code'])}</dd>"
        f"<dt>Thủ tục · Procedure</dt><dd>{escape(view['procedure_vi'])} · "
        f"{escape(view['procedure_en'])}</dd>"
        f"<dt>Trạng thái · Status</dt><dd>{escape(view['portal_label_vi'])} · "
        f"{escape(view['portal_label'])}</dd>"
        f"<dt>Nhận lúc · Received</dt><dd>{escape(_local(view['received_at']))}</dd>"
        f"<dt>Hẹn trả kết quả · Result due</dt><dd><strong>"
        f"{escape(_local(view['appointment_at']))}</strong></dd>{apology}</dl></section>"
        f'{missing}<h2>Các bước · Steps (giờ Hà Nội · Hanoi time)</h2><ol class="steps">'
        f"{steps}</ol>"
        f'<p><a href="{PATH}">Tra cứu hồ sơ khác · Look up another file</a></p>'
    )


@router.get(PATH, response_class=HTMLResponse)
def lookup_form() -> HTMLResponse:
    return page(TITLE, _form(), script="lookup-page.js")


def _locked(problem: Problem) -> HTMLResponse:
    wait = int((problem.headers or {}).get("Retry-After", "60"))
    until = datetime.now(VN_TZ).timestamp() + wait
    at = datetime.fromtimestamp(until, VN_TZ).strftime("%H:%M ngày %d/%m/%Y")
    message = (
        f"Việc tra cứu hồ sơ này tạm khóa đến {at} vì nhập sai mã tra cứu nhiều lần. Mang giấy "
        "tiếp nhận và căn cước đến bộ phận một cửa để được cấp lại mã. · Looking up this file "
        f"is locked until {at} after too many wrong PINs; bring your receipt and ID card to the "
        "one-stop counter for a new PIN."
    )
    return page(TITLE, _form(message), script="lookup-page.js", status=429)


@router.post(PATH, response_class=HTMLResponse)
async def lookup(request: Request) -> HTMLResponse:
    client = request.client.host if request.client else "unknown"
    wait = await service_state(request).lookup_limit.take(client)
    if wait is not None:
        message = "Quá nhiều lần tra cứu; hãy thử lại sau ít phút · Too many lookups; try later."
        return page(TITLE, _form(message), script="lookup-page.js", status=429)
    fields = await session.form(request) or {}
    code, pin = fields.get("code", "").strip().upper(), fields.get("pin", "").strip()
    if not (0 < len(code) <= MAX_FILE_CODE_LENGTH and PIN_RE.match(pin)):
        return page(TITLE, _form(NOT_FOUND), script="lookup-page.js", status=404)
    try:
        found = await routes_public.citizen_answer(request, code, pin)
    except Problem as e:
        if e.status == 429:
            return _locked(e)
        raise
    if found is None:
        return page(TITLE, _form(NOT_FOUND), script="lookup-page.js", status=404)
    return page(TITLE, _answer(orjson.loads(found)))
