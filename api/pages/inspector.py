"""The inspector's workspace (thanh tra, issue 18, point 5): signed in with an inspector's token,
search the index of every action (actor, unit, action, days), open a file's timeline as the
process control slip with each step's signer, key and log leaf and its verdict, download its
evidence bundle and check it in the browser (``static/verify-bundle.js``, on the result page's
code), and read the officers' workload and lateness."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.bootstrap import open_log
from api.errors import ApiError
from api.http.replay import events_of
from api.http.routes.files import bundle_answer
from api.http.state import ledger_of, service_state
from api.pages import session
from api.pages.html import Cell, href, table
from api.pages.layout import page
from api.tokens import ApiRole
from domain.calendar import VN_TZ
from domain.codes import FILE_CODE_RE
from ledger.chain.sealed_text import remembering, reveal
from ledger.errors import LedgerError
from projections.queries.forms import file_forms
from projections.queries.reads import actions, workload

router = APIRouter(include_in_schema=False)
PATH = "/thanh-tra"
INSPECTORS = frozenset({ApiRole.INSPECTOR})
TITLE = "Thanh tra · Inspection"
LIMIT = 200
DOOR = session.Door(
    PATH,
    INSPECTORS,
    TITLE,
    "Mã truy cập thanh tra · Your inspector's token",
    "Không phải mã truy cập thanh tra hợp lệ · Not a valid inspector's token",
)
DOOR.routes(router)


def _local(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def _day(text: str, *, end: bool = False) -> datetime | None:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(d + timedelta(days=end), time(0), tzinfo=VN_TZ).astimezone(UTC)


def _nav() -> str:
    return (
        f'<nav class="periods" aria-label="Thanh tra"><a href="{PATH}">Tra cứu thao tác · '
        f'Actions</a><a href="{PATH}/can-bo">Cán bộ · Officers</a>'
        f'<form class="inline" method="post" action="{PATH}/dang-xuat"><button type="submit">'
        "Đăng xuất · Sign out</button></form></nav>"
    )


@router.get(PATH, response_class=HTMLResponse)
def search(
    request: Request,
    actor: str = "",
    unit: str = "",
    action: str = "",
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    if DOOR.who(request) is None:
        return DOOR.page()
    fields = [("actor", "Người thực hiện · Actor", actor), ("unit", "Đơn vị · Unit", unit),
              ("action", "Thao tác · Action (FileReceived…)", action),
              ("start", "Từ ngày · From (YYYY-MM-DD)", start),
              ("end", "Đến ngày · To (YYYY-MM-DD)", end)]  # fmt: skip
    inputs = "".join(
        f'<label for="{n}">{escape(label)}</label><input id="{n}" name="{n}" '
        f'value="{escape(value)}" autocomplete="off">'
        for n, label, value in fields
    )
    found = actions(
        ledger_of(request).store, actor=actor or None, unit=unit or None, type_=action or None,
        start=_day(start) if start else None, end=_day(end, end=True) if end else None,
        limit=LIMIT + 1,
    )  # fmt: skip
    shown: list[list[Cell]] = [
        [_local(a.occurred_at), a.actor, a.type,
         (a.code, f"{PATH}/ho-so/{a.code}") if FILE_CODE_RE.match(a.code) else a.code,
         str(a.version), "—" if a.leaf_index is None else str(a.leaf_index)]
        for a in found[:LIMIT]
    ]  # fmt: skip
    cut = (
        f"<p>Hiện {LIMIT} thao tác đầu; còn nữa: thu hẹp điều kiện · The first {LIMIT} shown; "
        "more match: narrow the search.</p>"
        if len(found) > LIMIT
        else ""
    )
    body = (
        _nav() + f'<form method="get" action="{PATH}" class="receive">{inputs}'
        '<button type="submit">Tìm · Search</button></form>'
        + table(
            f"Thao tác · Actions ({min(len(found), LIMIT)})",
            ["Lúc · Time", "Người · Actor", "Thao tác · Action", "Hồ sơ · File", "v", "Lá · Leaf"],
            shown,
            row_headers=False,
            stacked=True,
        )
        + cut
    )
    return page(TITLE, body)


@router.get(f"{PATH}/ho-so/{{code}}", response_class=HTMLResponse)
def timeline(request: Request, code: str) -> HTMLResponse:
    if DOOR.who(request) is None:
        return DOOR.page()
    ledger = ledger_of(request)
    try:
        verified = ledger.load(code) if FILE_CODE_RE.match(code) else None
    except (LedgerError, ApiError):
        verified = None
    if verified is None:
        return page(TITLE, _nav() + f"<p>Không có hồ sơ · No file {escape(code)}</p>", status=404)
    leaves = open_log(ledger).leaves_of(code)
    secret_of = remembering(ledger.applicant_secret)
    slip = file_forms(
        events_of(verified.envelopes), reveal=lambda text: reveal(text, secret_of) or ""
    ).slip
    keys = {e.version: e.key_id for e in verified.envelopes}
    rows: list[list[Cell]] = [
        [str(r.version), _local(r.at), r.step, r.giver, r.receiver, r.actor,
         keys.get(r.version, "")[:12], str(leaves.get(r.version, "—")), r.verdict]
        for r in slip.rows
    ]  # fmt: skip
    verdict = slip.verdict or "chưa kết thúc xử lý · not ended"
    bundle = f"{PATH}/ho-so/{code}/bundle.json"
    body = (
        _nav()
        + table(
            f"Phiếu kiểm soát quá trình · Process control slip, {code} (kết luận · verdict: "
            f"{verdict})",
            [
                "#",
                "Lúc · Time",
                "Bước · Step",
                "Bên giao · Giver",
                "Bên nhận · Receiver",
                "Người ký · Signer",
                "Khóa · Key",
                "Lá · Leaf",
                "Đánh giá · Verdict",
            ],
            rows,
            stacked=True,
        )
        + f'<p><a href="{escape(bundle)}" download>Tải gói bằng chứng · Download the evidence '
        f'bundle</a></p><button type="button" id="verify" data-bundle="{escape(bundle)}">'
        "Kiểm tra trong trình duyệt · Verify here</button>"
        '<section id="verdict" class="answer" aria-live="polite"></section>'
    )
    vkey = service_state(request).settings.log_vkey or ""
    return page(f"Hồ sơ · File {code}", body, script="inspect-page.js",
                meta={"hoso-log-key": vkey})  # fmt: skip


@router.get(f"{PATH}/ho-so/{{code}}/bundle.json")
def bundle(request: Request, code: str) -> Response:
    if DOOR.who(request) is None or not FILE_CODE_RE.match(code):
        return JSONResponse({"detail": "sign in as an inspector"}, status_code=401)
    try:
        return bundle_answer(open_log(ledger_of(request)), code)
    except ApiError as e:
        return JSONResponse({"detail": str(e)}, status_code=404)


@router.get(f"{PATH}/can-bo", response_class=HTMLResponse)
def officers(request: Request) -> HTMLResponse:
    if DOOR.who(request) is None:
        return DOOR.page()
    ledger = ledger_of(request)
    loads = workload(ledger.store, now=ledger.clock(), calendar=ledger.read_calendar())
    rows: list[list[Cell]] = [
        [(w.officer, href(PATH, actor=w.officer)), str(w.holding_now), str(w.handled),
         str(w.late_files), f"{w.late_holding_minutes / 60:.1f}"]
        for w in loads
    ]  # fmt: skip
    body = _nav() + table(
        "Khối lượng và trễ hạn · Workload and lateness (giữ hồ sơ trễ lâu nhất trước · longest "
        "late holders first)",
        ["Cán bộ · Officer", "Đang giữ · Holding", "Đã xử lý · Handled", "Hồ sơ trễ · Late",
         "Giờ giữ hồ sơ trễ · Late hours held"],
        rows, numeric=(1, 2, 3, 4), stacked=True,
    )  # fmt: skip
    return page(TITLE, body)
