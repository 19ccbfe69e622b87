"""The checks of issue 15 as a user runs them: ``hoso projections verify``, ``hoso audit
--projections``, and ``hoso bundle`` / ``hoso log checkpoint`` refusing to sign over a forged
row."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from api.settings import load_settings
from ledger.encoding.envelope import build, decode
from ledger.store.opening import open_sqlite
from tests.support.cast import NOW, signer
from tests.support.cli import assert_one_line_error, hoso


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo day, its read models rebuilt (the demo leaves them to ``projections run``)."""
    data = tmp_path_factory.mktemp("checks") / "d"
    made = hoso("demo", "--days", "1", "--data", str(data), "--start", "2026-02-12")
    assert made.returncode == 0, made.stderr
    rebuilt = hoso("projections", "rebuild", "--data", str(data))
    assert rebuilt.returncode == 0, rebuilt.stderr
    return data


@pytest.fixture
def copy(demo_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(demo_dir, target)
    return target


def _sql(data: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    db = sqlite3.connect(data / "ledger.sqlite3")
    try:
        rows = db.execute(statement, params).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def _closed_file(data: Path) -> tuple[str, str]:
    code, timeliness = _sql(
        data,
        "SELECT code, timeliness FROM hoso_p_files WHERE timeliness IS NOT NULL ORDER BY code",
    )[0]
    return str(code), str(timeliness)


def test_projections_verify_passes_untouched(demo_dir: Path) -> None:
    result = hoso("projections", "verify", "--data", str(demo_dir))
    assert result.returncode == 0, result.stderr
    assert "✓ read models verified" in result.stdout
    assert "files" in result.stdout and "actions" in result.stdout


def test_projections_verify_names_an_edited_row(copy: Path) -> None:
    code, timeliness = _closed_file(copy)
    edited = "late" if timeliness != "late" else "on_time"
    _sql(copy, "UPDATE hoso_p_files SET timeliness = ? WHERE code = ?", (edited, code))
    result = hoso("projections", "verify", "--data", str(copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "hoso_p_files" in result.stdout and code in result.stdout
    assert "timeliness" in result.stdout and edited in result.stdout
    assert "read models differ from their rebuild: 1 differing rows in files" in result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 200


def test_audit_with_projections(copy: Path) -> None:
    ok = hoso("audit", "--projections", "--data", str(copy))
    assert ok.returncode == 0, ok.stderr
    assert "✓ read models" in ok.stdout
    _sql(copy, "DELETE FROM hoso_p_actions WHERE position = 10")
    plain = hoso("audit", "--data", str(copy))
    assert plain.returncode == 0, plain.stderr  # the audit alone looks at the events only
    bad = hoso("audit", "--projections", "--data", str(copy))
    assert bad.returncode == 1
    assert "✗ audit FAILED read model actions differs from its rebuild" in bad.stderr
    assert "hoso_p_actions row (10) is missing from it" in bad.stderr


def test_projections_verify_of_a_missing_store(tmp_path: Path, demo_dir: Path) -> None:
    assert_one_line_error(hoso("projections", "verify", "--data", str(tmp_path / "nothing")))
    shutil.copytree(demo_dir, tmp_path / "gone")
    (tmp_path / "gone" / "ledger.sqlite3").unlink()
    assert_one_line_error(hoso("projections", "verify", "--data", str(tmp_path / "gone")))
    assert not (tmp_path / "gone" / "ledger.sqlite3").exists()


def _forge(data: Path) -> str:
    """A refusal signed by an unregistered key, appended to a file behind the ledger's back."""
    code = str(
        _sql(data, "SELECT MIN(originator_id) FROM hoso_events WHERE originator_id <> 'KEYS'")[0][0]
    )
    (version, state) = _sql(
        data,
        "SELECT originator_version, state FROM hoso_events WHERE originator_id = ? "
        "ORDER BY originator_version DESC LIMIT 1",
        (code,),
    )[0]
    assert isinstance(version, int) and isinstance(state, bytes)
    rogue = signer(99)
    env = (
        build(
            origin=load_settings(data, None).origin,
            stream=code,
            version=version + 1,
            type_="FileRefused",
            occurred_at=NOW,
            actor="an",
            key_id=rogue.key_id,
            payload={"reason": "giả mạo"},
            prev_hash=decode(state).hash(),
        )
        .sign(rogue)
        .received(NOW)
    )
    store = open_sqlite(data / "ledger.sqlite3")
    try:
        store.append([StoredEvent(code, env.version, env.type, env.to_bytes())])
    finally:
        store.close()
    return code


def _checkpoints(data: Path) -> int:
    return int(str(_sql(data, "SELECT COUNT(*) FROM hoso_log_checkpoints")[0][0]))


@pytest.mark.parametrize("bundled", ["forged", "other"])
def test_bundle_refuses_to_sign_over_a_forged_row(copy: Path, bundled: str) -> None:
    code = _forge(copy)
    before = _checkpoints(copy)
    if bundled == "other":  # an untouched file: the forged row would be newly covered
        code = str(_sql(copy, "SELECT MAX(code) FROM hoso_p_files")[0][0])
    result = hoso("bundle", code, "--data", str(copy))
    assert_one_line_error(result)
    assert result.returncode == 1
    assert "not registered" in result.stderr
    assert result.stdout == ""
    assert _checkpoints(copy) == before
    signed = hoso("log", "checkpoint", "--data", str(copy))
    assert_one_line_error(signed)
    assert "refusing to sign a checkpoint" in signed.stderr
    assert _checkpoints(copy) == before


def test_bundle_of_an_honest_ledger_signs(copy: Path) -> None:
    code = str(_sql(copy, "SELECT MAX(code) FROM hoso_p_files")[0][0])
    result = hoso("bundle", code, "--data", str(copy))
    assert result.returncode == 0, result.stderr
    assert f'"{code}"' in result.stdout


def test_audit_names_an_edited_interior_node(copy: Path) -> None:
    _sql(copy, "UPDATE hoso_log_nodes SET hash = ? WHERE level = 2 AND idx = 3", (bytes(32),))
    result = hoso("audit", "--data", str(copy))
    assert result.returncode == 1
    assert "stored node level 2 index 3 (leaves 12..15) differs" in result.stderr
    assert "audit passed" not in result.stdout


def test_audit_of_emptied_events_fails(copy: Path) -> None:
    _sql(copy, "DELETE FROM hoso_events")
    result = hoso("audit", "--data", str(copy))
    assert result.returncode == 1
    assert "audit passed" not in result.stdout
    assert "verified no event" in result.stderr and "the events were deleted" in result.stderr
