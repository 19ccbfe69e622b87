"""Issue 16, point 3: free text (notes, reasons, document names, missing papers) is sealed with
the applicant's key, so ``hoso forget`` erases it from every output while every proof and the
audit still hold. An officer types an ID number into every free field of one file; it must
never appear in clear in the stored or logged forms, appear to those allowed to read it while
the applicant's key exists, and appear nowhere once the applicant is forgotten.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from api.bootstrap import integrate_and_checkpoint
from domain.events import Desk
from domain.file import AdministrativeFile
from ledger.errors import Refused
from tests.support.cast import T0, UNIT
from tests.support.cli import hoso
from tests.support.http import World, project, submit_unsealed
from tests.support.problems import assert_problem

MARK = "CCCD 079123456789"  # what an officer should never type into a note, typed
AT = T0 + timedelta(hours=3)


def _db_args(world: World) -> list[str]:
    return ["--data", str(world.settings.data_dir)] + (
        ["--db", world.settings.db] if world.settings.db else []
    )


@pytest.fixture
def typed(world: World) -> str:
    """A file with ``MARK`` in its hand-off note, missing papers, reason and apology."""
    code = world.receipts[2].code
    steps = [
        lambda f: f.hand_off(
            actor="an", to=Desk("an", "tu-phap", UNIT), note=f"giao {MARK}", at=AT
        ),
        lambda f: f.request_supplement(
            actor="an", items=(f"giấy {MARK}",), reason=f"thiếu\n{MARK}", at=AT
        ),
        lambda f: f.issue_apology(
            actor="an",
            reason=f"xin lỗi {MARK}",
            new_appointment_at=f.appointment_at + timedelta(days=3),
            at=AT,
        ),
    ]
    for step in steps:
        world.ledger.execute(code, signer=world.officer, actor="an", at=AT, command=step)
    integrate_and_checkpoint(world.settings, world.ledger, force=True)
    project(world.settings, world.ledger)
    return code


def _stored_bytes(world: World) -> bytes:
    """Every byte of the SQLite data directory (WAL included); PostgreSQL: the events' rows."""
    if world.settings.db is None:
        files = [p for p in Path(world.settings.data_dir).rglob("*.sqlite3*") if p.is_file()]
        assert files
        return b"".join(p.read_bytes() for p in files)
    rows = world.ledger.store.stream(world.receipts[2].code)
    return b"".join(r.state for r in rows)


def _data_dir_bytes(world: World) -> bytes:
    files = sorted(p for p in Path(world.settings.data_dir).rglob("*") if p.is_file())
    return b"".join(p.read_bytes() for p in files)


def _outputs(world: World, code: str) -> dict[str, str]:
    """What each reader gets of the file: the officer, the inspector, the citizen."""
    receipt = world.receipts[2]
    lookup = world.client.get(f"/public/files/{code}", params={"pin": receipt.pin})
    assert lookup.status_code == 200, lookup.text
    out = {
        "history": world.get("officer", f"/files/{code}/history").text,
        "file": world.get("officer", f"/files/{code}").text,
        "lookup": lookup.text,
        "bundle": world.get("inspector", f"/log/bundles/{code}").text,
        "feed": world.get("inspector", "/feed", limit=1000).text,
        "entries": world.get("inspector", "/log/tile/entries/000.p/9").content.decode("latin-1"),
    }
    shown = hoso("file", "show", code, *_db_args(world))
    assert shown.returncode == 0, shown.stderr
    out["hoso file show"] = shown.stdout
    return out


def test_free_text_is_sealed_where_it_is_stored_and_logged(world: World, typed: str) -> None:
    assert MARK.encode() not in _stored_bytes(world)
    out = _outputs(world, typed)
    for where in ("bundle", "feed", "entries"):
        assert MARK not in out[where], where
    assert out["entries"].count("sealed:ap-") >= 3  # the leaves commit to the sealed form
    # Those allowed to read the file see what was typed while the applicant's key exists.
    assert out["history"].count(MARK) == 3  # the note, the missing papers, the apology
    assert MARK in orjson.loads(out["file"])["apology_reason"]
    citizen = orjson.loads(out["lookup"])
    assert citizen["apology_reason"] == f"xin lỗi {MARK}"
    assert citizen["missing_items"] == [f"giấy {MARK}"]
    assert MARK in out["hoso file show"]


def test_forget_erases_free_text_from_every_output_and_proofs_hold(
    world: World, typed: str, tmp_path: Path
) -> None:
    ref = world.ledger.load(typed).file.applicant_ref
    secret = world.ledger.applicant_secret(ref)
    assert secret is not None
    on_sqlite = world.settings.db is None
    if on_sqlite:  # the scan below sees a key that is there
        assert secret in _data_dir_bytes(world)
    bundle_before = world.get("inspector", f"/log/bundles/{typed}").json()
    forgot = hoso("forget", ref, *_db_args(world))  # while the service runs
    assert forgot.returncode == 0, forgot.stderr
    if on_sqlite:  # no copy of the key in any file of the data directory, WAL included
        assert secret not in _data_dir_bytes(world)
    assert world.ledger.applicant_secret(ref) is None
    out = _outputs(world, typed)
    for where, text in out.items():
        assert MARK not in text, where
    assert "[erased]" in out["history"] and "[erased]" in out["hoso file show"]
    citizen = orjson.loads(out["lookup"])
    assert citizen["apology_reason"] == "[erased]"
    assert citizen["missing_items"] == ["[erased]"]
    # Nothing in the log changed: the same bundle, still verifying offline; the audit passes.
    assert world.get("inspector", f"/log/bundles/{typed}").json() == bundle_before
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle_before))
    assert world.settings.log_vkey
    checked = hoso("verify", str(path), "--log-key", world.settings.log_vkey)
    assert checked.returncode == 0 and "VERIFIED" in checked.stdout, checked.stderr
    audited = hoso("audit", *_db_args(world))
    assert audited.returncode == 0, audited.stdout + audited.stderr
    # No new free text can be sealed for a forgotten applicant; an empty note still can.
    with pytest.raises(Refused, match="forgotten"):
        world.ledger.execute(
            typed,
            signer=world.officer,
            actor="an",
            at=AT,
            command=lambda f: f.receive_supplement(
                actor="an", items=("giấy mới",), at=AT, calendar=world.ledger.calendar
            ),
        )


def test_a_client_signed_envelope_with_text_in_clear_is_refused(world: World) -> None:
    def hand_off(f: AdministrativeFile) -> None:
        f.hand_off(actor="an", to=Desk("an", "tu-phap", UNIT), note=f"giao {MARK}", at=AT)

    r = submit_unsealed(world, world.receipts[3].code, hand_off, AT)
    problem = assert_problem(r, 422, "refused")
    assert "sealed" in problem["detail"]
    assert MARK.encode() not in _stored_bytes(world)


def test_a_text_typed_in_the_sealed_form_is_refused(world: World, typed: str) -> None:
    """Kept as it is, such a text would escape erasure (a base64 of an ID number, say)."""
    other = world.ledger.load(typed).envelopes[1].payload["note"]  # another applicant's
    assert str(other).startswith("sealed:ap-")
    code = world.receipts[0].code
    ref = world.ledger.load(code).file.applicant_ref
    for note in (f"sealed:{ref}:" + "QUJD" * 12, str(other)):

        def hand_off(f: AdministrativeFile, n: str = note) -> None:
            f.hand_off(actor="an", to=Desk("an", "van-hoa", UNIT), note=n, at=AT)

        with pytest.raises(Refused, match="form of a sealed text"):
            world.ledger.execute(code, signer=world.officer, actor="an", at=AT, command=hand_off)
