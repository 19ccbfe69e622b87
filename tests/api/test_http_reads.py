"""Reads over HTTP on both backends: files, the slip, bundles, queues, figures, the inspector's
index, the feed, and the citizen's lookup; roles, personal data, and strict input."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from api.http.limits import AddressLimit
from api.http.routes.feed import decode_cursor, encode_cursor
from api.http.state import state_of
from ledger.store import sql as db_sql
from tests.support.cast import UNIT
from tests.support.http import (
    World,
    no_personal_data,
    receive,
)
from tests.support.problems import assert_problem


def test_a_files_forms_as_data(world: World) -> None:
    """Issue 17: the forms of Circular 03/2025 read from the verified events."""
    code = world.receipts[0].code
    r = world.get("officer", f"/files/{code}/forms")
    assert r.status_code == 200, r.text
    doc = r.json()
    receipt = doc["receipt"]
    assert (receipt["code"], receipt["unit"], receipt["officer"]) == (code, UNIT, "an")
    assert receipt["appointment_at"].endswith("Z") and receipt["documents"]
    rows = doc["slip"]["rows"]
    assert [row["step"] for row in rows] == ["FileReceived", "FileHandedOff"]
    assert rows[1]["receiver"] == f"an · tu-phap · {UNIT}"
    assert (doc["refusal"], doc["stop"], doc["apologies"]) == (None, None, [])
    assert doc["slip"]["verdict"] is None  # not ended yet
    assert_problem(world.get("stranger", f"/files/{code}/forms"), 403, "forbidden")
    assert_problem(world.get("", f"/files/{code}/forms"), 401, "unauthorized")


def test_file_views_for_the_right_roles(world: World) -> None:
    code = world.receipts[0].code
    for who in ("inspector", "officer", "integration", "admin"):
        r = world.get(who, f"/files/{code}")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["code"] == code and doc["state"] == "in_progress"
        assert doc["holder"] == {"officer": "an", "department": "tu-phap", "agency": UNIT}
        assert doc["portal_status"] == 4 and doc["version"] == 2
        assert doc["portal_channel"] == 1  # in person
        no_personal_data(r.text)
    assert_problem(world.get("stranger", f"/files/{code}"), 403, "forbidden")
    assert_problem(world.get("", f"/files/{code}"), 401, "unauthorized")
    assert_problem(world.get("inspector", f"/files/{UNIT}-260302-0099"), 404, "not-found")
    assert_problem(world.get("inspector", "/files/bad-code"), 422, "invalid-request")
    # real agency codes with dots are codes, not bad input (issue 17)
    assert_problem(world.get("inspector", "/files/H15.50.05.13-261008-0975"), 404, "not-found")
    assert world.get("inspector", "/queues/H15.50.05.13").status_code == 200
    assert_problem(world.get("inspector", "/queues/H15..50"), 422, "invalid-request")
    status = world.get("officer", f"/files/{code}/portal-status").json()
    assert status == {
        "code": code,
        "portal_status": 4,
        "label": "In progress",
        "label_vi": "Đang xử lý",
    }


def test_history_is_the_process_control_slip(world: World) -> None:
    code = world.receipts[0].code
    r = world.get("officer", f"/files/{code}/history")
    assert r.status_code == 200, r.text
    no_personal_data(r.text)
    rows = r.json()["rows"]
    assert [row["type"] for row in rows] == ["FileReceived", "FileHandedOff"]
    assert rows[1]["from_desk"] == {"officer": "an", "department": "mot-cua", "agency": UNIT}
    assert rows[1]["to_desk"]["department"] == "tu-phap"
    assert rows[1]["note"] == "chứng thực" and rows[1]["vs_due"] in ("early", "on_time")
    assert all(row["leaf_index"] is not None and len(row["hash"]) == 64 for row in rows)
    assert rows[0]["recorded_at"].endswith("Z")


def test_bundle_matches_the_log_route(world: World) -> None:
    code = world.receipts[1].code
    r = world.get("inspector", f"/files/{code}/bundle")
    assert r.status_code == 200, r.text
    assert r.json() == world.get("inspector", f"/log/bundles/{code}").json()
    receive(world.ledger, world.officer, 9)
    assert_problem(
        world.get("inspector", f"/files/{UNIT}-260302-0005/bundle"), 409, "not-yet-checkpointed"
    )


def test_queues_figures_index_and_workload(world: World) -> None:
    q = world.get("officer", f"/queues/{UNIT}")
    assert q.status_code == 200, q.text
    assert len(q.json()["entries"]) == 4
    one = world.get("officer", f"/queues/{UNIT}", department="tu-phap").json()
    assert [e["code"] for e in one["entries"]] == [world.receipts[0].code]
    assert_problem(world.get("stranger", f"/queues/{UNIT}"), 403, "forbidden")
    t = world.get("officer", "/transparency", period="2026-03")
    assert t.status_code == 200, t.text
    fig = t.json()["figures"]
    assert fig["received"]["total"] == 4 and fig["progress"].endswith("%")
    assert "." not in str(fig["received"]["total"])  # counts are ints, shares strings
    assert [u["unit"] for u in t.json()["ranking"]] == [UNIT]
    score = t.json()["score"]
    by_code = {i["code"]: i for i in score["indicators"]}
    assert by_code["2.1"]["captured"] and by_code["2.1"]["max_points"] == 20
    assert by_code["1.4"] == {**by_code["1.4"], "captured": False, "value": None, "points": None}
    assert sum(i["max_points"] or 0 for i in score["indicators"]) == 100
    assert score["attainable"] == 40 and t.json()["ranking"][0]["total"] == score["total"]
    default = world.get("officer", "/transparency")  # no period: the current month
    assert default.status_code == 200 and default.json()["figures"]["period"][:4].isdigit()
    assert_problem(world.get("officer", "/transparency", period="2026-13"), 422, "invalid-request")
    acts = world.get("inspector", "/inspect/actions", actor="an", limit=50)
    assert acts.status_code == 200, acts.text
    assert {a["type"] for a in acts.json()} == {"FileReceived", "FileHandedOff"}
    mine = world.get("admin", "/inspect/actions").json()
    assert mine and {a["unit"] for a in mine} == {UNIT}
    assert_problem(world.get("otheradmin", "/inspect/actions", unit=UNIT), 403, "forbidden")
    assert_problem(world.get("officer", "/inspect/actions"), 403, "forbidden")
    aware = world.get("inspector", "/inspect/actions", **{"from": "2026-03-02T00:00:00Z"})
    assert aware.status_code == 200
    naive = world.get("inspector", "/inspect/actions", **{"from": "2026-03-02T00:00:00"})
    assert_problem(naive, 422, "invalid-request")
    w = world.get("inspector", "/inspect/workload")
    assert w.status_code == 200 and w.json()[0]["officer"] == "an"
    assert_problem(world.get("admin", "/inspect/workload"), 403, "forbidden")


def test_feed_pages_cover_every_leaf_once_in_order(world: World) -> None:
    size = int(db_sql.rows(world.ledger.store, "SELECT COUNT(*) AS n FROM hoso_log_leaves")[0]["n"])
    seen: list[int] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after is not None:
            params["after"] = after
        r = world.get("inspector", "/feed", **params)
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(item["leaf_index"] for item in page["items"])
        after = page["next"]
        pages += 1
        if not page["more"]:
            break
    assert seen == list(range(size)) and pages >= size // 3
    assert world.get("inspector", "/feed", after=after).json()["items"] == []
    first = world.get("inspector", "/feed", limit=1000).json()["items"]
    keys = [i for i in first if i["code"] == "KEYS"]
    assert keys and all(i["portal_status_after"] is None for i in keys)
    handoff = next(i for i in first if i["type"] == "FileHandedOff")
    assert handoff["portal_status_after"] == 4
    leaf = base64.b64decode(handoff["entry"])
    tile = world.get("inspector", "/log/tile/entries/000.p/" + str(size))
    assert tile.content.find(leaf) > 0
    mine = world.get("integration", "/feed", limit=1000).json()
    assert mine["items"] and all(i["unit"] == UNIT and i["code"] != "KEYS" for i in mine["items"])
    assert mine["next"] == encode_cursor(size - 1)
    assert decode_cursor(encode_cursor(12345)) == 12345
    for bad in ("bGVhZjowMQ", "xyz", "bGVhZjotMQ", "!!", "bGVhZjox" + "=")[:4]:
        assert_problem(world.get("inspector", "/feed", after=bad), 422, "invalid-request")
    assert_problem(world.get("inspector", "/feed", limit=0), 422, "invalid-request")
    assert_problem(world.get("inspector", "/feed", limit=1001), 422, "invalid-request")


def test_citizen_lookup_needs_code_and_pin(world: World) -> None:
    receipt = world.receipts[0]
    r = world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["state"] == "in_progress" and doc["portal_status"] == 4
    assert [s["text_en"] for s in doc["steps"]] == ["File received", "Passed on for processing"]
    no_personal_data(r.text)
    assert '"an"' not in r.text and "officer" not in r.text  # no officer names either
    wrong_pin = "000000" if receipt.pin != "000000" else "111111"
    wrong = world.client.get(f"/public/files/{receipt.code}", params={"pin": wrong_pin})
    unknown = world.client.get(f"/public/files/{UNIT}-260302-0999", params={"pin": receipt.pin})
    a = assert_problem(wrong, 404, "not-found")
    b = assert_problem(unknown, 404, "not-found")
    a.pop("instance"), b.pop("instance")
    assert a == b
    assert wrong.content.replace(receipt.code.encode(), b"X") == unknown.content.replace(
        f"{UNIT}-260302-0999".encode(), b"X"
    )
    assert {k: v for k, v in wrong.headers.items() if k != "content-length"} == {
        k: v for k, v in unknown.headers.items() if k != "content-length"
    }
    for params in ({"pin": "12345"}, {"pin": "abcdef"}, {}, {"pin": "١٢٣٤٥٦"}):
        assert_problem(
            world.client.get(f"/public/files/{receipt.code}", params=params), 422, "invalid-request"
        )


def test_citizen_lookup_is_rate_limited(world: World) -> None:
    state_of(world.client.app).lookup_limit = AddressLimit(6, 3)  # 3 in 30 s
    path = f"/public/files/{world.receipts[0].code}"
    for _ in range(3):
        assert world.client.get(path, params={"pin": "000001"}).status_code == 404
    r = world.client.get(path, params={"pin": world.receipts[0].pin})
    body = assert_problem(r, 429, "too-many-requests")
    assert 1 <= int(r.headers["retry-after"]) <= 30 and "Traceback" not in str(body)
    assert r.headers["cache-control"] == "no-store"


def test_unknown_parameters_and_large_bodies_are_refused(world: World) -> None:
    code = world.receipts[0].code
    r = world.get("inspector", f"/files/{code}", verbose="1")
    body = assert_problem(r, 422, "invalid-request")
    assert body["errors"] == [{"where": "query.verbose", "message": "unknown query parameter"}]
    assert_problem(world.get("inspector", "/feed", limit=5, offset=3), 422, "invalid-request")
    r = world.client.get(
        f"/public/files/{code}", params={"pin": world.receipts[0].pin, "debug": "true"}
    )
    assert_problem(r, 422, "invalid-request")
    big = b"x" * ((1 << 20) + 1)
    assert_problem(world.client.post("/files", content=big), 413, "payload-too-large")
    state_of(world.client.app).max_body_bytes = 10

    def chunks() -> Iterator[bytes]:
        yield b"0123456789"
        yield b"abc"

    assert_problem(world.client.post("/log/checkpoint", content=chunks()), 413, "payload-too-large")


def test_the_working_calendar_in_force(world: World) -> None:
    years = world.get("officer", "/calendar")
    assert years.status_code == 200, years.text
    body = years.json()
    assert [y["year"] for y in body] == [2025, 2026, 2027]  # hoso init published them
    y2027 = world.get("inspector", "/calendar/2027").json()
    assert y2027 == body[2]
    assert {"2027-02-08", "2027-02-09"} <= set(y2027["holidays"])  # Tết 2027
    (first,) = y2027["publications"]
    assert first["actor"] == "authority" and "holidays package" in first["source"]
    assert_problem(world.get("officer", "/calendar/2031"), 404, "not-found")
    assert_problem(world.get("", "/calendar"), 401, "unauthorized")


def test_openapi_and_docs(world: World) -> None:
    doc = world.client.get("/openapi.json").json()
    for path in ("/files/{code}", "/feed", "/public/files/{code}", "/transparency"):
        op = doc["paths"][path]["get"]
        assert op["summary"] and op["description"]
        assert "application/problem+json" in op["responses"]["422"]["content"]
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert {t["name"] for t in doc["tags"]} >= {"log", "reads", "public"}
    assert world.client.get("/docs").status_code == 200
