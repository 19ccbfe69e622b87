"""The counter and the citizen's status page in a real browser (issue 18, points 1, 2 and 6): an
officer signs in with their token, receives a file and gets its printed receipt; the receipt's QR
code, read from the rendered page as a phone reads it, opens ``/tra-cuu#CODE.PIN``, which shows
the file in Hanoi time with the PIN never in a URL or a log line; a wrong PIN and an unknown code
get the same page; the per-code lockout says what to do; all by keyboard too."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.e2e.conftest import Site
from tests.support.browser import new_address, visit


def _post(site: Site, code: str, pin: str, address: str) -> httpx.Response:
    return httpx.post(
        f"{site.server.url}/tra-cuu",
        data={"code": code, "pin": pin},
        headers={"X-Forwarded-For": address},
    )


def _body(page: httpx.Response) -> str:
    return page.text.split("<main>")[1].split("</main>")[0]


def test_a_receipt_printed_at_the_counter_opens_the_file_by_its_qr(site: Site, chrome: Any) -> None:
    token = site.credentials()["tokens"]["officer"]["token"]
    with visit(chrome, f"{site.server.url}/quay") as seen:
        page = seen.page
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Tiếp nhận hồ sơ · Receive a file")
        assert "QUÁ HẠN" in page.inner_text("main")  # the demo's open files, due times in words
        seen.looked_at("quay")
        page.select_option("#procedure", "birth_registration")
        page.fill("#documents", "Tờ khai đăng ký khai sinh\nGiấy chứng sinh")
        for field, value in [
            ("#full_name", "Nguyễn Thị Mai"),
            ("#id_number", "001199012345"),
            ("#phone", "0912345678"),
            ("#address", "12 Đội Cấn, Ba Đình"),
        ]:
            page.fill(field, value)  # fmt: skip
        page.click("text=Tiếp nhận và in giấy hẹn")
        page.wait_for_selector("text=GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
        text = page.inner_text("main")
        code = re.search(r"Mã hồ sơ: (\S+)", text)
        pin = re.search(r"Mã tra cứu · PIN: (\d{6})", text)
        assert code and pin, text
        assert "Nguyễn Thị Mai" in text and "Giấy chứng sinh" in text
        seen.looked_at("giay-tiep-nhan")
        page.set_viewport_size({"width": 1280, "height": 800})
        shot = page.locator(".qr").screenshot()
        (read,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert read.text == f"{site.server.url}/tra-cuu#{code[1]}.{pin[1]}"
        page.emulate_media(media="print")  # the printed page: the receipt alone
        assert not page.locator("form").first.is_visible() if page.locator("form").count() else True
        assert not page.locator("header").is_visible()
        seen.all_local()
    with visit(chrome, read.text, width=360) as phone:  # the citizen's phone scans it
        phone.page.wait_for_selector("text=Các bước")
        shown = phone.page.inner_text("main")
        assert code[1] in shown and "Đăng ký khai sinh" in shown
        assert "giờ Hà Nội" in shown and re.search(r"\d\d:\d\d ngày \d\d/\d\d/\d{4}", shown)
        assert phone.page.url.endswith("/tra-cuu")  # the fragment is gone from the address bar
        assert not any(pin[1] in u for u in phone.requests)
        phone.looked_at("tra-cuu-ket-qua")
        phone.all_local()
    assert pin[1] not in site.server.log.read_text()  # no PIN in any access log line


def test_a_wrong_pin_and_an_unknown_code_get_the_same_page(site: Site) -> None:
    sample = site.credentials()["samples"][1]
    wrong = _post(site, sample["code"], "000000" if sample["pin"] != "000000" else "111111",
                  new_address())  # fmt: skip
    unknown = _post(site, "PBADINH-260212-9999", "000000", new_address())
    assert wrong.status_code == unknown.status_code == 404
    assert _body(wrong) == _body(unknown)
    right = _post(site, sample["code"], sample["pin"], new_address())
    assert right.status_code == 200 and sample["code"] in right.text
    assert httpx.get(f"{site.server.url}/tra-cuu", params={"pin": sample["pin"]}).status_code == 200
    assert (
        sample["pin"]
        not in httpx.get(
            f"{site.server.url}/tra-cuu", params={"code": sample["code"], "pin": sample["pin"]}
        ).text
    )  # a PIN in a query string is ignored, never echoed


def test_the_lockout_says_what_to_do_even_to_the_right_pin(site: Site, chrome: Any) -> None:
    sample = site.credentials()["samples"][2]
    for n in range(5):
        _post(site, sample["code"], f"99999{n}", new_address())
    with visit(chrome, f"{site.server.url}/tra-cuu", width=360) as seen:
        page = seen.page
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "code"
        page.keyboard.type(sample["code"])
        page.keyboard.press("Tab")
        page.keyboard.type(sample["pin"])
        page.keyboard.press("Enter")
        page.wait_for_selector("[role=alert]")
        said = page.inner_text("[role=alert]")
        assert "tạm khóa" in said and "bộ phận một cửa" in said and "locked until" in said
        seen.looked_at("tra-cuu-khoa")
        seen.all_local()


def test_the_counter_refuses_a_stranger_and_a_form_from_elsewhere(site: Site) -> None:
    url = site.server.url
    page = httpx.post(f"{url}/quay/dang-nhap", data={"token": "hoso_nope"},
                      headers={"Origin": url})  # fmt: skip
    assert page.status_code == 401 and "Not an officer" in page.text
    inspector = site.credentials()["tokens"]["inspector"]["token"]
    page = httpx.post(f"{url}/quay/dang-nhap", data={"token": inspector}, headers={"Origin": url})
    assert page.status_code == 401  # an inspector does not receive files
    officer = site.credentials()["tokens"]["officer"]["token"]
    elsewhere = httpx.post(f"{url}/quay/dang-nhap", data={"token": officer},
                           headers={"Origin": "http://evil.example"})  # fmt: skip
    assert elsewhere.status_code == 400 and "set-cookie" not in elsewhere.headers
    signed = httpx.post(f"{url}/quay/dang-nhap", data={"token": officer}, headers={"Origin": url})
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/quay" in cookie
    forged = httpx.post(f"{url}/quay/tiep-nhan", data={"procedure": "birth_registration"},
                        headers={"Origin": "http://evil.ex"}, cookies=signed.cookies)  # fmt: skip
    assert forged.status_code == 401 and "GIẤY TIẾP NHẬN" not in forged.text
    bad = httpx.post(f"{url}/quay/tiep-nhan", data={"procedure": "nope", "documents": ""},
                     headers={"Origin": url}, cookies=signed.cookies)  # fmt: skip
    assert bad.status_code == 422 and "Chưa tiếp nhận" in bad.text and "Traceback" not in bad.text
