"""Issue 16, point 5: the citizen lookup under a PIN brute force, against a real ``hoso serve``.

A per-code lockout that holds against any number of client addresses (here: addresses a
configured proxy forwards), an officer's reissue that lifts it as a signed event, forwarded
headers believed only from configured proxies, no PIN in the access log, ``no-store`` on
every answer, and the per-address limit shared by every worker through Redis.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import load_settings
from tests.support.cast import UNIT
from tests.support.problems import assert_problem
from tests.support.serve import enrol, served

REDIS = "async+redis://127.0.0.1:6379/14"


def _wrong(pin: str, n: int) -> str:
    return next(p for p in (f"{n:06d}", f"{n + 500_000:06d}") if p != pin)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_per_code_lockout_holds_against_many_addresses(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    db = None if backend == "sqlite" else str(request.getfixturevalue("pg_schema"))
    with served(tmp_path, db, HOSO_TRUSTED_PROXIES="127.0.0.1") as s:
        code, pin = s.receive()
        unknown = code[:-4] + "9999"
        for target in (code, unknown):
            for n in range(5):  # five wrong PINs, each from another address
                r = s.lookup(target, _wrong(pin, n), address=f"203.0.113.{n + 1}")
                assert_problem(r, 404, "not-found")
                assert r.headers["cache-control"] == "no-store"
        # The right PIN, from yet another address: the code is locked all the same, and an
        # unknown code answers the same lockout (no oracle).
        locked = s.lookup(code, pin, address="198.51.100.7")
        body = assert_problem(locked, 429, "pin-locked")
        assert locked.headers["cache-control"] == "no-store"
        assert 1 <= int(locked.headers["retry-after"]) <= 60
        assert "counter" in body["detail"]
        other = assert_problem(s.lookup(unknown, pin, address="198.51.100.8"), 429, "pin-locked")
        assert {k: v for k, v in body.items() if k not in ("instance", "detail")} == {
            k: v for k, v in other.items() if k not in ("instance", "detail")
        }
        # The officer at the counter reissues the PIN: a signed event; the old PIN is dead,
        # the new one opens the file at once.
        r = httpx.post(
            f"{s.url}/files/{code}/reissue-pin",
            headers={"Authorization": f"Bearer {s.tokens['an']}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        new_pin = r.json()["pin"]
        assert [e["type"] for e in r.json()["events"]] == ["PinReissued"]
        fresh = s.lookup(code, new_pin, address="198.51.100.9")
        assert fresh.status_code == 200, fresh.text
        assert fresh.headers["cache-control"] == "no-store"
        if new_pin != pin:
            assert_problem(s.lookup(code, pin, address="198.51.100.9"), 404, "not-found")
        log = s.log.read_text()
    # No PIN in the access log: every pin= of every request line is redacted.
    assert "pin=[redacted]" in log
    assert f"pin={pin}" not in log and f"pin={new_pin}" not in log
    assert "pin=0" not in log and "pin=5" not in log


def test_forwarded_for_is_ignored_from_an_unconfigured_peer(tmp_path: Path) -> None:
    """No trusted proxy configured: uvicorn's default would believe X-Forwarded-For from
    127.0.0.1, so anything on the machine could pick a new address for every guess."""
    with served(tmp_path, None) as s:
        answers = [
            s.lookup(f"{UNIT}-260302-{9000 + n}", "000000", address=f"203.0.113.{n}").status_code
            for n in range(1, 23)  # a new unknown code each time: no lockout, only the limit
        ]
    assert answers[:20] == [404] * 20  # 20 in two minutes from one address (the peer's) ...
    assert answers[20:] == [429, 429]  # ... whatever address the header claims


def test_the_address_limit_is_shared_by_every_worker_through_redis(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/14").flushdb()
    except redis.RedisError as e:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({e})")
    enrol(tmp_path / "d", None)
    settings = dataclasses.replace(load_settings(tmp_path / "d"), rate_limit_storage=REDIS)
    # Two apps as two worker processes would be: each would allow 20 alone, together 20.
    one = create_app(settings, integrate_every=None, processes=2)
    two = create_app(settings, integrate_every=None, processes=2)
    with TestClient(one) as first, TestClient(two) as second:
        answers = [
            (first if n % 2 else second)
            .get(f"/public/files/{UNIT}-260302-{n:04d}", params={"pin": "000000"})
            .status_code
            for n in range(22)
        ]
    assert answers == [404] * 20 + [429, 429]
