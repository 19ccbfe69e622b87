"""Issue 16, point 2: the log is verifiable in public and private in content.

Checkpoints, hash tiles and proofs answer anyone (a client written from the specs verifies
them in ``test_http_log``); entry bundles, file bundles and the feed need a token, and the
citizen opens their own file's bundle with the code and PIN of the receipt.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.support.cli import hoso
from tests.support.http import World, no_personal_data
from tests.support.problems import assert_problem


def test_what_the_log_says_needs_a_token(world: World) -> None:
    code = world.receipts[0].code
    anon = world.client
    assert anon.get("/log/checkpoint").status_code == 200
    assert anon.get("/log/tile/0/000.p/3").status_code == 200
    assert anon.get("/log/proofs/inclusion", params={"index": 0}).status_code == 200
    for path in ("/log/tile/entries/000.p/3", f"/log/bundles/{code}", "/feed"):
        assert_problem(anon.get(path), 401, "unauthorized")
    # Officers read their unit's files (and bundles), not the whole log's entries or the feed.
    assert world.get("officer", f"/log/bundles/{code}").status_code == 200
    assert_problem(world.get("officer", "/log/tile/entries/000.p/3"), 403, "forbidden")
    assert_problem(world.get("officer", "/feed"), 403, "forbidden")
    assert_problem(world.get("stranger", f"/log/bundles/{code}"), 403, "forbidden")
    for reader in ("inspector", "integration"):
        assert world.get(reader, "/log/tile/entries/000.p/3").status_code == 200
        assert world.get(reader, "/feed").status_code == 200
        assert world.get(reader, f"/log/bundles/{code}").status_code == 200


def test_unknown_query_parameters_are_refused_under_log(world: World) -> None:
    for path, params in (
        ("/log/checkpoint", {"x": "1"}),
        ("/log/tile/0/000.p/1", {"width": "1"}),
        ("/log/proofs/inclusion", {"index": "0", "sise": "3"}),
        ("/log/proofs/consistency", {"from": "1", "too": "3"}),
    ):
        body = assert_problem(world.client.get(path, params=params), 422, "invalid-request")
        assert "query" in str(body), path


def test_the_citizen_gets_their_own_bundle_with_code_and_pin(world: World, tmp_path: Path) -> None:
    receipt = world.receipts[0]
    url = f"/public/files/{receipt.code}/bundle"
    r = world.client.post(url, json={"pin": receipt.pin})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    no_personal_data(r.text)
    assert r.json() == world.get("inspector", f"/log/bundles/{receipt.code}").json()
    path = tmp_path / "mine.json"
    path.write_bytes(r.content)
    assert world.settings.log_vkey
    checked = hoso("verify", str(path), "--log-key", world.settings.log_vkey)
    assert checked.returncode == 0, checked.stderr
    assert "VERIFIED" in checked.stdout

    wrong_pin = "000000" if receipt.pin != "000000" else "111111"
    wrong = assert_problem(world.client.post(url, json={"pin": wrong_pin}), 404, "not-found")
    other = world.receipts[1].code.replace("-0002", "-0099")
    unknown = assert_problem(
        world.client.post(f"/public/files/{other}/bundle", json={"pin": receipt.pin}),
        404,
        "not-found",
    )
    assert {k: v for k, v in wrong.items() if k != "instance"} == {
        k: v for k, v in unknown.items() if k != "instance"
    }
    # Another file's PIN does not open this one; the PIN never goes in a URL.
    other_pin = world.receipts[1].pin
    if other_pin != receipt.pin:
        assert_problem(world.client.post(url, json={"pin": other_pin}), 404, "not-found")
    assert_problem(world.client.post(url, params={"pin": receipt.pin}), 422, "invalid-request")
    assert_problem(world.client.post(url, content=orjson.dumps({"pin": 1})), 422, "invalid-request")
