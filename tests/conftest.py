"""Shared fixtures: both backends (SQLite file, PostgreSQL schema per test), keys from fixed seeds.

PostgreSQL: ``HOSO_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``). Every test
gets its own schema, dropped afterwards. Without a server the PostgreSQL cases skip with the
reason, except under ``CI=true``, where a missing server is a failure. What the fixtures are
built from lives in ``tests/support/``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.chain.service import Ledger
from ledger.store.events import EventStore
from ledger.store.opening import open_postgres, open_sqlite
from ledger.store.postgres import drop_ledger_schema
from tests.support.cast import Cast, make_ledger, the_cast
from tests.support.postgres import PG_URL, require_postgres


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards; yields the database URL."""
    require_postgres()
    schema = "hoso_t_" + secrets.token_hex(6)
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        drop_ledger_schema(conn, schema)


@pytest.fixture
def cast() -> Cast:
    return the_cast()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        s = open_sqlite(tmp_path / "ledger.sqlite3")
    else:
        url = request.getfixturevalue("pg_schema")
        s = open_postgres(url)
    yield s
    s.close()


@pytest.fixture
def ledger(store: EventStore, cast: Cast) -> Ledger:
    return make_ledger(store, cast)
