"""The public transparency dashboard in a real browser (issue 18, point 4): the ranking the page
shows is the one ``hoso transparency`` prints, the CSV holds it too, each unit's page its score
card; charts drawn on the server; no login, nothing fetched from elsewhere, axe clean."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx

from tests.e2e.conftest import Site
from tests.support.browser import visit
from tests.support.cli import hoso

PERIOD = "2026-02"


def _cli_ranking(site: Site) -> list[tuple[str, str, str]]:
    """(rank, unit, score) of each row of the CLI's ranking table."""
    shown = hoso("transparency", "--period", PERIOD, "--data", str(site.data))
    assert shown.returncode == 0, shown.stderr
    table = shown.stdout.split("Units ranked by Decision 766 total score")[1]
    rows = re.findall(r"│\s*(\d+)\s*│\s*([A-Z0-9.]+)\s*│\s*([\d.]+ / \d+)\s*│", table)
    assert rows, shown.stdout
    return rows


def test_the_ranking_is_the_one_hoso_transparency_prints(site: Site, chrome: Any) -> None:
    expected = _cli_ranking(site)
    with visit(chrome, f"{site.server.url}/cong-khai?period={PERIOD}") as seen:
        page = seen.page
        rows = page.eval_on_selector(  # the first table: the ranking
            "table",
            "t => Array.from(t.tBodies[0].rows, r => Array.from(r.cells).slice(0, 3)"
            ".map(c => c.innerText.trim()))",
        )
        assert [tuple(r) for r in rows] == expected
        assert page.locator("svg.chart").count() == 3  # trend, channels, processing time
        assert "Checkpoint" in page.inner_text(".pinned")
        seen.all_local()
        seen.looked_at("cong-khai")
        page.click(f"text={expected[0][1]}")  # the unit's own page
        page.wait_for_selector("text=Chỉ số 766")
        assert page.locator("tbody th", has_text="2.1").count() == 1
        assert "chưa thu thập" in page.inner_text("main")  # never computed as zero
        seen.looked_at("cong-khai-don-vi")
        seen.all_local()


def test_the_csv_holds_the_same_ranking(site: Site) -> None:
    r = httpx.get(f"{site.server.url}/cong-khai/xep-hang.csv", params={"period": PERIOD})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0][:5] == ["period", "rank", "unit", "score", "attainable"]
    assert [(row[1], row[2], f"{row[3]} / {row[4]}") for row in table[1:]] == _cli_ranking(site)
    assert "2.1 value" in table[0] and "2.1 points" in table[0]


def test_a_bad_period_or_unit_is_a_sentence_not_a_trace(site: Site) -> None:
    url = site.server.url
    bad = httpx.get(f"{url}/cong-khai", params={"period": "2026-13"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    assert "month 13 is outside 1..12" in bad.text and "Traceback" not in bad.text
    assert httpx.get(f"{url}/cong-khai/don-vi/NOWHERE").status_code == 404
    assert httpx.get(f"{url}/cong-khai/don-vi/a%3Cb").status_code == 404
