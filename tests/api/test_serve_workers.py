"""``hoso serve --workers 2``: two worker processes behind one address, the starting process
running the integrator and the projections (a real server, real HTTP, real PostgreSQL).

Each request goes on a new connection, so consecutive commands on one file land on either
worker: every worker must verify what the other stored before it builds on it.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import open_ledger
from api.http.app import create_app
from api.http.limits import LOOKUP_BURST
from api.settings import load_settings
from ledger.audit.full import audit
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from tests.support.cast import UNIT
from tests.support.http import RECEIPT, free_port
from tests.support.serve import OFFICERS, ORIGIN, enrol, hoso, wait_until_up

CLIENTS = 6
HANDOFFS = 8  # per client, alternating an -> binh -> an ...


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_each_worker_allows_its_share_of_the_lookup_burst(tmp_path: Path, processes: int) -> None:
    """N workers together allow no more than one process: each takes LOOKUP_BURST // N."""
    enrol(tmp_path / "d", None)
    app = create_app(load_settings(tmp_path / "d"), integrate_every=None, processes=processes)
    share = LOOKUP_BURST // processes
    with TestClient(app) as http:
        # A new unknown code each time: the per-code lockout (5 wrong PINs) stays out of it.
        answers = [
            http.get(f"/public/files/{UNIT}-260302-{i:04d}", params={"pin": "000001"}).status_code
            for i in range(share + 1)
        ]
    assert answers == [404] * share + [429]


def test_no_processes_is_refused(tmp_path: Path) -> None:
    enrol(tmp_path / "d", None)
    with pytest.raises(ValueError, match="processes must be >= 1"):
        create_app(load_settings(tmp_path / "d"), integrate_every=None, processes=0)


def test_more_than_one_worker_on_sqlite_is_refused_in_one_line(tmp_path: Path) -> None:
    enrol(tmp_path / "d", None)
    done = subprocess.run(
        hoso("serve", "--data", str(tmp_path / "d"), "--workers", "2", "--port", str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "more than one worker needs PostgreSQL" in lines[0]
    assert "Traceback" not in done.stderr


def test_two_workers_share_the_commands_and_the_leader_integrates(
    tmp_path: Path, pg_schema: str
) -> None:
    data = tmp_path / "d"
    tokens = enrol(data, pg_schema)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        hoso("serve", "--data", str(data), "--workers", "2", "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_until_up(server, url)

        def post(who: str, path: str, body: dict[str, Any]) -> httpx.Response:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=30)

        codes: list[str] = []
        errors: list[str] = []

        def client() -> None:
            r = post("an", "/files", RECEIPT)
            if r.status_code != 201:
                errors.append(r.text)
                return
            code = r.json()["code"]
            codes.append(code)
            for k in range(HANDOFFS):
                giver, taker = OFFICERS[k % 2], OFFICERS[1 - k % 2]
                to = {"officer": taker, "department": "mot-cua", "agency": UNIT}
                r = post(giver, f"/files/{code}/hand-off", {"to_desk": to})
                if r.status_code != 201:
                    errors.append(f"{code} hand-off {k}: {r.status_code} {r.text}")
                    return

        pool = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert errors == []
        assert len(codes) == CLIENTS

        # Every answered command is stored, chained and signed (the whole audit), ...
        ledger = open_ledger(load_settings(data, pg_schema))
        try:
            store = ledger.store
            report = audit(store, origin=ORIGIN, authority_key=ledger.authority_key)
            assert report.ok
            per_file = db_sql.rows(
                store, "SELECT originator_id, COUNT(*) AS n FROM hoso_events GROUP BY originator_id"
            )
            counts = sorted(int(r["n"]) for r in per_file)
            assert counts.count(1 + HANDOFFS) == CLIENTS  # receipt + every hand-off, per file
            total = int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])
            # ... the leader gave every event its leaf (nobody else integrates here) ...
            log = MerkleLog(store, ORIGIN)
            deadline = time.monotonic() + 30
            while log.size() < total and time.monotonic() < deadline:
                time.sleep(0.2)
            assert log.size() == total
        finally:
            ledger.close()
        # ... and its projections followed: each file ends held by an (an even number of hand-offs).
        headers = {"Authorization": f"Bearer {tokens['an']}"}
        deadline = time.monotonic() + 30
        held: set[str] = set()
        while time.monotonic() < deadline:
            r = httpx.get(f"{url}/queues/{UNIT}", params={"officer": "an"}, headers=headers)
            assert r.status_code == 200, r.text
            held = {e["code"] for e in r.json()["entries"]}
            if held >= set(codes):
                break
            time.sleep(0.2)
        assert held >= set(codes)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
    err = server.stderr.read().decode() if server.stderr else ""
    assert server.returncode == 0, err[-3000:]  # SIGTERM: workers and leader stopped cleanly
    started = set(re.findall(r"Started server process \[(\d+)\]", err))
    assert len(started) == 2, err[-3000:]  # two worker processes served
    assert "Traceback" not in err, err[-3000:]


def test_what_start_up_built_is_kept_out_of_the_collectors_full_passes(tmp_path: Path) -> None:
    """Regression (lookup p99 of 39-43 ms): full collections walked the caught-up read models
    and caches for nothing, tens of ms with every request waiting. Start-up now freezes them."""
    enrol(tmp_path / "d", None)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(create_app(load_settings(tmp_path / "d"), integrate_every=None)):
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0  # shutdown hands it back to the collector
    finally:
        gc.unfreeze()
