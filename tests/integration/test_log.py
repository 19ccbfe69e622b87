"""The integrator and checkpoints on both backends: dense, crash-safe, resumable, concurrent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from domain.calendar import vietnam_calendar
from ledger.chain.service import Ledger
from ledger.errors import ConflictError, LogError, ProofRequestError, StoreError
from ledger.log import integrator as log_integrator
from ledger.log import merkle
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files


def _all_entries(store: EventStore) -> list[bytes]:
    return [n.state for n in store.notifications(1, 100_000)]


@pytest.fixture
def filled(store: EventStore, cast: Cast) -> EventStore:
    ledger = make_ledger(store, cast)
    add_files(ledger, cast, T0 + timedelta(hours=1), 8)
    return store


def test_leaves_are_the_events_in_order(filled: EventStore) -> None:
    log = MerkleLog(filled, ORIGIN)
    committed: list[int] = []
    assert log.integrate(batch=7, on_batch=committed.append) == len(_all_entries(filled))
    assert sum(committed) == len(_all_entries(filled))
    assert all(n == 7 for n in committed[:-1]) and 0 < committed[-1] <= 7
    entries = _all_entries(filled)
    assert log.entries(0, log.size()) == entries
    expected = merkle.root_of([merkle.leaf_hash(e) for e in entries])
    assert log.root() == expected
    for index in (0, 5, log.size() - 1):
        proof = log.inclusion_proof(index, log.size())
        merkle.verify_inclusion(
            merkle.leaf_hash(entries[index]), index, log.size(), proof, expected
        )
    assert log.integrate() == 0  # nothing new: idempotent


def test_a_crash_mid_integration_neither_skips_nor_repeats(
    filled: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = MerkleLog(filled, ORIGIN)
    real = log_integrator.write_nodes
    calls = {"n": 0}

    def crash_on_third(curs: object, dialect: str, nodes: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the third batch's leaves are already sent in its transaction
            raise StoreError("power cut")
        real(curs, dialect, nodes)

    monkeypatch.setattr(log_integrator, "write_nodes", crash_on_third)
    with pytest.raises(StoreError):
        log.integrate(batch=5)
    assert log.size() == 10  # two whole batches, the third rolled back entirely
    leaves = db_sql.rows(filled, "SELECT COUNT(*) AS n FROM hoso_log_leaves")[0]["n"]
    assert int(leaves) == 10  # no partial leaves of the crashed batch
    nodes = db_sql.rows(filled, "SELECT level, idx FROM hoso_log_nodes ORDER BY level, idx")
    assert all((int(r["idx"]) + 1) << int(r["level"]) <= 10 for r in nodes)
    monkeypatch.setattr(log_integrator, "write_nodes", real)
    log.integrate(batch=5)
    entries = _all_entries(filled)
    assert log.size() == len(entries)
    assert log.root() == merkle.root_of([merkle.leaf_hash(e) for e in entries])


def test_stored_rows_are_exactly_the_pure_tree(filled: EventStore) -> None:
    """The COPY (PostgreSQL) and executemany (SQLite) writers store the same rows: every leaf
    with its event's position, stream and version, and every complete subtree of the pure tree."""
    log = MerkleLog(filled, ORIGIN)
    log.integrate(batch=6)
    notes = list(filled.notifications(1, 100_000))
    reader = merkle.ListReader.from_entries(n.state for n in notes)
    leaves = db_sql.rows(
        filled,
        "SELECT leaf_index, position, stream, version, leaf_hash FROM hoso_log_leaves "
        "ORDER BY leaf_index",
    )
    assert [
        (
            int(r["leaf_index"]),
            int(r["position"]),
            r["stream"],
            int(r["version"]),
            bytes(r["leaf_hash"]),
        )
        for r in leaves
    ] == [
        (j, n.id, n.originator_id, n.originator_version, reader.subtree(0, j))
        for j, n in enumerate(notes)
    ]
    nodes = db_sql.rows(filled, "SELECT level, idx, hash FROM hoso_log_nodes ORDER BY level, idx")
    size = len(notes)
    assert [(int(r["level"]), int(r["idx"]), bytes(r["hash"])) for r in nodes] == [
        (lv, i, reader.subtree(lv, i))
        for lv in range(1, size.bit_length())
        for i in range(size >> lv)
    ]


def test_a_proof_past_the_stored_size_is_refused(filled: EventStore) -> None:
    log = MerkleLog(filled, ORIGIN)
    log.integrate()
    n = log.size()
    # The proof of leaf n in a tree of n + 1 reads only subtrees of the first n leaves, which
    # are all stored: only the size check (the last leaf, fetched with them) refuses it.
    with pytest.raises(LogError, match=f"has {n} leaves"):
        log.inclusion_proof(n, n + 1)
    with pytest.raises(LogError, match=f"has {n} leaves"):
        log.consistency_proof(n, n + 1)
    with pytest.raises(LogError, match=f"has {n} leaves"):  # the size is reported first
        log.inclusion_proof(n + 5, n + 1)
    with pytest.raises(ProofRequestError):
        log.inclusion_proof(n, n)
    assert log.inclusion_proof(n - 1, n) == merkle.ListReader.from_entries(
        _all_entries(filled)
    ).inclusion_proof(n - 1, n)


def test_concurrent_integrators_agree(filled: EventStore) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            MerkleLog(filled, ORIGIN).integrate(batch=3)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    log = MerkleLog(filled, ORIGIN)
    entries = _all_entries(filled)
    assert log.size() == len(entries)
    assert log.root() == merkle.root_of([merkle.leaf_hash(e) for e in entries])


def _ledger(store: EventStore, cast: Cast) -> Ledger:
    return Ledger(
        store, origin=ORIGIN, authority_key=cast.authority.public_key, calendar=vietnam_calendar()
    )


def test_gaps_in_notification_ids_are_not_holes(filled: EventStore, cast: Cast) -> None:
    log = MerkleLog(filled, ORIGIN)
    log.integrate()
    before = filled.max_position()
    duplicate = filled.stream("KEYS")[1]
    with pytest.raises(ConflictError):  # a refused insert...
        filled.append([duplicate])
    add_files(_ledger(filled, cast), cast, T0 + timedelta(hours=3), 1)
    positions = [n.id for n in filled.notifications(before + 1, 100)]
    if filled.dialect == "postgresql":
        assert positions[0] > before + 1  # ...consumed an id on PostgreSQL: a gap
    log.integrate()
    rows = db_sql.rows(
        filled, "SELECT leaf_index, position FROM hoso_log_leaves ORDER BY leaf_index"
    )
    assert [int(r["leaf_index"]) for r in rows] == list(range(log.size()))
    assert [int(r["position"]) for r in rows][-len(positions) :] == positions
    assert log.size() == len(_all_entries(filled))


def test_checkpoint_policy_and_history(filled: EventStore, cast: Cast) -> None:
    log = MerkleLog(filled, ORIGIN)
    assert not log.checkpoint_due(NOW, every_seconds=60, every_entries=1000)  # nothing integrated
    log.integrate()
    assert log.checkpoint_due(NOW, every_seconds=60, every_entries=1000)  # the first one is due
    first = log.make_checkpoint(LOG_SIGNER, NOW)
    assert log.make_checkpoint(LOG_SIGNER, NOW) == first  # unchanged tree: the same checkpoint
    add_files(_ledger(filled, cast), cast, T0 + timedelta(hours=3), 1)
    log.integrate()
    soon = NOW + timedelta(seconds=59)
    assert not log.checkpoint_due(soon, every_seconds=60, every_entries=1000)
    assert log.checkpoint_due(soon, every_seconds=60, every_entries=1)  # enough entries
    assert log.checkpoint_due(NOW + timedelta(seconds=60), every_seconds=60, every_entries=1000)
    second = log.make_checkpoint(LOG_SIGNER, NOW + timedelta(seconds=60))
    assert [c.size for c in log.checkpoints()] == [first.size, second.size]  # each one kept
    for stored in (first, second):
        checkpoint = log.verified_checkpoint(stored, LOG_VERIFIER)
        assert (checkpoint.size, checkpoint.root) == (stored.size, stored.root)
        assert checkpoint.extensions[0].startswith("hoso-keys ")
    proof = log.consistency_proof(first.size, second.size)
    merkle.verify_consistency(first.size, second.size, proof, first.root, second.root)
