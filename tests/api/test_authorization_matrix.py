"""The authorization matrix: every role against every endpoint of the OpenAPI schema.

Each operation is called by each caller with the example body the schema documents. "Allowed"
means the answer is not 401/403 (it may still be 404/409/422 for the file's state); "refused"
means exactly 401 (no token) or 403 (the wrong role or unit). The table below must name every
operation the application serves: a new endpoint without a row fails this test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import open_ledger
from api.http.app import create_app
from api.settings import load_settings
from api.tokens import ApiRole, create_token
from tests.support.cli import hoso
from tests.support.http import documented_body

ANON, OFFICER, LEADER, ADMIN, INTEGRATION, INSPECTOR, STRANGER = (
    "anonymous",
    "officer",
    "leader",
    "unit_admin",
    "integration",
    "inspector",
    "other-unit officer",
)
CALLERS = (ANON, OFFICER, LEADER, ADMIN, INTEGRATION, INSPECTOR, STRANGER)
PUBLIC = frozenset(CALLERS)
WORKERS = frozenset({OFFICER, LEADER})
CLIENT_SIGNERS = frozenset({OFFICER, LEADER, INTEGRATION})
UNIT_READERS = frozenset({OFFICER, LEADER, ADMIN, INTEGRATION, INSPECTOR})
EVERY_TOKEN = frozenset(CALLERS) - {ANON}
ENTRY_READERS = frozenset({INTEGRATION, INSPECTOR})

ACTIONS = (
    "hand-off",
    "acknowledge-handoff",
    "request-supplement",
    "receive-supplement",
    "request-fee",
    "pay-fee",
    "submit-for-signature",
    "sign-result",
    "return-result",
    "refuse",
    "withdraw",
    "stop-processing",
    "issue-apology",
    "rate-satisfaction",
)
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/log/checkpoint"): PUBLIC,
    ("GET", "/log/tile/{path}"): PUBLIC,
    ("GET", "/log/proofs/inclusion"): PUBLIC,
    ("GET", "/log/proofs/consistency"): PUBLIC,
    # Issue 16: what the log says needs a token (entries: see the test below); the citizen
    # opens their own file's bundle with code and PIN.
    ("GET", "/log/bundles/{code}"): UNIT_READERS,
    ("GET", "/public/files/{code}"): PUBLIC,
    ("POST", "/public/files/{code}/bundle"): PUBLIC,
    ("POST", "/public/files/{code}/lookup"): PUBLIC,
    ("POST", "/public/results"): PUBLIC,  # the result's SHA-256 is the credential
    ("POST", "/files/{code}/reissue-pin"): WORKERS,
    # A receipt opens a file in the caller's own unit: any officer or leader may, in theirs.
    ("POST", "/files"): WORKERS | {STRANGER},
    ("POST", "/files/prepare-receipt"): WORKERS | {STRANGER},
    ("POST", "/files/{code}/events"): CLIENT_SIGNERS,
    ("POST", "/batch"): frozenset({INTEGRATION}),
    ("GET", "/files/{code}"): UNIT_READERS,
    ("GET", "/files/{code}/forms"): UNIT_READERS,
    ("GET", "/files/{code}/history"): UNIT_READERS,
    ("GET", "/files/{code}/bundle"): UNIT_READERS,
    ("GET", "/files/{code}/portal-status"): UNIT_READERS,
    ("GET", "/queues/{unit}"): UNIT_READERS,
    ("GET", "/transparency"): EVERY_TOKEN,  # public figures, no personal data
    ("GET", "/calendar"): EVERY_TOKEN,  # the working calendar: no personal data
    ("GET", "/calendar/{year}"): EVERY_TOKEN,
    ("GET", "/inspect/actions"): frozenset({INSPECTOR, ADMIN}),
    ("GET", "/inspect/workload"): frozenset({INSPECTOR}),
    ("GET", "/feed"): ENTRY_READERS,  # integration clients see only their units' events
    **{("POST", f"/files/{{code}}/{a}"): WORKERS for a in ACTIONS},
    **{("POST", f"/files/{{code}}/prepare/{a}"): CLIENT_SIGNERS for a in ACTIONS},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str], str]:
    data = tmp_path_factory.mktemp("authz") / "d"
    made = hoso("demo", "--days", "1", "--seed", "5", "--data", str(data), "--start", "2026-03-02")
    assert made.returncode == 0, made.stderr
    creds = json.loads((data / "demo-credentials.json").read_text())
    names = {
        "officer": OFFICER,
        "leader": LEADER,
        "unit_admin": ADMIN,
        "integration": INTEGRATION,
        "inspector": INSPECTOR,
    }
    tokens = {names[role]: entry["token"] for role, entry in creds["tokens"].items()}
    settings = load_settings(data)
    ledger = open_ledger(settings)
    try:
        from datetime import UTC, datetime

        tokens[STRANGER] = create_token(
            ledger.store, actor="khac", role=ApiRole.OFFICER, unit="PKHAC", now=datetime.now(UTC)
        ).token
    finally:
        ledger.store.close()
    code = creds["samples"][0]["code"]
    return settings, tokens, code


def test_every_role_against_every_endpoint(world: tuple[Any, dict[str, str], str]) -> None:
    settings, tokens, code = world
    app = create_app(settings, integrate_every=None)
    served: set[tuple[str, str]] = set()
    failures: list[str] = []
    with TestClient(app) as client:
        client.post("/log/checkpoint")  # nothing: just warm up the app
        spec = client.get("/openapi.json").json()
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                key = (method.upper(), path)
                served.add(key)
                if key not in EXPECTED:
                    failures.append(f"{key} has no row in the authorization matrix")
                    continue
                url = path.replace("{code}", code).replace("{unit}", "PBADINH")
                url = url.replace("{path}", "0/000.p/1").replace("{year}", "2026")
                params = _params(path, code)
                body = documented_body(op, spec)
                for caller in CALLERS:
                    headers = (
                        {} if caller == ANON else {"Authorization": f"Bearer {tokens[caller]}"}
                    )
                    r = client.request(
                        method.upper(), url, params=params, json=body, headers=headers
                    )
                    kind = (
                        r.json().get("type", "")
                        if r.headers.get("content-type") == "application/problem+json"
                        else ""
                    )
                    # Refused by authorization: 401, or 403 "forbidden". Other 403s (a key that is
                    # not registered, a bad signature) come after the caller was let in.
                    refused = r.status_code == 401 or kind.endswith("/forbidden")
                    allowed = caller in EXPECTED[key]
                    if allowed == refused or r.status_code >= 500:
                        failures.append(
                            f"{method.upper()} {path} as {caller}: {r.status_code} "
                            f"(expected {'allowed' if allowed else 'refused'})"
                        )
                    if refused:
                        assert r.headers["content-type"] == "application/problem+json"
                        want = 401 if caller == ANON else 403
                        if r.status_code != want:
                            failures.append(
                                f"{method.upper()} {path} as {caller}: "
                                f"{r.status_code}, expected {want}"
                            )
    assert not failures, "\n".join(failures)
    assert set(EXPECTED) - served == set(), "rows for endpoints that no longer exist"


def test_entry_bundles_need_an_entry_readers_token(
    world: tuple[Any, dict[str, str], str],
) -> None:
    """Issue 16: the hash tile of a path is public, its entry bundle is not."""
    settings, tokens, _code = world
    with TestClient(create_app(settings, integrate_every=None)) as client:
        assert client.get("/log/tile/0/000.p/1").status_code == 200
        for caller in CALLERS:
            headers = {} if caller == ANON else {"Authorization": f"Bearer {tokens[caller]}"}
            r = client.get("/log/tile/entries/000.p/1", headers=headers)
            if caller in ENTRY_READERS:
                assert r.status_code == 200, (caller, r.text)
                assert r.headers["cache-control"].startswith("private")
            else:
                assert r.status_code == (401 if caller == ANON else 403), caller
                assert r.headers["content-type"] == "application/problem+json"


def _params(path: str, code: str) -> dict[str, str]:
    if path == "/log/proofs/inclusion":
        return {"index": "0"}
    if path == "/log/proofs/consistency":
        return {"from": "1"}
    if path == "/public/files/{code}":
        return {"pin": "000000"}
    if path == "/transparency":
        return {"period": "2026-03"}
    return {}


def test_matrix_names_real_action_routes() -> None:
    assert all(re.fullmatch(r"[a-z-]+", a) for a in ACTIONS)
    assert Path(__file__).exists()
