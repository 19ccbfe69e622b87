"""The dashboard's numbers (``projections.queries.trends``) on the hand-built February 2027 of
``test_d766`` (its docstring tells each file), and the SVG charts drawn from them
(``api.pages.charts``): valid SVG, named for screen readers, every text escaped, sizes in
proportion to the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from api.pages.charts import bar_chart, share_line_chart, stacked_bars
from domain.procedures import Channel
from projections.queries.periods import parse_period
from projections.queries.trends import DAY_BINS, channel_mix, on_time_trend, processing_spread
from tests.support.history import CAL
from tests.unit.test_d766 import FEB, NOW, ROWS, A

SVG = "{http://www.w3.org/2000/svg}"


def test_the_trend_is_indicator_2_1_month_by_month() -> None:
    months = [parse_period(p) for p in ("2027-01", "2027-02", "2027-03")]
    points = on_time_trend(ROWS, months, now=NOW, calendar=CAL, unit=A)
    # January: A6 in progress at its end, not yet due (Mon 02-01): 1 of 1 in time.
    # February: as indicator 2.1 in test_d766, 3 of 6. March (as of 03-05): A2 (asked twice)
    # and A6 (past due) still in progress, both late: 0 of 2.
    assert [(p.handled, p.in_time) for p in points] == [(1, 1), (6, 3), (2, 0)]
    assert [p.share for p in points] == [Fraction(1), Fraction(1, 2), Fraction(0)]
    assert on_time_trend(ROWS, [parse_period("2026-12")], now=NOW, calendar=CAL)[0].share is None


def test_channels_and_the_spread_of_processing_time() -> None:
    mix = channel_mix(ROWS, FEB, now=NOW, calendar=CAL, unit=A)
    # A1 A3 A5 in person, A2 A4 online; A7 not accepted counts nowhere, A6 came in January
    assert mix == {
        Channel.IN_PERSON: 3,
        Channel.ONLINE: 2,
        Channel.POSTAL: 0,
        Channel.MOBILE_SESSION: 0,
    }
    spread = processing_spread(ROWS, FEB, calendar=CAL, unit=A)
    # A3 510 min (1 1/16 days) and A1 1020 min (2 1/8) in 1-3 days; A4 1980 min (4 1/8) in 3-7
    labels = [label for _low, _high, label in DAY_BINS]
    one_three, three_seven = labels.index("1–3 days"), labels.index("3–7 days")
    assert spread["certified_copy"][one_three] == 1 and sum(spread["certified_copy"]) == 1
    marital = spread["marital_status_confirmation"]
    assert (marital[one_three], marital[three_seven], sum(marital)) == (1, 1, 2)
    assert list(spread) == sorted(spread)


def _svg(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # well-formed, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def test_a_line_of_shares_leaves_a_gap_where_nothing_was_judged() -> None:
    root = _svg(
        share_line_chart(
            "Đúng hạn", ["01", "02", "03", "04"], [Fraction(1), Fraction(1, 2), None, Fraction(0)]
        )
    )
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3
    ys = [float(c.get("cy", "")) for c in circles]
    assert ys[0] < ys[1] < ys[2]  # 100% highest on the page, 0% lowest
    (line,) = root.findall(f"{SVG}polyline")  # 01-02 joined; 04 alone after the gap
    assert len(line.get("points", "").split()) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "50.0%" in texts and "100.0%" in texts and "0.0%" in texts
    with pytest.raises(ValueError, match="one share per label"):
        share_line_chart("x", ["a"], [])


def test_bars_are_in_proportion_and_every_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    markup = bar_chart("Kênh & nộp", [("Trực tiếp", 300), (hostile, 100), ("Bưu chính", 0)])
    assert "<script>" not in markup
    root = _svg(markup)
    widths = [float(r.get("width", "")) for r in root.findall(f"{SVG}rect")]
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.2) and widths[2] == 0
    assert hostile in [t.text for t in root.iter(f"{SVG}text")]
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Kênh & nộp"
    with pytest.raises(ValueError, match="never negative"):
        bar_chart("x", [("a", -1)])


def test_stacked_bars_fill_each_row_in_its_parts() -> None:
    root = _svg(stacked_bars("Thời gian", [("a", [1, 3]), ("b", [0, 0])], ["< 1", "≥ 1"]))
    rects = root.findall(f"{SVG}rect")
    legend, parts = rects[:2], rects[2:]
    assert len(legend) == 2 and len(parts) == 2  # row b has nothing to draw
    first, second = (float(r.get("width", "")) for r in parts)
    assert second == pytest.approx(3 * first)
    assert float(parts[1].get("x", "")) == pytest.approx(float(parts[0].get("x", "")) + first)
    with pytest.raises(ValueError, match="one count"):
        stacked_bars("x", [("a", [1])], ["p", "q"])
