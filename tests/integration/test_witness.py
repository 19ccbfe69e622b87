"""The witness (C2SP tlog-witness): the cosigner's rules, its HTTP answers, and the log's side.

Pure trees (``ListReader``) check the rules; SQLite and PostgreSQL logs check the round trip:
the log asks, the witness cosigns, the log stores the cosignature, and an audit against what
the witness saw catches a restored older copy of the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap import init_data_dir
from api.cli.witness import register
from api.http.witness import MAX_BODY, create_witness_app
from api.settings import load_settings
from ledger.audit.full import FullAuditReport, full_audit_report
from ledger.audit.log_checks import WitnessView, load_witness_view
from ledger.chain.service import Ledger
from ledger.log.checkpoint import Checkpoint, sign_checkpoint
from ledger.log.merkle import ListReader, leaf_hash
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.opening import open_sqlite
from ledger.witness.client import Post, last_cosigned_size, request_cosignature
from ledger.witness.cosigner import Witness, add_checkpoint_body, parse_add_checkpoint_body
from ledger.witness.errors import (
    WitnessBadProof,
    WitnessBadSignature,
    WitnessConflict,
    WitnessError,
    WitnessMalformed,
    WitnessRefused,
    WitnessRequestError,
    WitnessRollback,
    WitnessSplitView,
    WitnessStateError,
    WitnessUnknownLog,
)
from ledger.witness.state import WitnessState
from signing import generate_private_key
from signing.cosignature import CosignatureVerifier
from signing.note import NoteSigner, NoteVerifier, open_note
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.http import free_port
from tests.support.lifecycle import add_files

WITNESS_NAME = "witness.test/w1"
WITNESS_KEY = generate_private_key(bytes([77]) * 32)
TS = int(NOW.timestamp())
PROBLEM = "application/problem+json"


# ------------------------------------------------------------------------------ helpers
def tree(n: int, fork: str = "") -> ListReader:
    return ListReader(leaf_hash(f"{fork}entry {i}".encode()) for i in range(n))


def note_of(reader: ListReader, size: int, signer: NoteSigner = LOG_SIGNER) -> str:
    return sign_checkpoint(Checkpoint(signer.name, size, reader.root(size)), signer)


def body_of(note: str) -> str:
    return note[: note.index("\n\n") + 1]


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    w = Witness(WITNESS_NAME, WITNESS_KEY, tmp_path / "state.json", create=True)
    w.add_log(ORIGIN, LOG_SIGNER.vkey())
    return w


@pytest.fixture
def cosigner(witness: Witness) -> CosignatureVerifier:
    return CosignatureVerifier.from_vkey(witness.vkey())


def grow(witness: Witness, reader: ListReader, old: int, new: int) -> None:
    proof = reader.consistency_proof(old, new) if old else []
    witness.add_checkpoint(old, proof, note_of(reader, new), TS)


# --------------------------------------------------------------------- the cosigner's rules
def test_first_cosign_from_size_zero(witness: Witness, cosigner: CosignatureVerifier) -> None:
    t = tree(5)
    note = note_of(t, 5)
    sig = witness.add_checkpoint(0, [], note, TS)
    assert cosigner.verify(body_of(note), sig) == TS
    record = witness.state().logs[ORIGIN]
    assert (record.size, record.root, record.note) == (5, t.root(5), note + sig.line())


def test_consistent_growth_is_cosigned(witness: Witness, cosigner: CosignatureVerifier) -> None:
    t = tree(40)
    grow(witness, t, 0, 5)
    for old, new in [(5, 12), (12, 13), (13, 32), (32, 40), (40, 40)]:
        note = note_of(t, new)
        proof = t.consistency_proof(old, new)
        sig = witness.add_checkpoint(old, proof, note, TS + new)
        assert cosigner.verify(body_of(note), sig) == TS + new
        opened = open_note(note + sig.line(), [LOG_VERIFIER, cosigner])
        assert len(opened.signatures) == 2
    assert witness.state().logs[ORIGIN].size == 40


def test_rollback_is_refused(witness: Witness) -> None:
    t = tree(12)
    grow(witness, t, 0, 12)
    with pytest.raises(WitnessRollback, match="rollback") as e:
        witness.add_checkpoint(12, [], note_of(t, 5), TS)
    assert e.value.status == 400
    with pytest.raises(WitnessConflict) as c:  # claiming the old size of the older tree
        witness.add_checkpoint(5, [], note_of(t, 5), TS)
    assert c.value.current_size == 12
    assert witness.state().logs[ORIGIN].size == 12


def test_split_view_is_refused(witness: Witness) -> None:
    honest, fork = tree(20), tree(20, fork="fork ")
    grow(witness, honest, 0, 12)
    with pytest.raises(WitnessSplitView, match="split view") as e:
        witness.add_checkpoint(12, [], note_of(fork, 12), TS)
    assert (e.value.status, e.value.current_size) == (422, 12)  # tlog-witness: 422, not 409
    assert isinstance(e.value, WitnessRefused)
    with pytest.raises(WitnessBadProof):  # the fork grown further: its proof is from its own 12
        witness.add_checkpoint(12, fork.consistency_proof(12, 20), note_of(fork, 20), TS)
    record = witness.state().logs[ORIGIN]
    assert (record.size, record.root) == (12, honest.root(12))


def test_wrong_old_size_is_a_conflict_with_the_current_size(witness: Witness) -> None:
    t = tree(30)
    grow(witness, t, 0, 10)
    for old in (0, 9, 11):
        with pytest.raises(WitnessConflict) as e:
            witness.add_checkpoint(
                old, t.consistency_proof(old, 30) if old else [], note_of(t, 30), TS
            )
        assert (e.value.status, e.value.current_size) == (409, 10)


def test_bad_or_forged_proofs_are_refused(witness: Witness) -> None:
    t = tree(30)
    grow(witness, t, 0, 10)
    good = t.consistency_proof(10, 30)
    forged = [good[0][:-1] + bytes([good[0][-1] ^ 1]), *good[1:]]
    for proof in (forged, good[:-1], [*good, good[0]], [], tree(30, "x").consistency_proof(10, 30)):
        with pytest.raises(WitnessBadProof) as e:
            witness.add_checkpoint(10, proof, note_of(t, 30), TS)
        assert e.value.status == 422
    with pytest.raises(WitnessBadProof):
        witness.add_checkpoint(10, [good[0]], note_of(t, 10), TS)  # equal sizes: empty proof
    assert witness.state().logs[ORIGIN].size == 10


def test_a_proof_from_size_zero_must_be_empty(tmp_path: Path) -> None:
    w = Witness(WITNESS_NAME, WITNESS_KEY, tmp_path / "s.json", create=True)
    w.add_log(ORIGIN, LOG_SIGNER.vkey())
    t = tree(8)
    with pytest.raises(WitnessBadProof):
        w.add_checkpoint(0, [t.root(4)], note_of(t, 8), TS)


def test_unknown_origin_and_bad_signature_are_refused(witness: Witness) -> None:
    t = tree(8)
    stranger = NoteSigner("other.example/log", generate_private_key(bytes([5]) * 32))
    with pytest.raises(WitnessUnknownLog) as e:
        witness.add_checkpoint(0, [], note_of(t, 8, stranger), TS)
    assert e.value.status == 404
    impostor = NoteSigner(ORIGIN, generate_private_key(bytes([6]) * 32))  # same name, other key
    with pytest.raises(WitnessBadSignature) as b:
        witness.add_checkpoint(0, [], note_of(t, 8, impostor), TS)
    assert b.value.status == 403
    good = note_of(t, 8)
    broken = good.replace(body_of(good), body_of(note_of(tree(9), 9)))
    with pytest.raises(WitnessBadSignature):
        witness.add_checkpoint(0, [], broken, TS)
    assert witness.state().logs[ORIGIN].size == 0


def test_malformed_input_is_refused(witness: Witness) -> None:
    t = tree(8)
    for old, note in [(-1, note_of(t, 8)), (0, "not a note\n"), (9, note_of(t, 8))]:
        with pytest.raises(WitnessMalformed):
            witness.add_checkpoint(old, [], note, TS)
    with pytest.raises(WitnessMalformed):
        witness.add_checkpoint(0, [b"\0" * 32] * 64, note_of(t, 8), TS)


def test_the_state_survives_a_restart(witness: Witness, tmp_path: Path) -> None:
    t = tree(20)
    grow(witness, t, 0, 12)
    again = Witness(WITNESS_NAME, WITNESS_KEY, tmp_path / "state.json")
    assert again.state() == witness.state()
    with pytest.raises(WitnessRollback):
        again.add_checkpoint(12, [], note_of(t, 7), TS)
    grow(again, t, 12, 20)
    reopened = Witness.from_state(WITNESS_KEY, tmp_path / "state.json")
    assert reopened.state().logs[ORIGIN].size == 20
    doc = json.loads((tmp_path / "state.json").read_text())
    assert set(doc["logs"][ORIGIN]) == {"vkey", "size", "root", "note"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_lost_or_foreign_state_is_refused(tmp_path: Path, witness: Witness) -> None:
    with pytest.raises(WitnessStateError, match="no witness state"):
        Witness(WITNESS_NAME, WITNESS_KEY, tmp_path / "missing.json")
    with pytest.raises(WitnessStateError, match="belongs to"):
        Witness(WITNESS_NAME, generate_private_key(bytes([78]) * 32), witness.state_path)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(WitnessStateError, match="corrupt"):
        WitnessState.load(tmp_path / "bad.json")


def test_concurrent_requests_never_roll_back(witness: Witness) -> None:
    t = tree(64)
    grow(witness, t, 0, 8)
    results: list[object] = []

    def submit(size: int) -> None:
        try:
            results.append(
                witness.add_checkpoint(8, t.consistency_proof(8, size), note_of(t, size), TS)
            )
        except WitnessConflict as e:
            results.append(e)

    threads = [threading.Thread(target=submit, args=(s,)) for s in range(9, 64, 6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(1 for r in results if not isinstance(r, WitnessConflict)) == 1
    assert witness.state().logs[ORIGIN].size > 8


def test_add_log_is_idempotent_and_keeps_its_key(witness: Witness) -> None:
    witness.add_log(ORIGIN, LOG_SIGNER.vkey())
    other = NoteSigner(ORIGIN, generate_private_key(bytes([9]) * 32))
    with pytest.raises(WitnessError, match="another key"):
        witness.add_log(ORIGIN, other.vkey())


def test_request_bodies_round_trip_and_are_strict() -> None:
    t = tree(9)
    note, proof = note_of(t, 9), t.consistency_proof(4, 9)
    assert parse_add_checkpoint_body(add_checkpoint_body(4, proof, note)) == (4, proof, note)
    for bad in [
        b"old 01\n\n" + note.encode(),
        b"old 4\nnot base64\n\n",
        b"new 4\n\n",
        b"old 4\n",
        b"old 4\nAAAA\n\n",
        b"\xff\n\n",
    ]:
        with pytest.raises(WitnessMalformed):
            parse_add_checkpoint_body(bad)


# ---------------------------------------------------------------------------------- HTTP
@pytest.fixture
def client(witness: Witness) -> Iterator[TestClient]:
    with TestClient(create_witness_app(witness, clock=lambda: TS)) as c:
        yield c


def post_body(client: TestClient, body: bytes) -> httpx.Response:
    response: httpx.Response = client.post("/add-checkpoint", content=body)
    return response


def test_http_cosigns_and_answers_signature_lines(
    client: TestClient, cosigner: CosignatureVerifier
) -> None:
    t = tree(10)
    note = note_of(t, 10)
    r = post_body(client, add_checkpoint_body(0, [], note))
    assert r.status_code == 200, r.text
    assert r.text.startswith("\u2014 " + WITNESS_NAME + " ") and r.text.endswith("\n")
    opened = open_note(note + r.text, [LOG_VERIFIER, cosigner])
    assert len(opened.signatures) == 2
    r = post_body(client, add_checkpoint_body(10, t.consistency_proof(10, 10), note))
    assert r.status_code == 200  # the same checkpoint again is fine
    about = client.get("/").json()
    assert about == {
        "name": WITNESS_NAME,
        "vkey": cosigner.vkey(),
        "logs": [{"origin": ORIGIN, "vkey": LOG_SIGNER.vkey(), "size": 10}],
    }


def test_http_conflict_is_the_size_as_text(client: TestClient) -> None:
    t = tree(20)
    assert post_body(client, add_checkpoint_body(0, [], note_of(t, 12))).status_code == 200
    r = post_body(client, add_checkpoint_body(0, [], note_of(t, 20)))
    assert (r.status_code, r.headers["content-type"], r.content) == (
        409,
        "text/x.tlog.size",
        b"12\n",
    )
    split = post_body(client, add_checkpoint_body(12, [], note_of(tree(12, "f"), 12)))
    assert split.status_code == 422  # a second root for size 12: tlog-witness says 422
    assert split.headers["content-type"] == PROBLEM
    assert split.json()["type"].endswith("witness-split-view")


@pytest.mark.parametrize(
    ("status", "kind", "make"),
    [
        (
            422,
            "witness-bad-proof",
            lambda t: add_checkpoint_body(12, [t.root(4)] * 3, note_of(t, 20)),
        ),
        (
            403,
            "witness-bad-signature",
            lambda t: add_checkpoint_body(
                12, [], note_of(t, 20, NoteSigner(ORIGIN, generate_private_key(bytes([6]) * 32)))
            ),
        ),
        (
            404,
            "witness-unknown-log",
            lambda t: add_checkpoint_body(
                0,
                [],
                note_of(t, 20, NoteSigner("x.example/log", generate_private_key(bytes([5]) * 32))),
            ),
        ),
        (400, "witness-rollback", lambda t: add_checkpoint_body(12, [], note_of(t, 4))),
        (400, "bad-request", lambda t: b"old 12\nnot a hash\n\n" + note_of(t, 20).encode()),
        (400, "bad-request", lambda t: b"old 12\n"),
        (400, "bad-request", lambda t: add_checkpoint_body(21, [], note_of(t, 20))),
    ],
)
def test_http_refusals_are_problems(
    client: TestClient, status: int, kind: str, make: object
) -> None:
    t = tree(20)
    assert post_body(client, add_checkpoint_body(0, [], note_of(t, 12))).status_code == 200
    assert callable(make)
    r = post_body(client, make(t))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith(kind)
    assert client.get("/").json()["logs"][0]["size"] == 12


def test_http_refuses_large_bodies_and_other_methods(client: TestClient) -> None:
    r = post_body(client, b"old 0\n" + b"A" * (MAX_BODY + 1))
    assert (r.status_code, r.headers["content-type"]) == (413, PROBLEM)
    r = client.get("/add-checkpoint")
    assert (r.status_code, r.headers["content-type"]) == (405, PROBLEM)


# ------------------------------------------------------------------------- the log's side
@dataclass
class Logged:
    store: EventStore
    ledger: Ledger
    log: MerkleLog


def open_demo(store: EventStore, cast: Cast, start_hours: int = 1) -> Logged:
    ledger = make_ledger(store, cast)
    add_files(ledger, cast, T0 + timedelta(hours=start_hours), 12)
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    log.make_checkpoint(LOG_SIGNER, NOW)
    return Logged(store, ledger, log)


def poster(client: TestClient, calls: list[int] | None = None) -> Post:
    def post(body: bytes) -> tuple[int, str, bytes]:
        r = client.post("/add-checkpoint", content=body)
        if calls is not None:
            calls.append(r.status_code)
        return r.status_code, r.headers.get("content-type", ""), r.content

    return post


def audit(store: EventStore, cast: Cast, view: WitnessView) -> FullAuditReport:
    return full_audit_report(
        store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
        witness=view,
    )


def test_the_log_stores_cosignatures_and_the_audit_catches_a_restore(
    store: EventStore,
    cast: Cast,
    client: TestClient,
    witness: Witness,
    cosigner: CosignatureVerifier,
) -> None:
    demo = open_demo(store, cast)
    first = demo.log.latest_checkpoint()
    assert first is not None
    line = request_cosignature(demo.log, poster(client), WITNESS_NAME, verifier=cosigner)
    assert line.startswith("\u2014 " + WITNESS_NAME)
    note = demo.log.cosigned_note(first.size)
    assert note == first.note + line
    assert len(open_note(note, [LOG_VERIFIER, cosigner]).signatures) == 2
    assert last_cosigned_size(demo.log, WITNESS_NAME) == first.size

    old_position = demo.log.last_position()
    add_files(demo.ledger, cast, T0 + timedelta(hours=5), 4)
    demo.log.integrate()
    grown = demo.log.make_checkpoint(LOG_SIGNER, NOW + timedelta(minutes=5))
    calls: list[int] = []
    request_cosignature(demo.log, poster(client, calls), WITNESS_NAME, guess_old=0)
    assert calls == [409, 200]  # learnt the witness's size, then proved consistency from it
    assert (
        len(open_note(demo.log.cosigned_note(grown.size), [LOG_VERIFIER, cosigner]).signatures) == 2
    )

    view = load_witness_view(witness.state_path, ORIGIN)
    assert (view.size, view.root) == (grown.size, grown.root)

    assert audit(store, cast, view).ok
    id_col = "rowid" if store.dialect == "sqlite" else "notification_id"
    for sql, params in [
        (f"DELETE FROM hoso_events WHERE {id_col} > ?", (old_position,)),
        ("DELETE FROM hoso_log_leaves WHERE leaf_index >= ?", (first.size,)),
        ("DELETE FROM hoso_log_nodes WHERE (idx + 1) * (1 << level) > ?", (first.size,)),
        ("DELETE FROM hoso_log_cosignatures WHERE size > ?", (first.size,)),
        ("DELETE FROM hoso_log_checkpoints WHERE size > ?", (first.size,)),
    ]:
        db_sql.run(store, sql, params)
    restored = audit(store, cast, view)
    assert restored.chain.ok  # an older copy is internally consistent...
    assert any("rollback" in f and f"size {grown.size}" in f for f in restored.failures)
    with pytest.raises(WitnessRequestError, match="rolled back"):  # and the log cannot get past it
        request_cosignature(demo.log, poster(client), WITNESS_NAME, guess_old=0)


def test_a_forked_log_is_refused(
    store: EventStore, cast: Cast, client: TestClient, witness: Witness, tmp_path: Path
) -> None:
    """Same key, same size, other events: the witness will not cosign a second root."""
    honest = open_demo(store, cast)
    request_cosignature(honest.log, poster(client), WITNESS_NAME)
    fork_store = open_sqlite(tmp_path / "fork.sqlite3")
    try:
        fork = open_demo(fork_store, cast, start_hours=2)
        assert fork.log.size() == honest.log.size()
        assert fork.log.root() != honest.log.root()
        calls: list[int] = []
        with pytest.raises(WitnessRequestError, match="split view"):
            request_cosignature(fork.log, poster(client, calls), WITNESS_NAME)
        assert calls == [409, 422]
        assert (
            fork.log.cosigned_note(fork.log.size()) == fork.log.checkpoint_at(fork.log.size()).note
        )
        add_files(fork.ledger, cast, T0 + timedelta(hours=6), 2)
        fork.log.integrate()
        fork.log.make_checkpoint(LOG_SIGNER, NOW + timedelta(minutes=1))
        with pytest.raises(WitnessRequestError, match="422"):
            request_cosignature(fork.log, poster(client), WITNESS_NAME, guess_old=honest.log.size())
    finally:
        fork_store.close()
    record = witness.state().logs[ORIGIN]
    assert (record.size, record.root) == (honest.log.size(), honest.log.root())


def test_the_log_keeps_only_its_witness_lines(
    store: EventStore, cast: Cast, witness: Witness, cosigner: CosignatureVerifier
) -> None:
    demo = open_demo(store, cast)
    other = Witness(
        "witness.test/other",
        generate_private_key(bytes([79]) * 32),
        witness.state_path.with_name("other.json"),
        create=True,
    )
    other.add_log(ORIGIN, LOG_SIGNER.vkey())

    def post_both(body: bytes) -> tuple[int, str, bytes]:
        old, proof, note = parse_add_checkpoint_body(body)
        lines = [w.add_checkpoint(old, proof, note, TS).line() for w in (other, witness)]
        return 200, "text/plain", "".join(lines).encode()

    line = request_cosignature(demo.log, post_both, WITNESS_NAME, verifier=cosigner)
    assert line.count("\n") == 1 and WITNESS_NAME + " " in line
    with pytest.raises(WitnessRequestError, match="no cosignature"):
        request_cosignature(demo.log, lambda b: (200, "text/plain", b""), WITNESS_NAME)
    forged = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    with pytest.raises(WitnessRequestError, match="invalid"):
        request_cosignature(
            demo.log,
            lambda b: (200, "text/plain", forged.encode()),
            WITNESS_NAME,
            verifier=cosigner,
        )
    with pytest.raises(WitnessRequestError, match="500"):
        request_cosignature(demo.log, lambda b: (500, "text/plain", b"boom"), WITNESS_NAME)


def test_load_witness_view_fails_clearly(witness: Witness) -> None:
    with pytest.raises(WitnessError, match="does not follow"):
        load_witness_view(witness.state_path, "nobody.example/log")
    with pytest.raises(WitnessError, match="cosigned no checkpoint"):
        load_witness_view(witness.state_path, ORIGIN)


# ---------------------------------------------------------------------------------- CLI
def test_cli_init_add_log_serve_and_request(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    wdir = tmp_path / "w"
    result = runner.invoke(app, ["witness", "init", "--state", str(wdir), "--name", "w.test/cli"])
    assert result.exit_code == 0, result.output
    vkey = result.output.strip()
    assert vkey.startswith("w.test/cli+")
    assert (wdir / "witness.pem").stat().st_mode & 0o777 == 0o600
    bad = runner.invoke(app, ["witness", "init", "--state", str(tmp_path / "b"), "--name", "a b"])
    assert bad.exit_code != 0 and not (tmp_path / "b").exists()
    again = runner.invoke(app, ["witness", "init", "--state", str(wdir), "--name", "w.test/cli"])
    assert again.exit_code != 0 and "already holds a witness" in str(again.exception)

    data = tmp_path / "data"
    settings = init_data_dir(data, origin="cli.hoso.vn/ledger", db=None, at=T0)
    assert settings.log_vkey
    result = runner.invoke(
        app,
        [
            "witness",
            "add-log",
            "--state",
            str(wdir),
            "--origin",
            settings.origin,
            "--log-key",
            settings.log_vkey,
        ],
    )
    assert result.exit_code == 0, result.output

    port = free_port()
    script = "from api.main import main; main()"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            "witness",
            "serve",
            "--state",
            str(wdir),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        args = [
            "witness",
            "request",
            "--data",
            str(data),
            "--url",
            url,
            "--name",
            "w.test/cli",
            "--witness-key",
            vkey,
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (result.output, result.exception)
        log_verifier = load_settings(data).log_vkey
        assert log_verifier
        opened = open_note(
            result.output,
            [NoteVerifier.from_vkey(log_verifier), CosignatureVerifier.from_vkey(vkey)],
        )
        assert len(opened.signatures) == 2
        assert runner.invoke(app, args).exit_code == 0  # again: same size, re-cosigned
        assert httpx.get(url + "/").json()["logs"][0]["size"] >= 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    view = load_witness_view(wdir / "state.json", settings.origin)
    assert view.size >= 1
    down = runner.invoke(
        app, ["witness", "request", "--data", str(data), "--url", url, "--name", "w.test/cli"]
    )
    assert down.exit_code != 0 and "cannot reach the witness" in str(down.exception)


def test_http_serves_the_last_cosigned_checkpoint_to_monitors(
    client: TestClient, cosigner: CosignatureVerifier
) -> None:
    """tlog-witness monitoring API: GET <sha256(origin) hex>/checkpoint, 404 before any."""
    import hashlib

    path = f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert client.get(path).status_code == 404
    assert client.get(f"/{'0' * 64}/checkpoint").status_code == 404
    t = tree(9)
    unknown = NoteSigner("someone.else", generate_private_key(bytes([80]) * 32))
    note = note_of(t, 9)
    extra = unknown.sign(body_of(note)).line()
    assert post_body(client, add_checkpoint_body(0, [], note + extra)).status_code == 200
    served = client.get(path)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/plain")
    opened = open_note(served.text, [LOG_VERIFIER, cosigner])
    assert len(opened.signatures) == 2  # the log's signature and this witness's cosignature
    assert opened.unverified == ()  # a line the witness did not verify is not served
    assert opened.text == body_of(note)
