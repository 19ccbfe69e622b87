"""The pages' browser tests share one served demo day and one Chromium (tests.support.browser)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.bootstrap import open_ledger
from api.settings import load_settings
from ledger.encoding.envelope import decode
from ledger.store import sql as db_sql
from tests.support.browser import browser, new_address
from tests.support.cli import hoso
from tests.support.serve import Served, served


@dataclass(frozen=True)
class Site:
    """``hoso serve`` on a demo day of February 2026 (checkpointed): a signed result's SHA-256
    and its file, and the data directory (for the CLI to compare with)."""

    server: Served
    data: Path
    result_sha256: str
    result_file: str

    def credentials(self) -> dict[str, Any]:
        """The demo's tokens (officer, leader, unit admin, integration, inspector) and the
        codes and PINs of its first receipts."""
        found: dict[str, Any] = json.loads((self.data / "demo-credentials.json").read_text())
        return found


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("pages")
    made = hoso("demo", "--days", "1", "--data", str(tmp / "d"), "--start", "2026-02-12")
    assert made.returncode == 0, made.stderr
    assert hoso("log", "checkpoint", "--data", str(tmp / "d")).returncode == 0
    ledger = open_ledger(load_settings(tmp / "d"))
    try:
        row = db_sql.rows(
            ledger.store,
            "SELECT state FROM hoso_events WHERE topic = 'ResultSigned' ORDER BY "
            "originator_id LIMIT 1",
        )[0]
    finally:
        ledger.close()
    env = decode(bytes(row["state"]))
    sha = str(env.payload["document_sha256"])
    with served(tmp, None, reuse=True, HOSO_TRUSTED_PROXIES="127.0.0.1") as server:
        deadline = time.monotonic() + 60
        while (
            httpx.post(
                f"{server.url}/public/results",
                json={"sha256": sha},
                headers={"X-Forwarded-For": new_address()},
            ).status_code
            != 200
        ):
            assert time.monotonic() < deadline, "the demo never reached the read models"
            time.sleep(0.3)
        yield Site(server, tmp / "d", sha, env.stream)


@pytest.fixture(scope="session")
def chrome() -> Iterator[Any]:
    with browser() as b:
        yield b
