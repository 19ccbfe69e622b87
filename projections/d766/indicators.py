"""The Decision 766/QĐ-TTg indicators (bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ
người dân, doanh nghiệp), each with its formula, denominator rules and points as the National Public
Service Portal scores them.

Sources: Decision 766/QĐ-TTg of 23/6/2022 (five groups of 18 / 20 / 22 / 22 / 18 points); the
portal's formula description ("Mô tả công thức tính chỉ số 766", in ``../shared/decision-766.md``)
for the formulas and thresholds; the portal's metric table (its per-indicator maximum points, as
captured from dichvucong.gov.vn in public dashboard code) for the points of each indicator. The
groups are numbered as the portal numbers them (3 online service and payment, 4 digitisation);
the two scored items the portal gives no number are ``3.T`` (fully online files, toàn trình) and
``4.C`` (electronic certified copies).

An indicator whose data the ledger does not capture is listed as *not captured*, with what is
missing: never computed as zero. A rate with nothing to divide by is ``None`` (N/A) and scores
nothing. Every value is an exact ``Fraction``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from domain.procedures import Procedure
from projections.queries.figures import Figures, ratio, render_days, render_ratio

__all__ = ["GROUPS", "Indicator", "indicators", "points"]

GROUPS: dict[int, tuple[str, str, int]] = {
    1: ("Công khai, minh bạch", "Transparency and sync", 18),
    2: ("Tiến độ, kết quả giải quyết", "Progress and processing time", 20),
    3: ("Cung cấp dịch vụ trực tuyến", "Online service and payment", 22),
    4: ("Số hóa hồ sơ", "Digitisation", 22),
    5: ("Mức độ hài lòng", "Satisfaction", 18),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of one scope (unit or all, procedure or all, period)."""

    code: str
    name_vi: str
    name_en: str
    captured: bool
    max_points: int | None  # None: the portal gives it no points (or publishes none)
    value: Fraction | None = None  # the rate (or, for 2.2, working days)
    numerator: int | None = None
    denominator: int | None = None
    points: Fraction | None = None
    note: str = ""
    in_days: bool = False  # the value is working days (2.2), not a rate

    @property
    def group(self) -> int:
        return int(self.code.split(".")[0])

    @property
    def shown(self) -> str:
        """The value as people read it: a percentage, or working days; "—" when undefined."""
        return render_days(self.value) if self.in_days else render_ratio(self.value)


def points(
    value: Fraction | None, max_points: int, full_at: Fraction = Fraction(1)
) -> Fraction | None:
    """The portal's scoring: full points at ``full_at`` and above, below it ``value × max ÷
    full_at``; a negative rate scores 0; nothing (``None``) when the rate is undefined."""
    if value is None:
        return None
    return min(Fraction(max_points), max(Fraction(0), value * max_points / full_at))


def _missing(code: str, vi: str, en: str, max_points: int | None, what: str) -> Indicator:
    return Indicator(code, vi, en, captured=False, max_points=max_points, note=what)


def _rate(
    code: str,
    vi: str,
    en: str,
    numerator: int,
    denominator: int,
    max_points: int | None,
    full_at: Fraction = Fraction(1),
    note: str = "",
) -> Indicator:
    value = ratio(numerator, denominator)
    scored = None if max_points is None else points(value, max_points, full_at)
    return Indicator(code, vi, en, True, max_points, value, numerator, denominator, scored, note)


def progress(f: Figures) -> Indicator:
    """2.1 Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn = files ended early or on time, plus files in
    progress in time, ÷ files received and processed in the period (ended in it, or in progress
    at its end). Refused, stopped and withdrawn after acceptance count, judged at their end; a
    file waiting after one supplement request made in time is judged at the request; a second
    request, or one after the deadline, is late. 20 points × the rate."""
    good = f.resolved.early + f.resolved.on_time + f.in_progress.on_time
    return _rate("2.1", "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn", "Handled early or on time",
                 good, f.handled, 20)  # fmt: skip


def processing_time(f: Figures) -> Indicator:
    """2.2 Thời gian giải quyết trung bình = total processing time of the files whose processing
    started (were received) in the period and have a result (their end may fall later) ÷ their
    number, receipt to processing end less the supplement waits. Per procedure in its own unit
    (``scorecard.processing_times``); here over all, in working days. A figure to watch: the
    portal scores no points for it."""
    return Indicator("2.2", "Thời gian giải quyết trung bình", "Average processing time",
                     captured=True, max_points=None, value=f.processing_days_average,
                     note="working days; per procedure below", in_days=True)  # fmt: skip


def online_share(f: Figures) -> Indicator:
    """3.3 Tỷ lệ hồ sơ trực tuyến = files received online in the period ÷ files received in
    the period × the sync rate. Every procedure of the catalogue gives a paper result, so an
    online file counts only once its electronic result is issued (the signed result document,
    identified in the log by its SHA-256). Channel codes: in person and mobile sessions 1,
    online 2, postal 3. Full points at ≥ 50%; the portal publishes no points for it. The sync
    rate (1.4) is not captured: the share is shown without that factor."""
    return _rate("3.3", "Tỷ lệ hồ sơ trực tuyến", "Online share", f.received_online_with_result,
                 f.received.total, None, Fraction(1, 2),
                 note="sync rate not captured: shown without it")  # fmt: skip


def procedures_paid_online(f: Figures, catalogue: Mapping[str, Procedure]) -> Indicator:
    """3.5b TTHC có giao dịch thanh toán trực tuyến = procedures with a fee on which at least
    one file received in the period was paid online ÷ procedures with a fee in the catalogue
    (or the one procedure in scope). 2 points, full at ≥ 80%."""
    with_fee = {code for code, p in catalogue.items() if p.fee_vnd > 0}
    paid = len(f.procedures_paid_online & with_fee)
    return _rate("3.5b", "TTHC có giao dịch thanh toán trực tuyến",
                 "Fee-bearing procedures paid online", paid, len(with_fee), 2,
                 Fraction(4, 5))  # fmt: skip


def online_payment(f: Figures) -> Indicator:
    """3.6 Tỷ lệ hồ sơ thanh toán trực tuyến = files paid online whose processing started in
    the period ÷ files started in the period of procedures that carry a fee, less those whose
    fees were all zero (no fee asked). 6 points × the rate."""
    return _rate("3.6", "Tỷ lệ hồ sơ thanh toán trực tuyến", "Files paid online",
                 f.fee_paid_online_files, f.fee_charged_files, 6)  # fmt: skip


def electronic_results(f: Figures) -> Indicator:
    """4.1 Tỷ lệ hồ sơ có kết quả điện tử = files with an electronic result ÷ files of
    procedures whose result is a paper document, over the files whose processing ended in the
    period. A signed result is an electronic document identified in the log by its SHA-256; a
    file refused, stopped or withdrawn ended without one. 6 points × the rate."""
    return _rate("4.1", "Tỷ lệ hồ sơ có cấp kết quả điện tử", "Files with an electronic result",
                 f.ended_with_result, f.resolved.total, 6)  # fmt: skip


def receiving_satisfaction(f: Figures) -> Indicator:
    """5.4 Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC = 100% − (late rate + rate of files
    with a petition or a "dislike"), both over the files received and processed in the period.
    Petitions (PAKN) are not captured: the "dislikes" are the files rated dissatisfied. 6
    points, full at ≥ 90%."""
    value = f.receiving_satisfaction
    return Indicator("5.4", "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
                     "Satisfaction with receiving and processing", True, 6, value,
                     f.handled - f.late - f.handled_dissatisfied, f.handled,
                     points(value, 6, Fraction(9, 10)),
                     note="petitions not captured: ratings only")  # fmt: skip


NOT_CAPTURED: tuple[tuple[str, str, str, int | None, str], ...] = (
    ("1.1", "Tỷ lệ TTHC công bố đúng hạn", "Procedures published on time", 6,
     "the procedure catalogue's publication is not in the ledger"),
    ("1.2", "Tỷ lệ TTHC cập nhật, công khai đúng hạn", "Procedures updated on time", 4,
     "the procedure catalogue's publication is not in the ledger"),
    ("1.3", "Tỷ lệ TTHC công khai đầy đủ", "Procedures published in full", 2,
     "the procedure catalogue's publication is not in the ledger"),
    ("1.4", "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG", "Files synced to the national portal", 6,
     "the portal's acknowledgements of the feed are not recorded"),
    ("3.T", "Tỷ lệ hồ sơ DVCTT toàn trình", "Fully online files", 12,
     "which procedures are eligible to be fully online is not recorded"),
    ("3.5", "Tỷ lệ TTHC tích hợp thanh toán trên Cổng DVCQG",
     "Procedures with payment on the portal", 2, "payment integration is catalogue data"),
    ("4.2", "Tỷ lệ hồ sơ số hóa", "Files digitised", 4, "digitised components are not recorded"),
    ("4.3", "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa", "Digitised data reused", 2,
     "reuse of digitised data is not recorded"),
    ("4.4", "Tỷ lệ hồ sơ kết nối kho dữ liệu công dân", "Linked to the citizen's data store", 4,
     "the citizen's data store is not linked"),
    ("4.5", "Tỷ lệ hồ sơ sử dụng dữ liệu dân cư", "Population data used", 4,
     "VNeID / population database use is not recorded"),
    ("4.C", "Tỷ lệ chứng thực bản sao điện tử", "Electronic certified copies", 2,
     "electronic certified copies are not recorded"),
    ("5.2", "Tỷ lệ PAKN xử lý đúng hạn", "Petitions answered on time", 6,
     "petitions (PAKN) are not recorded"),
    ("5.3", "Tỷ lệ hài lòng xử lý PAKN", "Satisfaction with petitions", 6,
     "petitions (PAKN) are not recorded"),
)  # fmt: skip


def indicators(f: Figures, catalogue: Mapping[str, Procedure]) -> list[Indicator]:
    """Every indicator of the five groups for the figures ``f``, in the portal's order."""
    chosen = f.procedure
    scope = {chosen: catalogue[chosen]} if chosen is not None and chosen in catalogue else catalogue
    computed: list[Callable[[], Indicator]] = [
        lambda: progress(f),
        lambda: processing_time(f),
        lambda: online_share(f),
        lambda: procedures_paid_online(f, scope),
        lambda: online_payment(f),
        lambda: electronic_results(f),
        lambda: receiving_satisfaction(f),
    ]
    out = [make() for make in computed] + [_missing(*row) for row in NOT_CAPTURED]
    return sorted(out, key=lambda i: tuple(_order(part) for part in i.code.split(".")))


def _order(part: str) -> tuple[int, str]:
    digits = "".join(c for c in part if c.isdigit())
    return int(digits or 99), part
