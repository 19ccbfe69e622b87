"""The result verification page in a real browser (issue 18, point 3): the QR's fragment opens
``/xac-thuc#<SHA-256>``; the browser checks the proof itself (WebCrypto) and says VERIFIED, or
exactly what failed when a proof was tampered with on its way; nothing leaves this machine; axe
finds nothing serious; the browser's code passes the RFC 9162 and C2SP vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from signing import b64, unb64
from tests.e2e.conftest import Site
from tests.support.browser import visit
from tests.support.vectors import read_json, rfc9162_file_paths, vectors_dir


def _answer(page: Any) -> str:
    page.wait_for_selector("#answer.verified, #answer.refused", timeout=15_000)
    return str(page.inner_text("#answer"))


def test_the_qr_fragment_opens_a_result_verified_in_the_browser(site: Site, chrome: Any) -> None:
    server, sha, code = site.server, site.result_sha256, site.result_file
    with visit(chrome, f"{server.url}/xac-thuc#{sha}") as seen:
        text = _answer(seen.page)
        assert "ĐÃ XÁC THỰC" in text and "VERIFIED" in text and code in text
        assert "giờ Hà Nội" in text
        seen.all_local()
        assert not any(sha in u for u in seen.requests), "the hash went into a URL"
        shots = seen.looked_at("xac-thuc-verified")
        assert all(p.stat().st_size > 0 for p in shots)
    access = server.log.read_text()
    assert sha not in access  # only in a POST body: no access log line holds it


def test_a_proof_tampered_on_its_way_is_refused_in_the_browser(site: Site, chrome: Any) -> None:
    server, sha = site.server, site.result_sha256

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


def test_by_keyboard_an_unknown_hash_is_not_in_the_ledger(site: Site, chrome: Any) -> None:
    server = site.server
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
        seen.looked_at("xac-thuc-unknown")
        seen.all_local()


def test_the_browsers_code_passes_the_vectors(site: Site, chrome: Any) -> None:
    server = site.server
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


def test_the_page_is_served_with_a_strict_policy(site: Site) -> None:
    server = site.server
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
