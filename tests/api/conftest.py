"""Fixtures of the API tests: the CLI's demo log served over HTTP, both backends, a served World.

The module-scoped ``demo`` (and ``http`` on it) is made once per module that asks for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import integrate_and_checkpoint
from api.http.app import create_app
from api.settings import load_settings
from api.tokens import ApiRole, create_token
from domain.events import Desk
from ledger.store.postgres import drop_ledger_schema
from tests.support.cast import T0, UNIT
from tests.support.cli import hoso
from tests.support.http import Demo, World, project, receive, small_ledger
from tests.support.postgres import PG_URL, require_postgres


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """One demo working day (about 1,700 events), integrated and checkpointed by the CLI."""
    schema = None
    db: list[str] = []
    if request.param == "postgres":
        require_postgres()
        schema = "hoso_t_" + secrets.token_hex(6)
        db = ["--db", f"{PG_URL}?schema={schema}"]
    data = tmp_path_factory.mktemp("httplog") / "d"
    try:
        made = hoso("demo", "--days", "1", "--data", str(data), "--start", "2026-02-12", *db)
        assert made.returncode == 0, made.stderr
        signed = hoso("log", "checkpoint", "--data", str(data), *db)
        assert signed.returncode == 0, signed.stderr
        assert signed.stdout.startswith("demo.hoso.vn/phuong-ba-dinh\n")
        key = hoso("log", "key", "--data", str(data), *db)
        assert key.returncode == 0, key.stderr
        url = db[1] if db else None
        yield Demo(data, url, load_settings(data, url), key.stdout.strip())
    finally:
        if schema:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                drop_ledger_schema(conn, schema)


@pytest.fixture(scope="module")
def http(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.settings, integrate_every=None)) as client:
        yield client


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_schema"))


@pytest.fixture
def world(tmp_path: Path, db_url: str | None) -> Iterator[World]:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        receipts = [receive(ledger, officer, i) for i in range(4)]
        ledger.execute(
            receipts[0].code,
            signer=officer,
            actor="an",
            at=T0 + timedelta(hours=2),
            command=lambda f: f.hand_off(
                actor="an",
                to=Desk("an", "tu-phap", UNIT),
                note="chứng thực",
                at=T0 + timedelta(hours=2),
            ),
        )
        integrate_and_checkpoint(settings, ledger, force=True)
        project(settings, ledger)
        now = T0
        tokens = {
            name: create_token(
                ledger.store, actor=actor, role=role, unit=unit, units=units, now=now
            ).token
            for name, actor, role, unit, units in [
                ("inspector", "thanhtra", ApiRole.INSPECTOR, "PINSPECT", ()),
                ("officer", "an", ApiRole.OFFICER, UNIT, ()),
                ("stranger", "lan", ApiRole.OFFICER, "POTHER", ()),
                ("integration", "tinh", ApiRole.INTEGRATION, "PSOFT", (UNIT,)),
                ("admin", "admin", ApiRole.UNIT_ADMIN, UNIT, ()),
                ("otheradmin", "admin2", ApiRole.UNIT_ADMIN, "POTHER", ()),
            ]
        }
        with TestClient(create_app(settings, integrate_every=None)) as client:
            yield World(settings, ledger, officer, receipts, tokens, client)
    finally:
        ledger.store.close()
