"""The ``hoso`` command as a user runs it: real processes, real databases."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from ledger.store.events import parse_postgres_url
from tests.support.cli import assert_one_line_error, hoso
from tests.support.postgres import PG_URL


def _bump_digit(state: bytes) -> bytes:
    at = state.index(b'"payload":{') + len(b'"payload":{')
    while not state[at : at + 1].isdigit():
        at += 1
    digit = state[at : at + 1]
    return state[:at] + (b"1" if digit != b"1" else b"2") + state[at + 1 :]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "d"
    result = hoso(
        "demo", "--days", "3", "--seed", "7", "--data", str(data), "--start", "2026-02-12"
    )
    assert result.returncode == 0, result.stderr
    assert "files received" in result.stdout
    assert "Outcomes" in result.stdout
    return data


def test_demo_then_audit_passes_and_counts(demo_dir: Path) -> None:
    result = hoso("audit", "--data", str(demo_dir))
    assert result.returncode == 0, result.stderr
    m = re.search(r"verified (\d+) events \((\d+) files", result.stdout)
    assert m and int(m.group(1)) > 3000 and int(m.group(2)) > 600


def test_file_show_prints_the_slip(demo_dir: Path) -> None:
    code = "PBADINH-260212-0001"
    result = hoso("file", "show", code, "--data", str(demo_dir))
    assert result.returncode == 0, result.stderr
    assert "process control slip" in result.stdout
    assert "Tiếp nhận" in result.stdout
    assert "every signature, key and chain link verified" in result.stdout


def test_one_digit_changed_in_sqlite_is_named(demo_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(demo_dir), str(copy)], check=True)
    db = sqlite3.connect(copy / "ledger.sqlite3")
    code, version = "PBADINH-260213-0042", 2
    (state,) = db.execute(
        "SELECT state FROM hoso_events WHERE originator_id=? AND originator_version=?",
        (code, version),
    ).fetchone()
    db.execute(
        "UPDATE hoso_events SET state=? WHERE originator_id=? AND originator_version=?",
        (_bump_digit(state), code, version),
    )
    db.commit()
    db.close()
    result = hoso("audit", "--data", str(copy))
    assert result.returncode == 1
    assert f"file {code} version {version}" in result.stderr
    assert "Traceback" not in result.stderr


def test_forget_keeps_audit_green(demo_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(demo_dir), str(copy)], check=True)
    code = "PBADINH-260212-0002"
    shown = hoso("file", "show", code, "--data", str(copy))
    ref = re.search(r"\((ap-[0-9a-f]+)\)", shown.stdout)
    assert ref, shown.stdout
    forgot = hoso("forget", ref.group(1), "--data", str(copy))
    assert forgot.returncode == 0, forgot.stderr
    assert "personal fields now read [erased];" in forgot.stdout  # not swallowed as markup
    after = hoso("file", "show", code, "--data", str(copy))
    assert "[erased]" in after.stdout
    assert hoso("audit", "--data", str(copy)).returncode == 0


def test_an_officer_reissues_a_pin_at_the_counter(demo_dir: Path, tmp_path: Path) -> None:
    """Issue 16: a new PIN, signed as PinReissued; the old one stops working."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(demo_dir), str(copy)], check=True)
    creds = json.loads((copy / "demo-credentials.json").read_text())
    sample = creds["samples"][0]
    code, old = sample["code"], sample["pin"]
    made = hoso("file", "reissue-pin", code, "--actor", "quay01", "--data", str(copy))
    assert made.returncode == 0, made.stderr
    new = re.search(r"New PIN for \S+: (\d{6})", made.stdout)
    assert new, made.stdout
    assert hoso("status", code, "--pin", new.group(1), "--data", str(copy)).returncode == 0
    if new.group(1) != old:
        assert_one_line_error(hoso("status", code, "--pin", old, "--data", str(copy)))
    shown = hoso("file", "show", code, "--data", str(copy))
    assert "Cấp lại mã tra cứu" in shown.stdout
    assert hoso("audit", "--data", str(copy)).returncode == 0
    assert_one_line_error(
        hoso("file", "reissue-pin", code, "--actor", "nobody", "--data", str(copy))
    )


def test_bad_input_is_one_line_and_nonzero(tmp_path: Path, demo_dir: Path) -> None:
    assert_one_line_error(hoso("audit", "--data", str(tmp_path / "nothing")))
    assert_one_line_error(hoso("file", "show", "NOPE-1", "--data", str(demo_dir)))
    assert_one_line_error(hoso("forget", "ap-unknown", "--data", str(demo_dir)))
    assert_one_line_error(hoso("demo", "--data", str(demo_dir)))
    assert_one_line_error(hoso("audit", "--data", str(tmp_path), "--db", "mysql://x"))


@pytest.mark.usefixtures("pg_schema")
def test_postgres_demo_audit_and_tamper(pg_schema: str, tmp_path: Path) -> None:
    data = tmp_path / "pg"
    result = hoso(
        "demo",
        "--days",
        "1",
        "--seed",
        "7",
        "--data",
        str(data),
        "--db",
        pg_schema,
        "--start",
        "2026-02-12",
    )
    assert result.returncode == 0, result.stderr
    ok = hoso("audit", "--data", str(data), "--db", pg_schema)
    assert ok.returncode == 0, ok.stderr
    # The read models rebuilt by two processes, each a share of the files: every event counted.
    rebuilt = hoso(
        "projections", "rebuild", "--workers", "2", "--data", str(data), "--db", pg_schema
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 processes" in rebuilt.stdout
    status = hoso("projections", "status", "--data", str(data), "--db", pg_schema)
    assert re.search(r"files\s+│\s+(\d+)\s+│\s+\1\s+│\s+0", status.stdout), status.stdout
    target = parse_postgres_url(pg_schema)
    code, version = "PBADINH-260212-0007", 2
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(
            f'SELECT state FROM "{target.schema}".hoso_events '
            "WHERE originator_id=%s AND originator_version=%s",
            (code, version),
        ).fetchone()
        assert row is not None
        conn.execute(
            f'UPDATE "{target.schema}".hoso_events SET state=%s '
            "WHERE originator_id=%s AND originator_version=%s",
            (_bump_digit(bytes(row[0])), code, version),
        )
    bad = hoso("audit", "--data", str(data), "--db", pg_schema)
    assert bad.returncode == 1
    assert f"file {code} version {version}" in bad.stderr


def test_keys_add_revoke_and_usage_errors(tmp_path: Path) -> None:
    data = str(tmp_path / "k")
    assert hoso("init", "--data", data).returncode == 0
    added = hoso("keys", "add", "quantri", "--role", "unit_admin", "--unit", "PHN", "--data", data)
    assert added.returncode == 0, added.stderr
    officer = hoso(
        "keys",
        "add",
        "lan",
        "--role",
        "officer",
        "--unit",
        "PHN",
        "--as",
        "quantri",
        "--data",
        data,
    )
    assert officer.returncode == 0, officer.stderr
    kid = re.search(r"Registered key ([0-9a-f]{32})", officer.stdout)
    assert kid
    assert (tmp_path / "k" / "keys" / "lan.pem").stat().st_mode & 0o077 == 0
    assert_one_line_error(
        hoso(
            "keys",
            "add",
            "x",
            "--role",
            "officer",
            "--unit",
            "OTHER",
            "--as",
            "quantri",
            "--data",
            data,
        )
    )
    assert_one_line_error(
        hoso("keys", "add", "x", "--role", "bogus", "--unit", "PHN", "--data", data)
    )
    assert_one_line_error(hoso("--bogus"))
    revoked = hoso(
        "keys",
        "revoke",
        kid.group(1)[:12],
        "--reason",
        "mất máy [lost]",
        "--as",
        "quantri",
        "--data",
        data,
    )
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.rstrip().endswith(": mất máy [lost]")  # the reason as typed
    listed = hoso("keys", "list", "--data", data)
    assert "mất máy [lost]" in listed.stdout
    assert hoso("audit", "--data", data).returncode == 0
