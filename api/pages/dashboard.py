"""The public transparency dashboard (công khai, issue 18, point 4): the province's units ranked
by their Decision 766 score, each unit's indicators and points, charts drawn on the server
(on-time trend, channel mix, processing time per procedure), the checkpoint the figures stand
beside, and a CSV of the ranking. No login and no personal data: the same figures as
``GET /transparency`` and ``hoso transparency`` (``projections.d766``), from the read models."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap import open_log
from api.http.state import ledger_of
from api.pages import charts
from api.pages.html import Cell, href, table, with_data
from api.pages.layout import HEADERS, page
from domain.calendar import VN_TZ, WorkingCalendar
from domain.codes import UNIT_CODE_RE
from domain.procedures import Channel
from projections.d766.scorecard import RankedUnit, ScoreCard, rank, score_card
from projections.errors import PeriodError
from projections.models.rows import FileRow
from projections.models.storage import file_rows
from projections.queries.citizen import procedure_names
from projections.queries.figures import render_days, render_ratio
from projections.queries.periods import Period, PeriodKind, parse_period, period_containing
from projections.queries.trends import DAY_BINS, channel_mix, on_time_trend, processing_spread

router = APIRouter(include_in_schema=False)
HOME = "/cong-khai"
CHANNELS = {
    Channel.IN_PERSON: "Trực tiếp · In person",
    Channel.ONLINE: "Trực tuyến · Online",
    Channel.POSTAL: "Bưu chính · By post",
    Channel.MOBILE_SESSION: "Lưu động · Mobile session",
}


@dataclass(frozen=True)
class Scope:
    """What one page computes from: the rows, the period, the clock and the calendar."""

    rows: list[FileRow]
    period: Period
    now: datetime
    calendar: WorkingCalendar
    checkpoint: str


def _scope(request: Request, period: str | None) -> Scope | HTMLResponse:
    ledger = ledger_of(request)
    now = ledger.clock()
    try:
        chosen = parse_period(period) if period else period_containing(PeriodKind.MONTH, now)
    except PeriodError as e:
        return page("Kỳ không hợp lệ · Not a period", f"<p>{escape(str(e))}</p>", status=400)
    latest = open_log(ledger).latest_checkpoint()
    signed = (
        "Chưa có checkpoint nào được ký · No checkpoint signed yet"
        if latest is None
        else f"Checkpoint đã ký gần nhất · Latest signed checkpoint: {latest.size} "
        f"(root {latest.root.hex()[:16]}…); hoso transparency --period {chosen.label} "
        f"--at-checkpoint {latest.size} tính lại từ chính các mục của sổ · recomputes from the "
        "log's entries"
    )
    as_of = min(chosen.end_at, now).astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
    line = f"Tính đến · As of {as_of} (giờ Hà Nội). {signed}."
    return Scope(file_rows(ledger.store), chosen, now, ledger.read_calendar(), line)


def _period_nav(path: str, period: Period) -> str:
    before, after = period.previous(), period.next()
    return (
        '<nav aria-label="Kỳ · Period" class="periods">'
        f'<a href="{escape(href(path, period=before.label))}">← {escape(before.label)}</a>'
        f"<strong>Kỳ · Period {escape(period.label)}</strong>"
        f'<a href="{escape(href(path, period=after.label))}">{escape(after.label)} →</a></nav>'
    )


def _charts(scope: Scope, unit: str | None) -> str:
    last = period_containing(PeriodKind.MONTH, scope.period.end - timedelta(days=1))
    months = [last]
    while len(months) < 12:
        months.insert(0, months[0].previous())
    trend = on_time_trend(scope.rows, months, now=scope.now, calendar=scope.calendar, unit=unit)
    labels = [p.period.label[2:] for p in trend]
    line = charts.share_line_chart(
        "Tỷ lệ đúng hạn theo tháng · On time by month (766: 2.1)",
        labels,
        [p.share for p in trend],
        "Tỷ lệ hồ sơ giải quyết đúng hạn, 12 tháng · Share handled in time over 12 months",
    )
    trend_table = table(
        "Đúng hạn theo tháng · On time by month",
        ["Tháng · Month", "Trong hạn · In time", "Đã xử lý · Handled", "Tỷ lệ · Share"],
        [[p.period.label, str(p.in_time), str(p.handled), render_ratio(p.share)] for p in trend],
        numeric=(1, 2, 3),
    )
    mix = channel_mix(scope.rows, scope.period, now=scope.now, calendar=scope.calendar, unit=unit)
    items = [(CHANNELS[c], n) for c, n in mix.items()]
    bars = charts.bar_chart("Kênh nộp hồ sơ · Channels", items, "Hồ sơ tiếp nhận theo kênh")
    mix_table = table("Kênh · Channels", ["Kênh · Channel", "Hồ sơ · Files"],
                      [[label, str(n)] for label, n in items], numeric=(1,))  # fmt: skip
    spread = processing_spread(scope.rows, scope.period, calendar=scope.calendar, unit=unit)
    legend = [label for _low, _high, label in DAY_BINS]
    named = [(procedure_names(code)[0], counts) for code, counts in spread.items()]
    stacked = charts.stacked_bars(
        "Thời gian giải quyết · Processing time (working days)",
        named,
        legend,
        "Số hồ sơ theo thời gian giải quyết, từng thủ tục · Files by processing time",
    )
    spread_table = table(
        "Thời gian giải quyết · Processing time",
        ["Thủ tục · Procedure", *legend],
        [[name, *(str(c) for c in counts)] for name, counts in named],
        numeric=tuple(range(1, len(legend) + 1)),
    )
    return (
        '<section aria-labelledby="charts"><h2 id="charts">Biểu đồ · Charts</h2>'
        + with_data("Tỷ lệ đúng hạn, 12 tháng · On time, 12 months (2.1)", line, trend_table)
        + with_data(f"Kênh nộp hồ sơ · Channels, {scope.period.label}", bars, mix_table)
        + (
            with_data(
                f"Thời gian giải quyết (ngày làm việc) · Processing time (working days), "
                f"{scope.period.label}",
                stacked,
                spread_table,
            )
            if named
            else ""
        )
        + "</section>"
    )


def _score(ranked: RankedUnit) -> str:
    return f"{render_days(ranked.card.total)} / {ranked.card.attainable}"


@router.get("/cong-khai", response_class=HTMLResponse)
def dashboard(request: Request, period: str | None = None) -> HTMLResponse:
    scope = _scope(request, period)
    if isinstance(scope, HTMLResponse):
        return scope
    ranking = rank(scope.rows, scope.period, now=scope.now, calendar=scope.calendar)
    rows: list[list[Cell]] = [
        [
            str(r.rank),
            (r.unit, href(f"{HOME}/don-vi/{r.unit}", period=scope.period.label)),
            _score(r),
            render_ratio(r.card.figures.progress),
            render_ratio(r.card.figures.receiving_satisfaction),
        ]
        for r in ranking
    ]
    ranked = table(
        f"Xếp hạng theo tổng điểm Quyết định 766 · Units ranked by Decision 766 score, "
        f"{scope.period.label}",
        ["Hạng · Rank", "Đơn vị · Unit", "Điểm · Score", "Đúng hạn · On time (2.1)",
         "Hài lòng · Satisfaction (5.4)"],
        rows,
        numeric=(2, 3, 4),
        row_headers=False,
    )  # fmt: skip
    csv_link = href(f"{HOME}/xep-hang.csv", period=scope.period.label)
    body = (
        _period_nav(HOME, scope.period)
        + (ranked if ranking else "<p>Chưa có hồ sơ trong kỳ · No files in this period.</p>")
        + f'<p><a href="{escape(csv_link)}" download>Tải bảng xếp hạng (CSV) · Download the '
        "ranking (CSV)</a></p>"
        + _charts(scope, None)
        + f'<p class="pinned">{escape(scope.checkpoint)}</p>'
    )
    return page("Công khai kết quả giải quyết hồ sơ · Transparency", body)


def _card_table(card: ScoreCard, caption: str) -> str:
    rows: list[list[Cell]] = []
    for i in card.indicators:
        if not i.captured:
            rows.append([i.code, f"{i.name_vi} · {i.name_en}", "chưa thu thập · not captured",
                         f"— / {i.max_points}"])  # fmt: skip
            continue
        value = i.shown
        if i.numerator is not None and i.denominator:
            value += f" ({i.numerator}/{i.denominator})"
        scored = "không tính điểm · no points" if i.max_points is None else (
            f"{render_days(i.points) if i.points is not None else '—'} / {i.max_points}"
        )  # fmt: skip
        rows.append([i.code, f"{i.name_vi} · {i.name_en}", value, scored])
    rows.append(["", "Tổng các chỉ số đã thu thập · Total of the captured", "",
                 f"{render_days(card.total)} / {card.attainable}"])  # fmt: skip
    return table(caption, ["Số · No.", "Chỉ số · Indicator", "Giá trị · Value",
                           "Điểm · Points"], rows, numeric=(2, 3), stacked=True)  # fmt: skip


@router.get("/cong-khai/don-vi/{unit}", response_class=HTMLResponse)
def unit_page(request: Request, unit: str, period: str | None = None) -> HTMLResponse:
    if not UNIT_CODE_RE.match(unit):
        return page("Không có đơn vị · No such unit", "<p>Mã đơn vị không hợp lệ.</p>", status=404)
    scope = _scope(request, period)
    if isinstance(scope, HTMLResponse):
        return scope
    if not any(r.unit == unit for r in scope.rows):
        return page("Không có đơn vị · No such unit", f"<p>{escape(unit)}</p>", status=404)
    card = score_card(scope.rows, scope.period, now=scope.now, calendar=scope.calendar, unit=unit)
    body = (
        f'<p><a href="{escape(href(HOME, period=scope.period.label))}">← Tất cả đơn vị · All '
        "units</a></p>"
        + _period_nav(f"{HOME}/don-vi/{unit}", scope.period)
        + _card_table(card, f"Chỉ số 766 · Decision 766 indicators, {unit}, {scope.period.label}")
        + _charts(scope, unit)
        + f'<p class="pinned">{escape(scope.checkpoint)}</p>'
    )
    return page(f"Đơn vị · Unit {unit}", body)


def _safe(cell: str) -> str:
    """A CSV cell a spreadsheet never takes for a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


@router.get("/cong-khai/xep-hang.csv")
def ranking_csv(request: Request, period: str | None = None) -> Response:
    scope = _scope(request, period)
    if isinstance(scope, HTMLResponse):
        return scope
    ranking = rank(scope.rows, scope.period, now=scope.now, calendar=scope.calendar)
    codes = [i.code for i in ranking[0].card.indicators if i.captured] if ranking else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", "rank", "unit", "score", "attainable",
                     *(f"{c} {part}" for c in codes for part in ("value", "points"))])  # fmt: skip
    for r in ranking:
        cells = [scope.period.label, str(r.rank), r.unit, render_days(r.card.total),
                 str(r.card.attainable)]  # fmt: skip
        for code in codes:
            i = r.card.get(code)
            cells += [i.shown, "" if i.points is None else render_days(i.points)]
        writer.writerow([_safe(c) for c in cells])
    name = f"xep-hang-766-{scope.period.label}.csv"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
