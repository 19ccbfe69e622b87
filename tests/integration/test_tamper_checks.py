"""Tamper classes of issue 15 the checks catch, on SQLite and PostgreSQL: an edited interior node
of the Merkle log, a checkpoint row that disagrees with its note, an audit of nothing, an edited
read-model row, and a forged row the bundle path refuses to sign over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial

import pytest

from domain.events import Desk, ReturnMethod
from domain.file import AdministrativeFile
from ledger.audit.before_signing import verify_uncovered
from ledger.audit.full import full_audit_report
from ledger.errors import Refused
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from projections.engine.runtime import ProjectionHost
from projections.engine.verify import SHOWN, verify_projections
from projections.models.handlers import NAMES
from signing import Signer
from tests.integration.test_tamper_matrix import Demo, assert_fails
from tests.integration.test_tamper_matrix import demo as demo  # the matrix's fixture
from tests.support import tamper
from tests.support.cast import (
    LOG_SIGNER,
    LOG_VERIFIER,
    NOW,
    ORIGIN,
    T0,
    UNIT,
    Cast,
    make_ledger,
    signer,
)
from tests.support.lifecycle import PERSON, add_files, receive_file
from tests.support.projections import host_for, pg_url_of, snapshot

VKEY = LOG_SIGNER.vkey()


def _set_node(store: EventStore, level: int, index: int, value: bytes) -> None:
    db_sql.run(
        store,
        "UPDATE hoso_log_nodes SET hash = ? WHERE level = ? AND idx = ?",
        (value, level, index),
    )


def _node(store: EventStore, level: int, index: int) -> bytes:
    rows = db_sql.rows(
        store, "SELECT hash FROM hoso_log_nodes WHERE level = ? AND idx = ?", (level, index)
    )
    return bytes(rows[0]["hash"])


@pytest.mark.parametrize("level", [1, 3])
def test_edited_interior_node(demo: Demo, level: int) -> None:
    """A file's first leaf; the node beside its path at ``level - 1``'s parent level: its
    inclusion proof reads that node, so the bundle breaks too."""
    code = demo.codes[2]
    leaf = demo.log.leaf_index_of(code, 1)
    assert leaf is not None
    index = (leaf >> level) ^ 1  # the sibling subtree at this level: part of the proof
    assert (index + 1) << level <= demo.log.size()
    edited = bytes(b ^ 0xFF for b in _node(demo.store, level, index))
    _set_node(demo.store, level, index, edited)
    assert_fails(demo.audit(), f"stored node level {level} index {index}", "differs")
    checkpoint = demo.log.latest_checkpoint()
    assert checkpoint is not None
    report = verify_bundle_report(build_bundle(demo.log, code, checkpoint), VKEY)
    assert not report.ok


def test_deleted_and_extra_interior_nodes(demo: Demo) -> None:
    db_sql.run(demo.store, "DELETE FROM hoso_log_nodes WHERE level = 2 AND idx = 1")
    assert_fails(demo.audit(), "stored node level 2 index 1", "is missing")
    db_sql.run(
        demo.store,
        "INSERT INTO hoso_log_nodes (level, idx, hash) VALUES (2, 1, ?), (2, 999, ?)",
        (_node(demo.store, 1, 0), bytes(32)),
    )
    assert_fails(demo.audit(), "stored node level 2 index 1", "differs")


def test_extra_node_beyond_the_tree(demo: Demo) -> None:
    db_sql.run(
        demo.store, "INSERT INTO hoso_log_nodes (level, idx, hash) VALUES (1, 999, ?)", (bytes(32),)
    )
    assert_fails(demo.audit(), "nodes at level 1", "outside the integrator")


@pytest.mark.parametrize("column", ["size", "root"])
def test_checkpoint_row_disagrees_with_its_note(demo: Demo, column: str) -> None:
    size = demo.log.size()
    if column == "size":
        db_sql.run(demo.store, "UPDATE hoso_log_checkpoints SET size = ?", (size - 1,))
    else:
        db_sql.run(demo.store, "UPDATE hoso_log_checkpoints SET root = ?", (bytes(32),))
    report = demo.audit()  # a finding, never an exception
    assert_fails(report, "checkpoint row of size", "disagrees with its signed note")


def test_unreadable_checkpoint_row_is_a_finding(demo: Demo) -> None:
    db_sql.run(demo.store, "UPDATE hoso_log_checkpoints SET created_at = 'yesterday'")
    assert_fails(demo.audit(), "a stored checkpoint row cannot be read")


def test_emptied_events_with_checkpoints_left(demo: Demo) -> None:
    db_sql.run(demo.store, "DELETE FROM hoso_events")
    assert_fails(demo.audit(), "verified no event", "the events were deleted")


def test_emptied_events_and_log(demo: Demo) -> None:
    for table in ("hoso_events", "hoso_log_leaves", "hoso_log_nodes", "hoso_log_checkpoints"):
        db_sql.run(demo.store, f"DELETE FROM {table}")
    assert_fails(demo.audit(), "verified no event", "not even the key registry")


def test_new_ledger_with_only_its_registry_passes(store: EventStore, cast: Cast) -> None:
    make_ledger(store, cast)
    report = full_audit_report(
        store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
    )
    assert report.ok, report.failures
    assert report.chain.registry_events > 0
    assert report.log.leaves == 0


# ------------------------------------------------------------------------ read models
def _late_file(demo: Demo) -> str:
    """A file handed on, signed and returned a month after its receipt: late."""
    cast, ledger = demo.cast, demo.ledger
    t = T0 + timedelta(hours=3)
    code = receive_file(ledger, cast, t, PERSON)
    late = t + timedelta(days=30)
    steps: list[tuple[Signer, str, Callable[[datetime, AdministrativeFile], None]]] = [
        (
            cast.officer,
            "an",
            lambda at, f: f.hand_off(actor="an", to=Desk("binh", "tu-phap", UNIT), note="", at=at),
        ),
        (
            cast.officer2,
            "binh",
            lambda at, f: f.submit_for_signature(actor="binh", leader="chutich", at=at),
        ),
        (
            cast.leader,
            "chutich",
            lambda at, f: f.sign_result(actor="chutich", document_sha256="cd" * 32, at=at),
        ),
        (
            cast.leader,
            "chutich",
            lambda at, f: f.return_result(
                actor="chutich", method=ReturnMethod.COUNTER, at=at, calendar=ledger.calendar
            ),
        ),
    ]
    for k, (s, actor, step) in enumerate(steps):
        at = late + timedelta(minutes=k)
        ledger.execute(code, signer=s, actor=actor, at=at, command=partial(step, at))
    return code


@pytest.fixture
def host(demo: Demo) -> Iterator[ProjectionHost]:
    db = None if demo.store.dialect == "sqlite" else pg_url_of(demo.store)
    h = host_for(demo.store, demo.ledger, db)
    try:
        yield h
    finally:
        h.close()


def test_untouched_read_models_verify(demo: Demo, host: ProjectionHost) -> None:
    host.catch_up_all()
    checks = verify_projections(host)
    assert [c.name for c in checks] == list(NAMES)
    assert all(c.ok for c in checks), [c.findings() for c in checks]
    assert all(c.position == demo.store.max_position() for c in checks)
    assert checks[0].rows > len(demo.codes) and checks[1].rows == demo.store.max_position()


def test_late_file_marked_on_time_is_named(demo: Demo, host: ProjectionHost) -> None:
    code = _late_file(demo)
    host.catch_up_all()
    assert (
        db_sql.rows(demo.store, "SELECT timeliness FROM hoso_p_files WHERE code = ?", (code,))[0][
            "timeliness"
        ]
        == "late"
    )
    db_sql.run(demo.store, "UPDATE hoso_p_files SET timeliness = 'on_time' WHERE code = ?", (code,))
    before = snapshot(demo.store)
    files, actions = verify_projections(host)
    assert actions.ok
    assert not files.ok and files.count == 1
    difference = files.differences[0]
    assert (difference.table, difference.key, difference.column) == (
        "hoso_p_files",
        (code,),
        "timeliness",
    )
    assert (difference.live, difference.rebuilt) == ("on_time", "late")
    assert "column timeliness: live 'on_time', rebuilt 'late'" in files.findings()[0]
    assert snapshot(demo.store) == before  # verifying wrote nothing


def test_deleted_and_added_read_model_rows_are_named(demo: Demo, host: ProjectionHost) -> None:
    host.catch_up_all()
    code = demo.codes[1]
    db_sql.run(demo.store, "DELETE FROM hoso_p_steps WHERE code = ? AND version = 2", (code,))
    db_sql.run(
        demo.store,
        "INSERT INTO hoso_p_actions (position, code, version, type, actor, unit, occurred_at) "
        "SELECT 99999, code, version, type, actor, unit, occurred_at FROM hoso_p_actions "
        "WHERE position = 1",
    )
    files, actions = verify_projections(host)
    assert [str(d) for d in files.differences] == [
        f"hoso_p_steps row ({code}, 2) is missing from it"
    ]
    assert [str(d) for d in actions.differences] == [
        "hoso_p_actions row (99999) is only in the live table"
    ]


def test_read_models_are_compared_at_their_own_position(demo: Demo, host: ProjectionHost) -> None:
    host.catch_up_all()
    _late_file(demo)  # events the live read models have not applied yet: not a difference
    checks = verify_projections(host)
    assert all(c.ok for c in checks), [c.findings() for c in checks]
    assert all(c.position < demo.store.max_position() for c in checks)


# ------------------------------------------------------------------------ verify before signing
def _forge(demo: Demo, code: str, *, rogue: bool) -> int:
    """A row written behind the ledger's back after the checkpoint: a refusal signed by an
    unregistered key, or by the officer's own key but not linked to the file's head."""
    key = signer(99) if rogue else demo.cast.officer
    return tamper.append_forged(
        demo.ledger, code, key, occurred=NOW, recorded=NOW, prev_hash=None if rogue else "00" * 32
    )


@pytest.mark.parametrize("rogue", [True, False])
def test_a_forged_row_is_not_signed_over(demo: Demo, rogue: bool) -> None:
    add_files(demo.ledger, demo.cast, T0 + timedelta(hours=5), 3)  # honest events first
    code = demo.codes[0]
    version = _forge(demo, code, rogue=rogue)
    demo.log.integrate()
    checkpoints = len(demo.log.checkpoints())
    with pytest.raises(Refused) as refused:
        verify_uncovered(demo.log, demo.cast.authority.public_key)
    message = str(refused.value)
    assert f"file {code} version {version}" in message, message
    assert ("not registered" if rogue else "prev_hash") in message, message
    assert len(demo.log.checkpoints()) == checkpoints


def test_honest_new_events_verify_before_signing(demo: Demo) -> None:
    before = demo.log.size()
    add_files(demo.ledger, demo.cast, T0 + timedelta(hours=5), 3)
    demo.ledger.execute(  # a file already covered by the checkpoint goes on
        demo.codes[0],
        signer=demo.cast.officer2,
        actor="binh",
        at=T0 + timedelta(hours=6),
        command=partial(_hand_back, at=T0 + timedelta(hours=6)),
    )
    demo.log.integrate()
    verified = verify_uncovered(demo.log, demo.cast.authority.public_key)
    assert verified == demo.log.size() - before > 3
    demo.log.make_checkpoint(LOG_SIGNER, NOW)
    assert verify_uncovered(demo.log, demo.cast.authority.public_key) == 0


def _hand_back(f: AdministrativeFile, *, at: datetime) -> None:
    f.hand_off(actor="binh", to=Desk("an", "mot-cua", UNIT), note="", at=at)


def test_every_edited_row_is_counted_and_the_first_are_named(
    demo: Demo, host: ProjectionHost
) -> None:
    host.catch_up_all()
    db_sql.run(demo.store, "UPDATE hoso_p_actions SET actor = 'x'")
    files, actions = verify_projections(host)
    assert files.ok
    assert actions.count == actions.rows == demo.store.max_position()
    assert len(actions.differences) == SHOWN
    assert {(d.column, d.live) for d in actions.differences} == {("actor", "x")}
    assert f"(and {actions.count - 1} more rows)" in actions.findings()[0]


def test_a_read_model_that_moves_meanwhile_is_followed(demo: Demo, host: ProjectionHost) -> None:
    host.catch_up_all()
    moved: list[int] = []

    def meanwhile(_n: int) -> None:  # the live projection follows a new file mid-verification
        if not moved:
            add_files(demo.ledger, demo.cast, T0 + timedelta(hours=5), 1)
            host.catch_up_all()
            moved.append(demo.store.max_position())

    checks = verify_projections(host, progress=meanwhile)
    assert moved and all(c.ok for c in checks), [c.findings() for c in checks]
    assert [c.position for c in checks] == [moved[0]] * 2
