"""Issue 15's tamper classes as an inspector meets them: ``hoso audit`` exits 1 naming what it
found, ``hoso verify`` refuses the file's bundle, ``hoso verify-head`` checks a head or its
absence. On a copy of a one-day demo (SQLite; the classes run on both backends in
tests/integration/test_tamper_*.py)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from api.settings import load_settings
from ledger.encoding.envelope import build, decode
from ledger.store.opening import open_sqlite
from signing.signer import KeyDirectory
from tests.support.cli import hoso


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("tamper") / "d"
    made = hoso("demo", "--days", "1", "--data", str(data), "--start", "2026-02-12")
    assert made.returncode == 0, made.stderr
    return data


@pytest.fixture
def copy(demo_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(demo_dir, tmp_path / "copy")
    return tmp_path / "copy"


def _rows(data: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(data / "ledger.sqlite3")
    try:
        return db.execute(statement, params).fetchall()
    finally:
        db.close()


def _officer(data: Path) -> tuple[str, str]:
    """An officer whose key file is in the data directory: (name, key id)."""
    for (state,) in _rows(data, "SELECT state FROM hoso_events WHERE originator_id = 'KEYS'"):
        payload = json.loads(bytes(state))["payload"]
        holder = payload.get("holder")
        if payload.get("role") == "officer" and (data / "keys" / f"{holder}.pem").exists():
            return str(holder), str(payload["key_id"])
    raise AssertionError("the demo has no officer with a key file")


def _store_raw(data: Path, actor: str, type_: str, payload: dict[str, Any],
               occurred: datetime, code: str | None = None) -> tuple[str, int]:  # fmt: skip
    """An event signed with ``actor``'s real key, chained to a file's head, received now,
    written straight into the store: (file code, version)."""
    if code is None:
        code = str(_rows(data, "SELECT MIN(originator_id) FROM hoso_events "
                               "WHERE originator_id <> 'KEYS'")[0][0])  # fmt: skip
    version, state = _rows(
        data,
        "SELECT originator_version, state FROM hoso_events WHERE originator_id = ? "
        "ORDER BY originator_version DESC LIMIT 1",
        (code,),
    )[0]
    settings = load_settings(data, None)
    key = KeyDirectory(settings.keys_dir).signer(actor)
    env = build(
        origin=settings.origin,
        stream=code,
        version=int(str(version)) + 1,
        type_=type_,
        occurred_at=occurred,
        actor=actor,
        key_id=key.key_id,
        payload=payload,
        prev_hash=decode(bytes(state)).hash(),
    ).sign(key)
    env = env.received(datetime.now(UTC))
    store = open_sqlite(data / "ledger.sqlite3")
    try:
        store.append([StoredEvent(code, env.version, env.type, env.to_bytes())])
    finally:
        store.close()
    return code, env.version


def _log_key(data: Path) -> str:
    return hoso("log", "key", "--data", str(data)).stdout.strip()


def test_the_untouched_demo_passes_with_its_rules_replayed(demo_dir: Path) -> None:
    result = hoso("audit", "--data", str(demo_dir))
    assert result.returncode == 0, result.stderr
    assert "✓ rules" in result.stdout and "✓ audit passed" in result.stdout


def test_audit_names_a_back_dated_event_signed_by_a_revoked_key(copy: Path) -> None:
    name, kid = _officer(copy)
    revoked = hoso("keys", "revoke", kid, "--reason", "mất máy", "--data", str(copy))
    assert revoked.returncode == 0, revoked.stderr
    code, version = _store_raw(copy, name, "FileRefused", {"reason": "giả"},
                               datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    result = hoso("audit", "--data", str(copy))
    assert result.returncode == 1
    assert f"file {code} version {version}" in result.stderr
    assert "mất máy" in result.stderr and "not valid at" in result.stderr


def test_audit_and_verify_name_an_illegal_transition(copy: Path, tmp_path: Path) -> None:
    name, _kid = _officer(copy)
    returned = _rows(copy, "SELECT originator_id FROM hoso_events WHERE topic = 'ResultReturned' "
                           "ORDER BY originator_id LIMIT 1")[0][0]  # fmt: skip
    payload = {"new_appointment_at": "2026-03-30T10:00:00.000000Z", "reason": "trễ"}
    code, version = _store_raw(copy, name, "ApologyIssued", payload,
                               datetime(2026, 2, 1, tzinfo=UTC), str(returned))  # fmt: skip
    result = hoso("audit", "--data", str(copy))
    assert result.returncode == 1
    assert f"file {code} version {version}: ApologyIssued" in result.stderr
    bundled = hoso("bundle", code, "--data", str(copy))
    assert bundled.returncode == 0, bundled.stderr  # signatures and chain hold: it is signed over
    path = tmp_path / "b.json"
    path.write_text(bundled.stdout)
    checked = hoso("verify", str(path), "--log-key", _log_key(copy))
    assert checked.returncode == 1
    assert f"file {code} version {version}" in checked.stderr


def test_verify_refuses_a_truncated_history(copy: Path, tmp_path: Path) -> None:
    code, last = (str(v) for v in _rows(
        copy, "SELECT originator_id, MAX(originator_version) FROM hoso_events "
              "WHERE originator_id <> 'KEYS' GROUP BY originator_id "
              "ORDER BY MAX(originator_version) DESC LIMIT 1")[0])  # fmt: skip
    path = tmp_path / "b.json"
    before = hoso("bundle", code, "--data", str(copy))
    assert before.returncode == 0, before.stderr
    db = sqlite3.connect(copy / "ledger.sqlite3")
    db.execute("DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
               (code, int(last)))  # fmt: skip
    db.commit()
    db.close()
    doc = json.loads(before.stdout)
    doc["entries"].pop()  # what a bundle built from the store now holds
    path.write_text(json.dumps(doc))
    checked = hoso("verify", str(path), "--log-key", _log_key(copy))
    assert checked.returncode == 1
    assert "the file's history is truncated" in checked.stderr
    assert f"commits to version {last}" in checked.stderr
    audit = hoso("audit", "--data", str(copy))
    assert audit.returncode == 1 and "deleted" in audit.stderr


def test_head_proofs_of_presence_and_absence(demo_dir: Path, tmp_path: Path) -> None:
    code = str(_rows(demo_dir, "SELECT MIN(originator_id) FROM hoso_events "
                               "WHERE originator_id <> 'KEYS'")[0][0])  # fmt: skip
    key = _log_key(demo_dir)
    for asked, verdict in ((code, "has"), (code[:-4] + "9999", "no file")):
        proof = hoso("log", "head", asked, "--data", str(demo_dir))
        assert proof.returncode == 0, proof.stderr
        path = tmp_path / "h.json"
        path.write_text(proof.stdout)
        checked = hoso("verify-head", str(path), "--log-key", key)
        assert checked.returncode == 0, checked.stderr
        assert verdict in checked.stdout
        doc = json.loads(proof.stdout)
        doc["head"]["end"] = "empty" if verdict == "has" else "present"
        path.write_text(json.dumps(doc))
        forged = hoso("verify-head", str(path), "--log-key", key)
        assert forged.returncode == 1 and "NOT VERIFIED" in forged.stderr


def test_figures_at_a_checkpoint_refuse_an_edited_entry(copy: Path) -> None:
    """Issue 17: figures recomputed at a checkpoint come from entries that must give its signed
    root; one stored byte changed and ``hoso transparency --at-checkpoint`` refuses in a
    sentence, computing nothing."""
    (size,) = _rows(copy, "SELECT MAX(size) FROM hoso_log_checkpoints")[0]
    fine = hoso("transparency", "--at-checkpoint", str(size), "--data", str(copy))
    assert fine.returncode == 0 and "from the log's entries" in fine.stdout, fine.stderr
    code, version, state = _rows(
        copy,
        "SELECT originator_id, originator_version, state FROM hoso_events "
        "WHERE originator_id <> 'KEYS' ORDER BY originator_id, originator_version LIMIT 1",
    )[0]
    edited = bytes(state).replace(b'"counter-', b'"Counter-', 1).replace(b"quay", b"Quay", 1)
    assert edited != bytes(state)
    db = sqlite3.connect(copy / "ledger.sqlite3")
    with db:
        db.execute(
            "UPDATE hoso_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (edited, code, version),
        )
    db.close()
    refused = hoso("transparency", "--at-checkpoint", str(size), "--data", str(copy))
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "do not give the root of checkpoint" in refused.stderr
    assert "Traceback" not in refused.stderr and "Error" not in refused.stderr.split(":")[0]
