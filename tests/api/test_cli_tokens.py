"""``hoso token`` and the demo's credentials file, through the real command line."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from api.bootstrap import open_ledger
from api.http.auth import lookup
from api.settings import load_settings
from api.tokens import ApiRole
from ledger.chain.service import Ledger
from ledger.store import sql as db_sql
from tests.support.cli import assert_one_line_error, hoso

TOKEN_RE = re.compile(r"hoso_[A-Za-z0-9_-]{43}")


@contextmanager
def ledger_of(data: Path) -> Iterator[Ledger]:
    ledger = open_ledger(load_settings(data))
    try:
        yield ledger
    finally:
        ledger.store.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ledger with a unit administrator and one officer of unit PHN."""
    data = tmp_path_factory.mktemp("tokens") / "t"
    assert hoso("init", "--data", str(data)).returncode == 0
    for args in (
        ("quantri", "--role", "unit_admin", "--unit", "PHN"),
        ("lan", "--role", "officer", "--unit", "PHN", "--as", "quantri"),
    ):
        added = hoso("keys", "add", *args, "--data", str(data))
        assert added.returncode == 0, added.stderr
    return data


def create(data: Path, *args: str) -> tuple[str, str]:
    """Run ``hoso token create``; return (token id, token) read from its output."""
    result = hoso("token", "create", *args, "--data", str(data))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert TOKEN_RE.fullmatch(token), result.stdout
    assert result.stdout.count(token) == 1  # shown once
    m = re.search(r"Token ([0-9a-f]{16}) ", result.stdout)
    assert m, result.stdout
    return m.group(1), token


def test_create_list_revoke(small: Path) -> None:
    officer_id, officer = create(small, "--actor", "lan", "--role", "officer", "--unit", "PHN")
    igate_id, igate = create(
        small,
        "--actor",
        "tinh-igate",
        "--role",
        "integration",
        "--unit",
        "PHN",
        "--serves",
        "PBADINH",
        "--serves",
        "PHOANKIEM",
    )
    _, inspector = create(small, "--actor", "thanhtra", "--role", "inspector", "--unit", "TTHN")
    _, admin = create(small, "--actor", "quantri", "--role", "unit_admin", "--unit", "PHN")

    with ledger_of(small) as ledger:
        found = lookup(ledger.store, officer)
        assert found is not None
        assert (found.token_id, found.actor, found.role) == (officer_id, "lan", ApiRole.OFFICER)
        assert found.units == {"PHN"}
        client = lookup(ledger.store, igate)
        assert client is not None and client.role is ApiRole.INTEGRATION
        assert client.units == {"PHN", "PBADINH", "PHOANKIEM"}
        seen = lookup(ledger.store, inspector)
        assert seen is not None and seen.reads_everything()
        boss = lookup(ledger.store, admin)
        assert boss is not None and boss.role is ApiRole.UNIT_ADMIN

    listed = hoso("token", "list", "--data", str(small))
    assert listed.returncode == 0, listed.stderr
    assert officer_id in listed.stdout and igate_id in listed.stdout
    assert "PBADINH, PHN, PHOANKIEM" in listed.stdout
    assert "hoso_" not in listed.stdout
    assert hashlib.sha256(officer.encode()).hexdigest() not in listed.stdout

    revoked = hoso("token", "revoke", officer_id, "--data", str(small))
    assert revoked.returncode == 0, revoked.stderr
    with ledger_of(small) as ledger:
        assert lookup(ledger.store, officer) is None
        assert lookup(ledger.store, igate) is not None
    after = hoso("token", "list", "--data", str(small))
    row = next(line for line in after.stdout.splitlines() if officer_id in line)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\D+\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row), row
    # Revoking twice is an error, in one line.
    assert_one_line_error(hoso("token", "revoke", officer_id, "--data", str(small)))


def test_the_table_holds_hashes_never_tokens(small: Path) -> None:
    _, token = create(small, "--actor", "lan", "--role", "officer", "--unit", "PHN")
    db = sqlite3.connect(small / "ledger.sqlite3")
    try:
        rows = db.execute("SELECT * FROM hoso_tokens").fetchall()
    finally:
        db.close()
    dump = repr(rows)
    assert token not in dump
    assert token.removeprefix("hoso_") not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump


def test_refusals_are_one_line(small: Path) -> None:
    data = str(small)
    bad_role = hoso("token", "create", "--actor", "lan", "--role", "god", "--unit", "PHN")
    assert_one_line_error(bad_role)
    assert bad_role.returncode == 2
    unknown = hoso("token", "revoke", "0123456789abcdef", "--data", data)
    assert_one_line_error(unknown)
    assert "0123456789abcdef" in unknown.stderr
    # No key at all, a key of another role, a key of another unit.
    for actor, role, unit in (
        ("mai", "officer", "PHN"),
        ("lan", "leader", "PHN"),
        ("lan", "officer", "PXYZ"),
        ("lan", "unit_admin", "PHN"),
    ):
        refused = hoso(
            "token", "create", "--actor", actor, "--role", role, "--unit", unit, "--data", data
        )
        assert_one_line_error(refused)
        assert f"{actor} holds no valid {role} key for unit {unit}" in refused.stderr
    assert_one_line_error(
        hoso(
            "token",
            "create",
            "--actor",
            "lan",
            "--role",
            "officer",
            "--unit",
            "PHN",
            "--serves",
            "PBADINH",
            "--data",
            data,
        )
    )
    assert_one_line_error(
        hoso(
            "token",
            "create",
            "--actor",
            "Bad Actor",
            "--role",
            "inspector",
            "--unit",
            "PHN",
            "--data",
            data,
        )
    )
    assert_one_line_error(
        hoso(
            "token",
            "create",
            "--actor",
            "x",
            "--role",
            "inspector",
            "--unit",
            "bad",
            "--data",
            data,
        )
    )
    assert_one_line_error(hoso("token", "list", "--data", str(small / "nothing")))
    # Nothing refused was stored.
    with ledger_of(small) as ledger:
        actors = {r["actor"] for r in db_sql.rows(ledger.store, "SELECT actor FROM hoso_tokens")}
    assert "mai" not in actors and "x" not in actors


def test_demo_writes_working_credentials(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = hoso(
        "demo", "--days", "1", "--seed", "7", "--data", str(data), "--start", "2026-02-12"
    )
    assert result.returncode == 0, result.stderr
    path = data / "demo-credentials.json"
    assert str(path) in " ".join(result.stdout.split())
    assert path.stat().st_mode & 0o777 == 0o600
    doc = orjson.loads(path.read_bytes())
    assert doc["format"] == "hoso-demo-credentials/1"
    assert doc["unit"] == "PBADINH"
    settings = load_settings(data)
    assert doc["log_vkey"] == settings.log_vkey and doc["log_vkey"]
    expected = {
        "officer": "quay01",
        "leader": "chutich",
        "unit_admin": "quantri",
        "integration": "tinh-igate",
        "inspector": "thanhtra",
    }
    assert set(doc["tokens"]) == set(expected)
    with ledger_of(data) as ledger:
        for role, actor in expected.items():
            entry = doc["tokens"][role]
            found = lookup(ledger.store, entry["token"])
            assert found is not None, role
            assert (found.role.value, found.actor, found.token_id) == (
                role,
                actor,
                entry["token_id"],
            )
            assert found.acts_for("PBADINH")
        assert not any(k.holder == "tinh-igate" for k in ledger.registry().keys.values())
        samples = doc["samples"]
        assert len(samples) == 5
        for sample in samples:
            assert ledger.check_pin(sample["code"], sample["pin"])
            assert not ledger.check_pin(sample["code"], "000000" + sample["pin"])
