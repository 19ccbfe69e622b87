"""The result verification page in a real browser (issue 18, point 3): the QR's fragment opens
``/xac-thuc#<SHA-256>``; the browser checks the proof itself (WebCrypto) and says VERIFIED, or
exactly what failed when a proof was tampered with on its way; nothing leaves this machine; axe
finds nothing serious; the browser's code passes the RFC 9162 and C2SP vectors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.bootstrap import open_ledger
from api.settings import load_settings
from ledger.encoding.envelope import decode
from ledger.store import sql as db_sql
from signing import b64, unb64
from tests.support.browser import browser, visit
from tests.support.cli import hoso
from tests.support.serve import Served, served
from tests.support.vectors import read_json, rfc9162_file_paths, vectors_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, str]]:
    """A demo day served by ``hoso serve``; (the server, a signed result's SHA-256, its file)."""
    tmp = tmp_path_factory.mktemp("result-page")
    made = hoso("demo", "--days", "1", "--data", str(tmp / "d"), "--start", "2026-02-12")
    assert made.returncode == 0, made.stderr
    assert hoso("log", "checkpoint", "--data", str(tmp / "d")).returncode == 0
    ledger = open_ledger(load_settings(tmp / "d"))
    try:
        row = db_sql.rows(
            ledger.store,
            "SELECT state FROM hoso_events WHERE topic = 'ResultSigned' ORDER BY "
            "originator_id LIMIT 1",
        )[0]
    finally:
        ledger.close()
    env = decode(bytes(row["state"]))
    sha = str(env.payload["document_sha256"])
    with served(tmp, None, reuse=True) as server:
        deadline = time.monotonic() + 60
        while httpx.post(f"{server.url}/public/results", json={"sha256": sha}).status_code != 200:
            assert time.monotonic() < deadline, "the result never reached the read model"
            time.sleep(0.3)
        yield server, sha, env.stream


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    with browser() as b:
        yield b


def _answer(page: Any) -> str:
    page.wait_for_selector("#answer.verified, #answer.refused", timeout=15_000)
    return str(page.inner_text("#answer"))


def test_the_qr_fragment_opens_a_result_verified_in_the_browser(
    site: tuple[Served, str, str], chrome: Any
) -> None:
    server, sha, code = site
    with visit(chrome, f"{server.url}/xac-thuc#{sha}") as seen:
        text = _answer(seen.page)
        assert "ĐÃ XÁC THỰC" in text and "VERIFIED" in text and code in text
        assert "giờ Hà Nội" in text
        seen.all_local()
        assert not any(sha in u for u in seen.requests), "the hash went into a URL"
        seen.accessible()
        shots = seen.screenshots("xac-thuc-verified")
        assert all(p.stat().st_size > 0 for p in shots)
    access = server.log.read_text()
    assert sha not in access  # only in a POST body: no access log line holds it


def test_a_proof_tampered_on_its_way_is_refused_in_the_browser(
    site: tuple[Served, str, str], chrome: Any
) -> None:
    server, sha, _code = site

    def flip_a_proof_byte(route: Any) -> None:
        doc = route.fetch().json()
        first = bytearray(unb64(doc["inclusion_proof"][0]))
        first[5] ^= 0x40
        doc["inclusion_proof"][0] = b64(bytes(first))
        route.fulfill(status=200, content_type="application/json", body=json.dumps(doc))

    context = chrome.new_context()
    page = context.new_page()
    page.route("**/public/results", flip_a_proof_byte)
    page.goto(f"{server.url}/xac-thuc#{sha}")
    text = _answer(page)
    assert "NOT VERIFIED" in text
    assert "the inclusion proof does not lead to the checkpoint's root" in text
    page.unroute("**/public/results")

    def root_changed_in_the_note(route: Any) -> None:
        doc = route.fetch().json()
        origin, size, root, rest = doc["checkpoint"].split("\n", 3)
        root = ("B" if root[0] == "A" else "A") + root[1:]  # another tree head, same signature
        doc["checkpoint"] = "\n".join((origin, size, root, rest))
        route.fulfill(status=200, content_type="application/json", body=json.dumps(doc))

    page.route("**/public/results", root_changed_in_the_note)
    page.reload()
    text = _answer(page)
    assert "NOT VERIFIED" in text
    assert "the checkpoint's signature by the log does not verify" in text
    context.close()


def test_by_keyboard_an_unknown_hash_is_not_in_the_ledger(
    site: tuple[Served, str, str], chrome: Any
) -> None:
    server, _sha, _code = site
    with visit(chrome, f"{server.url}/xac-thuc", width=360) as seen:
        page = seen.page
        page.keyboard.press("Tab")  # the field is the first thing a Tab reaches
        assert page.evaluate("document.activeElement.id") == "sha"
        page.keyboard.type("ab" * 32)
        page.keyboard.press("Enter")
        assert "NOT IN THE LEDGER" in _answer(page)
        page.fill("#sha", "not a hash")
        page.keyboard.press("Enter")
        assert "Not a SHA-256" in _answer(page)
        seen.accessible()
        seen.screenshots("xac-thuc-unknown")
        seen.all_local()


def test_the_browsers_code_passes_the_vectors(site: tuple[Served, str, str], chrome: Any) -> None:
    server, _sha, _code = site
    inclusion = [read_json(p) for p in rfc9162_file_paths("inclusion")]
    notes = read_json(vectors_dir() / "signed-note.json")
    with visit(chrome, f"{server.url}/xac-thuc") as seen:
        outcome = seen.page.evaluate(
            """async ([inclusion, notes]) => {
              const v = await import('/static/hoso/verify.js');
              const bytes = (s) => s === null ? null : v.fromBase64(s);
              const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
              const wrong = [];
              for (const c of inclusion) {
                let ok = false;
                try {
                  const proof = (c.proof || []).map(bytes);
                  const root = await v.rootFromInclusion(
                    bytes(c.leafHash), c.leafIdx, c.treeSize, proof);
                  ok = eq(root, bytes(c.root));
                } catch (e) { ok = false; }
                if (ok === c.wantErr) wrong.push(c.desc);
              }
              for (const n of notes) {
                let ok = false;
                try { await v.openNote(n.note, n.vkey); ok = true; } catch (e) { ok = false; }
                if (ok !== n.want_verified) wrong.push(n.desc);
              }
              return {wrong, count: inclusion.length + notes.length};
            }""",
            [inclusion, notes],
        )
    assert outcome["count"] == len(inclusion) + len(notes) > 50
    assert outcome["wrong"] == []


def test_the_page_is_served_with_a_strict_policy(site: tuple[Served, str, str]) -> None:
    server, _sha, _code = site
    page = httpx.get(f"{server.url}/xac-thuc")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="vi">' in page.text
    script = httpx.get(f"{server.url}/static/hoso/verify.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(f"{server.url}/static/hoso/../../api/settings.py").status_code == 404
    assert Path(__file__).exists()
