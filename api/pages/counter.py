"""The counter (quầy tiếp nhận, issue 18, point 6): an officer signs in with their API token,
receives a file (signed by the server with the officer's key, as ``POST /files`` does) and
prints its receipt (``api.pages.receipt``), and sees the files the unit, their department and
they themselves hold, the most pressing first, due times marked in words (not colour alone).
Everything else stays with the provincial software, through the API."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.errors import ApiError
from api.http.replay import events_of
from api.http.schemas.receipts import CounterReceiptIn
from api.http.state import ledger_of, service_state
from api.pages import session
from api.pages.html import Cell, table
from api.pages.layout import page
from api.pages.receipt import receipt_page
from api.tokens import ApiRole, Principal
from domain.calendar import VN_TZ
from domain.errors import DomainError
from domain.procedures import CATALOGUE, Channel
from ledger.chain.personal import PersonalData
from ledger.chain.sealed_text import remembering, reveal
from ledger.errors import LedgerError
from projections.models.storage import file_rows
from projections.queries.forms import file_forms
from projections.queries.queues import QueueEntry, format_working_time, queue
from signing import KeyDirectory
from signing.errors import SigningError

router = APIRouter(include_in_schema=False)
PATH = "/quay"
WORKERS = frozenset({ApiRole.OFFICER, ApiRole.LEADER})
DOOR = session.Door(
    PATH,
    WORKERS,
    "Quầy tiếp nhận · The counter",
    "Mã truy cập của cán bộ · Your API token",
    "Mã truy cập không đúng, hoặc không phải của cán bộ tiếp nhận · Not an officer's valid token",
)
DOOR.routes(router)
FIELDS = ("full_name", "id_number", "phone", "address")


def _when(entry: QueueEntry) -> str:
    if entry.minutes_left is None:
        return "chờ bổ sung · awaiting papers"
    left = format_working_time(abs(entry.minutes_left))
    if entry.overdue:
        return f"QUÁ HẠN {left} · OVERDUE by {left}"
    return f"còn {left} · {left} left" + (" (trong 1 ngày · within a day)" * entry.due_within_a_day)


def _queues(request: Request, who: Principal, department: str) -> str:
    ledger = ledger_of(request)
    rows = file_rows(ledger.store, "closed_at IS NULL AND (unit = ? OR holder_agency = ?)",
                     (who.unit, who.unit))  # fmt: skip
    now, calendar = ledger.clock(), ledger.read_calendar()
    out = []
    for title, officer, dept in (
        (f"Của tôi · Mine ({who.actor})", who.actor, None),
        (f"Bộ phận · Department {department}", None, department),
        (f"Đơn vị · Unit {who.unit}", None, None),
    ):
        q = queue(rows, now=now, calendar=calendar, unit=who.unit, department=dept,
                  officer=officer)  # fmt: skip
        entries = [*q.entries, *q.awaiting_supplement][:50]
        shown: list[list[Cell]] = [
            [(e.code, f"{PATH}/ho-so/{e.code}"), e.holder,
             e.appointment.astimezone(VN_TZ).strftime("%H:%M %d/%m"), _when(e)]
            for e in entries
        ]  # fmt: skip
        out.append(
            table(
                f"{title}: {len(q)} hồ sơ · files ({q.overdue} quá hạn · overdue)",
                ["Mã hồ sơ · Code", "Người giữ · Holder", "Hẹn trả · Due", "Thời hạn · Time"],
                shown,
                stacked=True,
            )
        )
    return "".join(out)


def _counter(request: Request, who: Principal, message: str = "", status: int = 200) -> Response:
    options = "".join(
        f'<option value="{escape(code)}">{escape(p.name_vi)}</option>'
        for code, p in CATALOGUE.items()
    )
    channels = "".join(f'<option value="{c.value}">{c.value}</option>' for c in Channel)
    said = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    department = "mot-cua"
    body = (
        f"<p>Cán bộ · Officer <strong>{escape(who.actor)}</strong>, đơn vị {escape(who.unit)}. "
        f'<form class="inline" method="post" action="{PATH}/dang-xuat"><button type="submit">'
        "Đăng xuất · Sign out</button></form></p>"
        f"{said}<h2>Tiếp nhận hồ sơ · Receive a file</h2>"
        f'<form method="post" action="{PATH}/tiep-nhan" class="receive">'
        f'<label for="procedure">Thủ tục · Procedure</label><select id="procedure" '
        f'name="procedure">{options}</select>'
        f'<label for="channel">Kênh · Channel</label><select id="channel" name="channel">'
        f"{channels}</select>"
        '<label for="counter">Quầy · Counter</label><input id="counter" name="counter" '
        'value="Q01" required>'
        f'<label for="department">Bộ phận · Department</label><input id="department" '
        f'name="department" value="{department}" required>'
        '<label for="documents">Thành phần hồ sơ, mỗi dòng một giấy tờ · Documents, one a '
        'line</label><textarea id="documents" name="documents" rows="3" required></textarea>'
        '<label for="full_name">Họ tên người nộp · Applicant</label><input id="full_name" '
        'name="full_name" required autocomplete="off">'
        '<label for="id_number">Số định danh · ID number</label><input id="id_number" '
        'name="id_number" required autocomplete="off" inputmode="numeric">'
        '<label for="phone">Điện thoại · Phone</label><input id="phone" name="phone" '
        'required autocomplete="off" inputmode="tel">'
        '<label for="address">Địa chỉ · Address</label><input id="address" name="address" '
        'required autocomplete="off">'
        '<button type="submit">Tiếp nhận và in giấy hẹn · Receive and print</button></form>'
        f"<h2>Hồ sơ đang giữ · Files held now</h2>{_queues(request, who, department)}"
        f'<p><a href="{PATH}/so-theo-doi">Sổ theo dõi hồ sơ (mẫu 07) · The tracking book</a></p>'
    )
    return page("Quầy tiếp nhận · The counter", body, status=status)


@router.get(PATH, response_class=HTMLResponse)
def counter(request: Request) -> Response:
    who = DOOR.who(request)
    return DOOR.page() if who is None else _counter(request, who)


@router.post(f"{PATH}/tiep-nhan")
async def receive(request: Request) -> Response:
    who = DOOR.who(request)
    fields = await session.form(request)
    if who is None or not session.same_origin(request) or fields is None:
        return DOOR.page("Hãy đăng nhập lại · Please sign in again", status=401)
    try:
        body = CounterReceiptIn.model_validate(
            {
                "procedure": fields.get("procedure", ""),
                "channel": fields.get("channel", ""),
                "counter": fields.get("counter", ""),
                "department": fields.get("department", ""),
                "documents": [
                    d.strip() for d in fields.get("documents", "").splitlines() if d.strip()
                ],
                "applicant": {k: fields.get(k, "") for k in FIELDS},
            }
        )
    except ValidationError as e:
        wrong = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
                          for err in e.errors()[:5])  # fmt: skip
        return _counter(request, who, f"Chưa tiếp nhận · Not received: {wrong}", status=422)
    return _received(request, who, body)


def _received(request: Request, who: Principal, body: CounterReceiptIn) -> Response:
    ledger = ledger_of(request)
    applicant = PersonalData(*(getattr(body.applicant, k) for k in FIELDS))
    try:
        signer = KeyDirectory(service_state(request).settings.keys_dir).signer(who.actor)
        receipt = ledger.receive(
            signer=signer, actor=who.actor, procedure=body.procedure, channel=body.channel,
            unit=who.unit, counter=body.counter, department=body.department,
            documents=tuple(body.documents), applicant=applicant, at=ledger.clock(),
        )  # fmt: skip
    except SigningError:
        return _counter(request, who, "Máy chủ không giữ khóa ký của bạn · The server holds no "
                        "signing key for you", status=403)  # fmt: skip
    except (DomainError, LedgerError, ApiError) as e:
        return _counter(request, who, f"Chưa tiếp nhận · Not received: {e}", status=422)
    secret_of = remembering(ledger.applicant_secret)
    forms = file_forms(
        events_of(ledger.load(receipt.code).envelopes),
        reveal=lambda text: reveal(text, secret_of) or "",
    )
    assert forms.receipt is not None
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return receipt_page(forms.receipt, receipt.pin, applicant, origin)
