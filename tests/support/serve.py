"""A real ``hoso serve`` for tests: a data directory with officers whose keys the server holds,
the server as a process, and waiting until it answers."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.tokens import ApiRole, create_token
from signing import KeyDirectory
from signing.registry import Role
from tests.support.cast import T0, UNIT
from tests.support.http import RECEIPT, free_port

ORIGIN = "test.hoso.vn/workers"
OFFICERS = ("an", "binh")


def hoso(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.main import main; main()", *args]


def enrol(data: Path, db: str | None) -> dict[str, str]:
    """A data directory with two officers whose keys the server holds; their API tokens."""
    settings = init_data_dir(data, origin=ORIGIN, db=db, at=T0, seed=b"\x02" * 32)
    keys = KeyDirectory(settings.keys_dir)
    ledger = open_ledger(settings)
    tokens = {}
    try:
        for n, name in enumerate(OFFICERS):
            key = keys.create(name, bytes([40 + n]) * 32)
            ledger.register_key(
                signer=keys.signer(AUTHORITY),
                actor=AUTHORITY,
                holder=name,
                role=Role.OFFICER,
                unit=UNIT,
                public_key=key.public_key,
                valid_from=T0,
                at=T0,
            )
            tokens[name] = create_token(
                ledger.store, actor=name, role=ApiRole.OFFICER, unit=UNIT, now=T0
            ).token
    finally:
        ledger.close()
    return tokens


def wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode() if server.stderr else ""
            pytest.fail(f"hoso serve exited with {server.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("hoso serve did not answer within 60 s")


@dataclasses.dataclass
class Served:
    url: str
    tokens: dict[str, str]
    log: Path  # the server's stdout: its access log

    def receive(self) -> tuple[str, str]:
        r = httpx.post(
            f"{self.url}/files",
            json=RECEIPT,
            headers={"Authorization": f"Bearer {self.tokens['an']}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        assert "counter" in r.json()["pin_notice"]  # the receipt says how to unlock a code
        code, pin = r.json()["code"], r.json()["pin"]
        deadline = time.monotonic() + 30
        while self.lookup(code, pin).status_code != 200:  # the read models follow (a right
            assert time.monotonic() < deadline, "the file never reached the read model"
            time.sleep(0.2)  # PIN on a file not projected yet is never counted as wrong)
        return code, pin

    def lookup(self, code: str, pin: str, address: str | None = None) -> httpx.Response:
        headers = {"X-Forwarded-For": address} if address else {}
        return httpx.get(
            f"{self.url}/public/files/{code}", params={"pin": pin}, headers=headers, timeout=30
        )


@contextmanager
def served(tmp_path: Path, db: str | None, *, reuse: bool = False, **env: str) -> Iterator[Served]:
    """``hoso serve`` on a new data directory ``tmp_path/d`` (``reuse``: the one there)."""
    data = tmp_path / "d"
    tokens = {} if reuse else enrol(data, db)
    port = free_port()
    log = tmp_path / "access.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            hoso("serve", "--data", str(data), "--port", str(port)),
            stdout=out,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(server, url)
            yield Served(url, tokens, log)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
