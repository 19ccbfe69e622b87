"""The printed receipt (Form 01 of Circular 03/2025/TT-VPCP: giấy tiếp nhận hồ sơ và hẹn trả kết
quả), drawn from the receipt's data form (``projections.queries.forms.Receipt``, read back from
the signed event) with the PIN, shown this once, and a QR code (segno, as SVG) that opens the
citizen's status page with the code and PIN in the URL's fragment: ``/tra-cuu#CODE.PIN``. A
browser never sends a fragment, so no PIN reaches a server's log. Printable on A5 (and A4)."""

from __future__ import annotations

from datetime import datetime
from html import escape

import segno
from fastapi.responses import HTMLResponse

from api.http.schemas.receipts import PIN_NOTICE, PIN_NOTICE_VI
from api.pages.layout import page
from domain.calendar import VN_TZ
from ledger.chain.personal import PersonalData
from projections.queries.forms import Receipt

LOOKUP = "/tra-cuu"


def lookup_url(origin: str, code: str, pin: str) -> str:
    """What the QR code holds: the status page, the code and PIN after ``#`` only."""
    return f"{origin}{LOOKUP}#{code}.{pin}"


def _when(at: datetime) -> str:
    t = at.astimezone(VN_TZ)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d} tháng {t:%m} năm {t:%Y}"


def receipt_page(form: Receipt, pin: str, applicant: PersonalData, origin: str) -> HTMLResponse:
    """Form 01 for the citizen, with the PIN and its QR code; a button prints it."""
    url = lookup_url(origin, form.code, pin)
    qr = segno.make(url, error="m").svg_inline(scale=3, dark="#000", light="#fff")
    documents = "".join(f"<li>{escape(d)}</li>" for d in form.documents)
    received = form.received_at.astimezone(VN_TZ)
    body = (
        '<article class="form01" aria-labelledby="form01-title">'
        '<div class="form-head"><div><strong>BỘ PHẬN MỘT CỬA</strong><br>'
        f"{escape(form.unit)}<br>Số: {escape(form.code)}</div>"
        "<div><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong><br>Độc lập - Tự do - Hạnh phúc"
        f"<br><em>ngày {received:%d} tháng {received:%m} năm {received:%Y}</em></div></div>"
        '<h2 id="form01-title">GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ</h2>'
        f'<p class="form-no">Mẫu số 01 · Receipt and appointment · Mã hồ sơ: '
        f"<strong>{escape(form.code)}</strong></p>"
        f"<p>Tiếp nhận hồ sơ của ông/bà: <strong>{escape(applicant.full_name)}</strong><br>"
        f"Số định danh: {escape(applicant.id_number)} · Điện thoại: {escape(applicant.phone)}"
        f"<br>Địa chỉ: {escape(applicant.address)}</p>"
        f"<p>Nội dung yêu cầu giải quyết: <strong>{escape(form.procedure_vi)}</strong></p>"
        f"<ol><li>Thành phần hồ sơ nộp gồm:<ul>{documents}</ul></li>"
        "<li>Số lượng hồ sơ: 01 bộ</li>"
        f"<li>Thời gian giải quyết hồ sơ theo quy định: {escape(form.statutory_vi)}</li>"
        f"<li>Thời gian nhận hồ sơ: {_when(form.received_at)}</li>"
        f"<li>Thời gian trả kết quả giải quyết hồ sơ: <strong>{_when(form.appointment_at)}"
        "</strong></li></ol>"
        '<section class="lookup" aria-labelledby="lookup-title">'
        f'<div class="qr" role="img" aria-label="Mã QR tra cứu hồ sơ {escape(form.code)}">{qr}'
        "</div><div>"
        '<h3 id="lookup-title">Tra cứu hồ sơ · Look up your file</h3>'
        f"<p>Mã hồ sơ · Code: <strong>{escape(form.code)}</strong><br>"
        f'Mã tra cứu · PIN: <strong class="pin">{escape(pin)}</strong></p>'
        f"<p>Quét mã QR hoặc mở {escape(origin)}{LOOKUP} · Scan the QR code or open the page.</p>"
        f'<p>{escape(PIN_NOTICE_VI)}<br><span lang="en">{escape(PIN_NOTICE)}</span></p>'
        "</div></section>"
        '<div class="signatures"><div>NGƯỜI NỘP HỒ SƠ<br><em>(ký, ghi rõ họ tên)</em></div>'
        f"<div>NGƯỜI TIẾP NHẬN HỒ SƠ<br><em>(ký, ghi rõ họ tên)</em><br><br>"
        f"{escape(form.officer)}</div></div></article>"
        '<p class="no-print"><button type="button" id="print">In giấy tiếp nhận · Print the '
        'receipt</button> <a href="/quay">Tiếp nhận hồ sơ khác · Receive another file</a></p>'
    )
    return page(f"Giấy tiếp nhận {form.code} · Receipt", body, script="print.js", status=201)
