"""The other forms of Circular 03/2025, printed (issue 18, point 1): for an officer signed in at
the counter, a file of their unit's forms as the signed events give them
(``projections.queries.forms``): supplement requests (02), the refusal (03), the apologies with
their new appointments (04), the notice of stopping or withdrawal (05) and the process control
slip (06); and the unit's file-tracking book (07) for a month. Each prints on A5/A4."""

from __future__ import annotations

from datetime import datetime
from html import escape

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.errors import ApiError
from api.http.replay import events_of
from api.http.state import ledger_of
from api.pages.counter import DOOR, PATH
from api.pages.html import Cell, href, table
from api.pages.layout import page
from domain.calendar import VN_TZ
from domain.codes import FILE_CODE_RE, parse_file_code
from ledger.chain.sealed_text import remembering, reveal
from ledger.errors import LedgerError
from projections.errors import PeriodError
from projections.models.storage import file_rows
from projections.queries.forms import FileForms, file_forms, tracking_book
from projections.queries.periods import PeriodKind, parse_period, period_containing

router = APIRouter(include_in_schema=False)


def _t(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def _form(number: str, title: str, rows: list[tuple[str, str]]) -> str:
    lines = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f'<article class="form01"><p class="form-no">Mẫu số {number}</p>'
        f"<h2>{escape(title)}</h2><dl>{lines}</dl></article>"
    )


def _result_qr(origin: str, sha256: str | None) -> str:
    """The QR code to print on the signed result document: ``/xac-thuc#<SHA-256>``, where
    whoever holds the document checks in their browser that it was signed and logged."""
    if sha256 is None:
        return ""
    url = f"{origin}/xac-thuc#{sha256}"
    qr = segno.make(url, error="m").svg_inline(scale=3, dark="#000", light="#fff")
    return (
        '<article class="form01"><h2>Mã QR xác thực kết quả · The result\'s QR code</h2>'
        '<div class="lookup"><div class="qr" role="img" aria-label="Mã QR xác thực kết quả">'
        f"{qr}</div><p>In lên văn bản kết quả: quét mã để kiểm tra văn bản đã được ký và ghi "
        f"vào sổ · Print it on the result document. SHA-256: <code>{escape(sha256)}</code>"
        "</p></div></article>"
    )


def _forms(code: str, forms: FileForms) -> str:
    out = []
    for n, s in enumerate(forms.supplements, start=1):
        out.append(_form("02", f"PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ ({n})", [
            ("Mã hồ sơ", code), ("Ngày yêu cầu", _t(s.requested_at)), ("Cán bộ", s.officer),
            ("Giấy tờ cần bổ sung", "; ".join(s.items)), ("Lý do", s.reason),
            ("Đã bổ sung lúc", _t(s.supplied_at)), ("Hẹn trả mới", _t(s.new_due_at))]))  # fmt: skip
    if forms.refusal is not None:
        r = forms.refusal
        where = "tiếp nhận" if r.at_counter else "giải quyết"
        out.append(_form("03", f"PHIẾU TỪ CHỐI {where.upper()} HỒ SƠ", [
            ("Mã hồ sơ", code), ("Ngày", _t(r.at)), ("Cán bộ", r.officer),
            ("Lý do", r.reason)]))  # fmt: skip
    for n, a in enumerate(forms.apologies, start=1):
        out.append(_form("04", f"PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ ({n})", [
            ("Mã hồ sơ", code), ("Ngày", _t(a.issued_at)), ("Cán bộ", a.officer),
            ("Lý do", a.reason), ("Hẹn trả trước đây", _t(a.previous_appointment)),
            ("Hẹn trả mới", _t(a.new_appointment))]))  # fmt: skip
    if forms.stop is not None:
        st = forms.stop
        title = "THÔNG BÁO RÚT HỒ SƠ" if st.withdrawn else "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ"
        out.append(_form("05", title, [("Mã hồ sơ", code), ("Ngày", _t(st.at)),
                                       ("Cán bộ", st.officer), ("Lý do", st.reason)]))  # fmt: skip
    slip: list[list[Cell]] = [
        [str(r.version), _t(r.at), r.step, r.giver, r.receiver, _t(r.due_at), r.verdict]
        for r in forms.slip.rows
    ]
    out.append(
        '<article class="form01"><p class="form-no">Mẫu số 06</p>'
        "<h2>PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ</h2>"
        + table(
            f"Mã hồ sơ {code}; kết luận: {forms.slip.verdict or 'chưa kết thúc xử lý'}",
            ["#", "Thời gian", "Bước", "Bên giao", "Bên nhận", "Hạn lúc đó", "Đánh giá"],
            slip,
            stacked=True,
        )
        + "</article>"
    )
    return "".join(out)


@router.get(f"{PATH}/ho-so/{{code}}", response_class=HTMLResponse)
def file_forms_page(request: Request, code: str) -> HTMLResponse:
    who = DOOR.who(request)
    if who is None:
        return DOOR.page(status=401)
    ledger = ledger_of(request)
    try:
        if not FILE_CODE_RE.match(code) or parse_file_code(code).unit != who.unit:
            raise LedgerError("not of this unit")
        verified = ledger.load(code)
    except (LedgerError, ApiError):
        return page("Không có hồ sơ · No such file", f"<p>{escape(code)}</p>", status=404)
    secret_of = remembering(ledger.applicant_secret)
    forms = file_forms(
        events_of(verified.envelopes), reveal=lambda text: reveal(text, secret_of) or ""
    )
    origin = f"{request.url.scheme}://{request.url.netloc}"
    body = (
        _result_qr(origin, verified.file.result_sha256)
        + _forms(code, forms)
        + '<p class="no-print"><button type="button" id="print">In · Print</button> '
        f'<a href="{PATH}">Quầy · The counter</a></p>'
    )
    return page(f"Biểu mẫu · Forms {code}", body, script="print.js")


@router.get(f"{PATH}/so-theo-doi", response_class=HTMLResponse)
def tracking_book_page(request: Request, period: str | None = None) -> HTMLResponse:
    who = DOOR.who(request)
    if who is None:
        return DOOR.page(status=401)
    ledger = ledger_of(request)
    try:
        chosen = (
            parse_period(period) if period else period_containing(PeriodKind.MONTH, ledger.clock())
        )
    except PeriodError as e:
        return page("Kỳ không hợp lệ · Not a period", f"<p>{escape(str(e))}</p>", status=400)
    book = tracking_book(file_rows(ledger.store, "unit = ?", (who.unit,)), who.unit, chosen)
    rows: list[list[Cell]] = [
        [(b.code, href(f"{PATH}/ho-so/{b.code}")), b.procedure, _t(b.received_at), _t(b.due_at),
         _t(b.processing_ended_at), b.verdict or "—", b.state, _t(b.returned_at)]
        for b in book
    ]  # fmt: skip
    body = (
        '<article class="form01"><p class="form-no">Mẫu số 07</p>'
        f"<h2>SỔ THEO DÕI HỒ SƠ · {escape(who.unit)} · {escape(chosen.label)}</h2>"
        + table(
            f"{len(book)} hồ sơ",
            [
                "Mã hồ sơ",
                "Thủ tục",
                "Nhận",
                "Hạn",
                "Kết thúc xử lý",
                "Đánh giá",
                "Trạng thái",
                "Trả kết quả",
            ],
            rows,
            stacked=True,
        )
        + '</article><p class="no-print"><button type="button" id="print">In · Print</button>'
        f' <a href="{PATH}">Quầy · The counter</a></p>'
    )
    return page(f"Sổ theo dõi hồ sơ · Tracking book {chosen.label}", body, script="print.js")
