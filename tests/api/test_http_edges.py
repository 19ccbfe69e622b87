"""Issue 16, the smaller points, through the real HTTP service: impossible dates and far
appointments refused (422), HEAD wherever GET is, a stalled request body answered 408 and
closed, the PostgreSQL connections of ``hoso serve --workers 3`` bounded, and its workers
gone with their leader; and the lookup's lockout against a burst, the PIN pepper checked, a
client-signed PinReissued refused."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest

from api.bootstrap import PIN_PEPPER, open_ledger
from api.http.limits import AddressLimit
from api.http.state import state_of
from api.settings import load_settings
from ledger.errors import ConfigurationError
from tests.support.cast import T0
from tests.support.http import World, free_port, submit_unsealed
from tests.support.postgres import PG_URL
from tests.support.problems import assert_problem
from tests.support.serve import enrol, hoso, served, wait_until_up


def _prepare(world: World, action: str, body: dict[str, object]) -> httpx.Response:
    code = world.receipts[3].code
    r: httpx.Response = world.client.post(
        f"/files/{code}/prepare/{action}",
        json={"key_id": world.officer.key_id, **body},
        headers={"Authorization": f"Bearer {world.tokens['officer']}"},
    )
    return r


def test_impossible_dates_and_far_appointments_are_refused(world: World) -> None:
    apology = {"reason": "chờ xác minh", "at": (T0 + timedelta(hours=3)).isoformat()}
    for when in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999+07:00"):
        r = _prepare(world, "issue-apology", {**apology, "new_appointment_at": when})
        assert "outside the years" in assert_problem(r, 422, "invalid-value")["detail"]
    far = (T0 + timedelta(days=400)).isoformat()
    r = _prepare(world, "issue-apology", {**apology, "new_appointment_at": far})
    assert "more than 366 days" in assert_problem(r, 422, "invalid-value")["detail"]
    near = (T0 + timedelta(days=30)).isoformat()
    assert _prepare(world, "issue-apology", {**apology, "new_appointment_at": near}).is_success
    desk = {"officer": "", "department": "tu-phap", "agency": world.receipts[3].code[:5]}
    r = _prepare(world, "hand-off", {"at": "9999-12-31T23:59:59Z", "to_desk": desk})
    assert_problem(r, 422, "invalid-value")
    r = _prepare(world, "hand-off", {"at": "1970-01-01T00:00:00Z", "to_desk": desk})
    assert_problem(r, 403, "key-not-valid")  # no key of 1970: refused before the date


def test_head_answers_wherever_get_does(world: World) -> None:
    code, pin = world.receipts[0].code, world.receipts[0].pin
    auth = {"Authorization": f"Bearer {world.tokens['officer']}"}
    for path, params, headers in (
        ("/log/checkpoint", {}, {}),
        ("/log/tile/0/000.p/3", {}, {}),
        (f"/files/{code}", {}, auth),
        (f"/public/files/{code}", {"pin": pin}, {}),
        (f"/public/files/{code}", {"pin": "999999" if pin != "999999" else "111111"}, {}),
    ):
        got = world.client.get(path, params=params, headers=headers)
        head = world.client.head(path, params=params, headers=headers)
        assert head.status_code == got.status_code != 405, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert world.client.head("/log/nothing").status_code == 404


def test_a_stalled_body_is_answered_408_and_closed(tmp_path: Path) -> None:
    data = tmp_path / "d"
    enrol(data, None)
    config = orjson.loads((data / "hoso.json").read_bytes())
    (data / "hoso.json").write_bytes(orjson.dumps({**config, "body_timeout_seconds": 1}))
    with served(tmp_path, None, reuse=True) as s:
        host, port = s.url.removeprefix("http://").split(":")
        started = time.monotonic()
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(
                b"POST /files HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"procedure":'
            )  # ... and nothing more
            answer = b""
            while chunk := conn.recv(4096):  # until the server closes the connection
                answer += chunk
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request-timeout" in answer
    assert 0.9 <= took < 8, took


def test_a_burst_of_guesses_gets_no_more_than_five_pin_checks(world: World) -> None:
    state_of(world.client.app).lookup_limit = AddressLimit(1e9, 10**9)  # the lockout alone
    receipt = world.receipts[2]
    wrong = "000000" if receipt.pin != "000000" else "111111"
    path = f"/public/files/{receipt.code}"
    with ThreadPoolExecutor(12) as pool:
        answers = list(
            pool.map(lambda _: world.client.get(path, params={"pin": wrong}).status_code, range(40))
        )
    assert answers.count(404) == 5 and answers.count(429) == 35, answers
    r = world.client.get(path, params={"pin": receipt.pin})  # locked: even the right PIN
    assert_problem(r, 429, "pin-locked")


def test_a_client_signed_pin_reissue_is_refused(world: World) -> None:
    at = T0 + timedelta(hours=3)
    r = submit_unsealed(
        world, world.receipts[3].code, lambda f: f.reissue_pin(actor="an", at=at), at
    )
    assert "reissue-pin" in assert_problem(r, 422, "refused")["detail"]


def test_the_pin_pepper_is_the_one_the_pins_were_made_with(tmp_path: Path) -> None:
    data = tmp_path / "d"
    enrol(data, None)  # opens the ledger: the pepper is made, its id kept in the database
    settings = load_settings(data)
    pepper = settings.keys_dir / PIN_PEPPER
    assert pepper.stat().st_mode & 0o777 == 0o600
    assert (data / "hoso.json").stat().st_mode & 0o777 == 0o600  # it may hold a DB password
    assert data.stat().st_mode & 0o777 == 0o700
    kept = pepper.read_bytes()
    pepper.unlink()
    with pytest.raises(ConfigurationError, match="missing"):
        open_ledger(settings)
    pepper.write_bytes(secrets.token_bytes(32))
    with pytest.raises(ConfigurationError, match="not the one"):
        open_ledger(settings)
    pepper.write_bytes(kept)
    open_ledger(settings).close()


def _connections(app: str) -> int:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_workers_hold_bounded_connections_and_die_with_their_leader(
    tmp_path: Path, pg_schema: str
) -> None:
    data = tmp_path / "d"
    tokens = enrol(data, pg_schema)
    app = "hoso-test-" + secrets.token_hex(4)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    leader = subprocess.Popen(
        hoso("serve", "--data", str(data), "--workers", "3", "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PGAPPNAME": app},
    )
    try:
        wait_until_up(leader, url)
        auth = {"Authorization": f"Bearer {tokens['an']}"}
        from tests.support.http import RECEIPT

        def work(_: int) -> int:
            r = httpx.post(f"{url}/files", json=RECEIPT, headers=auth, timeout=30)
            return r.status_code

        with ThreadPoolExecutor(12) as pool:
            assert set(pool.map(work, range(36))) == {201}
        held = _connections(app)
        assert 0 < held <= 51, held  # the documented bound (api/settings.py, README)
        workers = _children(leader.pid)
        assert len(workers) >= 3, workers
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(os.path.exists(f"/proc/{w}") for w in workers):
            assert time.monotonic() < deadline, "workers outlived their leader"
            time.sleep(0.2)
        with socket.socket() as s:  # the port is free for a restart
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        deadline = time.monotonic() + 15
        while _connections(app):
            assert time.monotonic() < deadline, "connections outlived the processes"
            time.sleep(0.2)
    finally:
        if leader.poll() is None:
            leader.kill()
