"""Tamper classes of issue 15 the checks catch, on SQLite and PostgreSQL: an edited interior node
of the Merkle log, a checkpoint row that disagrees with its note, an audit of nothing, an edited
read-model row, and a forged row the bundle path refuses to sign over.
"""

from __future__ import annotations

import pytest

from ledger.audit.full import full_audit_report
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from tests.integration.test_tamper_matrix import Demo, assert_fails
from tests.integration.test_tamper_matrix import demo as demo  # the matrix's fixture
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, ORIGIN, Cast, make_ledger

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
