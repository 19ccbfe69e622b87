"""The forms of Circular 03/2025 printed at the counter (issue 18, point 1): a file's supplement
request, apology and process control slip (02, 04, 06) and the unit's tracking book (07), from
the signed events, printable (A5, as PDF too), for an officer of the unit only."""

from __future__ import annotations

import io
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from api.bootstrap import open_ledger
from api.settings import load_settings
from ledger.store import sql as db_sql
from tests.e2e.conftest import Site
from tests.support.browser import visit


def _a_file_with(site: Site, topic: str) -> str:
    ledger = open_ledger(load_settings(site.data))
    try:
        row = db_sql.rows(
            ledger.store,
            "SELECT originator_id FROM hoso_events WHERE topic = ? ORDER BY originator_id LIMIT 1",
            (topic,),
        )[0]
    finally:
        ledger.close()
    return str(row["originator_id"])


def test_a_files_forms_and_the_book_print(site: Site, chrome: Any) -> None:
    token = site.credentials()["tokens"]["officer"]["token"]
    asked, sorry = _a_file_with(site, "SupplementRequested"), _a_file_with(site, "ApologyIssued")
    with visit(chrome, f"{site.server.url}/quay") as seen:
        page = seen.page
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Tiếp nhận hồ sơ · Receive a file")
        page.goto(f"{site.server.url}/quay/ho-so/{asked}")
        text = page.inner_text("main")
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ (1)" in text and "Mẫu số 02" in text
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
        seen.looked_at("bieu-mau-02")
        page.goto(f"{site.server.url}/quay/ho-so/{sorry}")
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in page.inner_text("main")
        pdf = page.pdf(format="A5")
        assert pdf.startswith(b"%PDF") and len(pdf) > 2000
        page.goto(f"{site.server.url}/quay/ho-so/{site.result_file}")  # a signed result
        shot = page.locator(".qr").screenshot()
        (read,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert read.text == f"{site.server.url}/xac-thuc#{site.result_sha256}"
        page.goto(read.text)  # the result's QR, scanned: verified in the browser
        page.wait_for_selector("#answer.verified", timeout=15_000)
        page.goto(f"{site.server.url}/quay/so-theo-doi?period=2026-02")
        book = page.inner_text("main")
        assert "SỔ THEO DÕI HỒ SƠ" in book and asked in book and sorry in book
        seen.looked_at("so-theo-doi")
        seen.all_local()


def test_forms_need_an_officer(site: Site) -> None:
    url = site.server.url
    assert httpx.get(f"{url}/quay/ho-so/{site.result_file}").status_code == 401
    assert httpx.get(f"{url}/quay/so-theo-doi").status_code == 401
