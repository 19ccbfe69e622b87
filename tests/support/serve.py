"""A real ``hoso serve`` for tests: a data directory with officers whose keys the server holds,
the server as a process, and waiting until it answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.tokens import ApiRole, create_token
from signing import KeyDirectory
from signing.registry import Role
from tests.support.cast import T0, UNIT

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
