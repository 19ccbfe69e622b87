"""Reading never creates storage (issue 15, point 8): a command that reads a ledger whose database
or schema is missing says so in one line and exits 1, and creates nothing: no empty SQLite file,
no PostgreSQL schema. Before, ``hoso audit`` on a mistyped path said "audit passed: verified 0
events" and left an empty ledger behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from api.bootstrap import init_data_dir
from ledger.store.postgres import drop_ledger_schema
from tests.support.cast import T0
from tests.support.cli import assert_one_line_error, hoso
from tests.support.postgres import PG_URL, require_postgres

CODE = "PTEST-260302-0001"
READS = [
    ("audit",),
    ("file", "show", CODE),
    ("bundle", CODE),
    ("status", CODE, "--pin", "123456"),
    ("projections", "status"),
    ("keys", "list"),
    ("token", "list"),
]


@pytest.mark.parametrize("command", READS, ids=lambda c: " ".join(c[:2]))
def test_a_read_of_a_missing_sqlite_ledger_fails_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    data = tmp_path / "d"
    init_data_dir(data, origin="test.hoso.vn/ledger", db=None, at=T0, seed=b"\x01" * 32)
    (data / "ledger.sqlite3").unlink()  # the database lost (or --data pointing at a copy of keys)
    result = hoso(*command, "--data", str(data))
    assert_one_line_error(result)
    assert result.returncode == 1
    assert "no ledger database" in result.stderr
    assert not (data / "ledger.sqlite3").exists()


def test_a_read_of_a_mistyped_schema_fails_and_creates_no_schema(
    tmp_path: Path, pg_schema: str
) -> None:
    require_postgres()
    data = tmp_path / "d"
    init_data_dir(data, origin="test.hoso.vn/ledger", db=pg_schema, at=T0, seed=b"\x01" * 32)
    typo = pg_schema + "x"  # a schema nobody made
    name = typo.rsplit("schema=", 1)[1]
    try:
        result = hoso("audit", "--data", str(data), "--db", typo)
        assert_one_line_error(result)
        assert result.returncode == 1
        assert f"no ledger in schema '{name}'" in result.stderr
        with psycopg.connect(PG_URL) as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,)
            ).fetchone()
        assert found is None, "the read created the mistyped schema"
        assert hoso("audit", "--data", str(data), "--db", pg_schema).returncode == 0  # the real one
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            drop_ledger_schema(conn, name)


def test_an_existing_ledger_still_opens(tmp_path: Path) -> None:
    data = tmp_path / "d"
    init_data_dir(data, origin="test.hoso.vn/ledger", db=None, at=T0, seed=b"\x01" * 32)
    result = hoso("audit", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "audit passed" in result.stdout
