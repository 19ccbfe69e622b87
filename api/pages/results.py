"""The result verification page (xác thực kết quả, issue 18, point 3): ``/xac-thuc#<SHA-256>``,
what the QR code on a result document opens. The browser fetches the result's proof
(``POST /public/results``) and checks it itself against the log's key written in the page
(``static/verify.js``: WebCrypto SHA-256 and Ed25519), so the citizen or a bank clerk need not
take the server's word; the key is shown, to compare with the one the province publishes."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.http.state import service_state
from api.pages.layout import page

router = APIRouter(include_in_schema=False)


@router.get("/xac-thuc", response_class=HTMLResponse)
def verify_result_page(request: Request) -> HTMLResponse:
    vkey = service_state(request).settings.log_vkey or ""
    body = (
        "<p>Mã QR trên văn bản kết quả mang mã băm SHA-256 của văn bản. Trình duyệt của bạn tự "
        "kiểm tra rằng kết quả đã được ký và ghi vào sổ, không cần tin lời máy chủ. · The QR "
        "code on a result carries the document's SHA-256; your browser checks by itself that "
        "the result was signed and logged.</p>"
        '<form id="check"><label for="sha">Mã băm SHA-256 của kết quả · The result\'s '
        'SHA-256</label><input id="sha" name="sha" autocomplete="off" spellcheck="false" '
        'inputmode="text" maxlength="64" required aria-describedby="sha-help">'
        '<p id="sha-help">64 chữ số 0-9, a-f · 64 hexadecimal digits</p>'
        '<button type="submit">Kiểm tra · Check</button></form>'
        '<section id="answer" class="answer" aria-live="polite"></section>'
        "<h2>Khóa của sổ · The log's key</h2><p>So sánh với khóa tỉnh công bố · Compare with "
        f'the key the province publishes:</p><p class="key">{escape(vkey)}</p>'
    )
    return page(
        "Xác thực kết quả · Verify a result",
        body,
        script="result-page.js",
        meta={"hoso-log-key": vkey},
    )
