"""Inspectors fetch a file's evidence bundle over HTTP and check it offline with ``hoso verify``."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from api.bootstrap import log_signer, open_log
from api.http.app import create_app
from ledger.log.bundle_verify import verify_bundle
from ledger.store import sql as db_sql
from tests.support.cast import T0, UNIT
from tests.support.cli import hoso
from tests.support.http import Demo, inspector_auth, receive_many, small_ledger
from tests.support.problems import assert_problem

CODE = "PBADINH-260212-0003"


def _auth(demo: Demo) -> dict[str, str]:
    creds = orjson.loads((demo.data / "demo-credentials.json").read_bytes())
    return {"Authorization": f"Bearer {creds['tokens']['inspector']['token']}"}


def test_bundle_over_http_verifies_offline(http: TestClient, demo: Demo, tmp_path: Path) -> None:
    r = http.get(f"/log/bundles/{CODE}", headers=_auth(demo))
    assert r.status_code == 200, r.text
    doc = r.json()
    report = verify_bundle(doc, demo.vkey)
    assert report.file == CODE and report.timeline[0].type == "FileReceived"
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(doc))
    checked = hoso("verify", str(path), "--log-key", demo.vkey)
    assert checked.returncode == 0, checked.stderr
    assert "VERIFIED" in checked.stdout
    year = report.timeline[0].occurred_at.year  # which calendar its deadlines came from
    assert f"Working calendar of {year} in force: published at leaf" in checked.stdout
    assert [c.year for c in report.calendars][:1] == [year]
    doc["entries"][0]["leaf_index"] += 1
    path.write_bytes(orjson.dumps(doc))
    refused = hoso("verify", str(path), "--log-key", demo.vkey)
    assert refused.returncode == 1
    assert "NOT VERIFIED" in refused.stderr


def test_bundle_problems(http: TestClient, demo: Demo) -> None:
    auth = _auth(demo)
    assert_problem(http.get("/log/bundles/PBADINH-260212-9999", headers=auth), 404, "not-found")
    assert_problem(http.get("/log/bundles/not-a-code", headers=auth), 422, "invalid-request")
    assert_problem(http.get(f"/log/bundles/{CODE}"), 401, "unauthorized")  # issue 16


def test_bundle_waits_for_a_checkpoint(tmp_path: Path, db_url: str | None) -> None:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        receive_many(ledger, officer, 3)
        log = open_log(ledger)
        log.integrate()
        log.make_checkpoint(log_signer(settings), T0 + timedelta(hours=2))
        receive_many(ledger, officer, 1)  # a fourth file, not yet in any checkpoint
        log.integrate()
        code = f"{UNIT}-260302-0004"
        auth = inspector_auth(ledger)
        with TestClient(create_app(settings, integrate_every=None)) as client:
            waiting = client.get(f"/log/bundles/{code}", headers=auth)
            body = assert_problem(waiting, 409, "not-yet-checkpointed")
            assert code in body["detail"]
            assert client.get(f"/log/bundles/{UNIT}-260302-0001", headers=auth).status_code == 200
    finally:
        ledger.store.close()


def test_a_deleted_event_is_named_not_waited_for(tmp_path: Path, db_url: str | None) -> None:
    """Issue 15, point 4: the log covers an event the store lost: 500 saying so, not a 409
    "not yet checkpointed" nor a 404 (and never a bundle without it)."""
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        receive_many(ledger, officer, 2)
        log = open_log(ledger)
        log.integrate()
        log.make_checkpoint(log_signer(settings), T0 + timedelta(hours=2))
        code = f"{UNIT}-260302-0002"
        db_sql.run(ledger.store, "DELETE FROM hoso_events WHERE originator_id = ?", (code,))
        auth = inspector_auth(ledger)
        with TestClient(create_app(settings, integrate_every=None)) as client:
            lost = client.get(f"/log/bundles/{code}", headers=auth)
            body = assert_problem(lost, 500, "ledger-integrity")
            assert "deleted from the store" in body["detail"]
            assert client.get(f"/log/bundles/{UNIT}-260302-0001", headers=auth).status_code == 200
    finally:
        ledger.store.close()


def test_the_service_keeps_projections_following(tmp_path: Path, db_url: str | None) -> None:
    settings, ledger, officer = small_ledger(tmp_path / "p", db_url)
    try:
        receive_many(ledger, officer, 2)
        app = create_app(settings, integrate_every=None, follow_projections=True)
        with TestClient(app):
            receive_many(ledger, officer, 1)  # written while the service runs
            code = f"{UNIT}-260302-0003"
            for _ in range(100):
                rows = db_sql.rows(
                    ledger.store, "SELECT state FROM hoso_p_files WHERE code = ?", (code,)
                )
                if rows:
                    break
                time.sleep(0.1)
            assert rows == [{"state": "received"}]
    finally:
        ledger.store.close()
