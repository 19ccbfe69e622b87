"""The inspector's workspace in a real browser (issue 18, point 5): signed in with an inspector's
token, search the actions, open a file's process control slip with signer, key and leaf, and
Verify its bundle in the browser: VERIFIED for the bundle the server gives, and exactly what
failed for one changed on its way (a signature, an inclusion proof); the officers' workload."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from tests.e2e.conftest import Site
from tests.support.browser import visit


def _signed_in(site: Site, chrome: Any) -> Any:
    token = site.credentials()["tokens"]["inspector"]["token"]
    seen = visit(chrome, f"{site.server.url}/thanh-tra")
    v = seen.__enter__()
    v.page.fill("#token", token)
    v.page.keyboard.press("Enter")
    v.page.wait_for_selector("text=Tìm · Search")
    return seen, v


def test_search_a_timeline_and_verify_its_bundle_in_the_browser(site: Site, chrome: Any) -> None:
    seen, v = _signed_in(site, chrome)
    try:
        page = v.page
        page.fill("#actor", "chutich")
        page.click("text=Tìm · Search")
        page.wait_for_selector("text=ResultSigned")
        v.looked_at("thanh-tra")
        page.click("tbody a >> nth=0")  # a file from the index opens its timeline
        page.wait_for_selector("text=Phiếu kiểm soát quá trình")
        page.goto(f"{site.server.url}/thanh-tra/ho-so/{site.result_file}")  # one a leader signed
        page.wait_for_selector("text=Phiếu kiểm soát quá trình")
        slip = page.inner_text("main")
        assert "ResultSigned" in slip and "FileReceived" in slip
        page.click("#verify")
        page.wait_for_selector("#verdict.verified, #verdict.refused", timeout=20_000)
        verdict = page.inner_text("#verdict")
        assert "ĐÃ XÁC THỰC" in verdict and "VERIFIED" in verdict, verdict
        v.looked_at("thanh-tra-ho-so")
        v.all_local()

        def changed_on_its_way(route: Any) -> None:
            doc = route.fetch().json()
            entry = json.loads(base64.b64decode(doc["entries"][0]["entry"]))
            entry["actor"] = entry["actor"] + "x"  # another officer named
            raw = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
            doc["entries"][0]["entry"] = base64.b64encode(raw).decode()
            route.fulfill(status=200, content_type="application/json", body=json.dumps(doc))

        page.route("**/bundle.json", changed_on_its_way)
        page.click("#verify")
        page.wait_for_selector("#verdict.refused", timeout=20_000)
        said = page.inner_text("#verdict")
        assert "NOT VERIFIED" in said and "inclusion proof does not lead" in said, said
        page.unroute("**/bundle.json")

        def unsigned(route: Any) -> None:
            doc = route.fetch().json()
            doc["checkpoint"] = doc["checkpoint"].replace("\n", "\n ", 1)
            route.fulfill(status=200, content_type="application/json", body=json.dumps(doc))

        page.route("**/bundle.json", unsigned)
        page.click("#verify")
        page.wait_for_selector("#verdict.refused", timeout=20_000)
        assert "signature by the log does not verify" in page.inner_text("#verdict")
        page.unroute("**/bundle.json")
        page.click("text=Cán bộ · Officers")
        page.wait_for_selector("text=Khối lượng và trễ hạn")
        v.looked_at("thanh-tra-can-bo")
    finally:
        seen.__exit__(None, None, None)


def test_only_an_inspector_gets_in(site: Site) -> None:
    url = site.server.url
    officer = site.credentials()["tokens"]["officer"]["token"]
    refused = httpx.post(f"{url}/thanh-tra/dang-nhap", data={"token": officer},
                         headers={"Origin": url})  # fmt: skip
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    assert "Tìm · Search" not in httpx.get(f"{url}/thanh-tra", params={"actor": "x"}).text
    bundle = httpx.get(f"{url}/thanh-tra/ho-so/{site.result_file}/bundle.json")
    assert bundle.status_code == 401
