"""The Merkle log's storage, on both backends: leaves in log order with their entries, each
file's leaves and coverage, the feed's pages, checkpoints and cosignatures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.chain.service import Ledger
from ledger.errors import NotFound
from ledger.log import merkle
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from signing import generate_private_key
from signing.note import NoteSigner
from signing.registry import REGISTRY_STREAM
from tests.support.cast import ORIGIN, T0, Cast
from tests.support.lifecycle import receive_file

SIGNER = NoteSigner(ORIGIN, generate_private_key(bytes([7]) * 32))


@pytest.fixture
def two_files(ledger: Ledger, cast: Cast) -> tuple[MerkleLog, str, str]:
    first = receive_file(ledger, cast, T0 + timedelta(hours=1))
    second = receive_file(ledger, cast, T0 + timedelta(hours=2))
    log = MerkleLog(ledger.store, ORIGIN)
    log.integrate()
    return log, first, second


def all_notifications(store: EventStore) -> list[tuple[str, int, bytes]]:
    return [
        (str(n.originator_id), n.originator_version, n.state)
        for n in store.notifications(1, 10_000)
    ]


def test_leaves_are_the_events_in_insert_order(two_files: tuple[MerkleLog, str, str]) -> None:
    log, _first, _second = two_files
    events = all_notifications(log.store)
    leaves = log.leaf_rows(0, 10_000)
    assert log.size() == len(leaves) == len(events)
    assert [(leaf.stream, leaf.version) for leaf in leaves] == [(s, v) for s, v, _ in events]
    assert [leaf.leaf_index for leaf in leaves] == list(range(len(events)))
    assert [leaf.leaf_hash for leaf in leaves] == [merkle.leaf_hash(st) for _, _, st in events]
    assert log.leaf_rows(1, 2) == leaves[1:3]
    assert log.last_position() == leaves[-1].position


def test_feed_pages_through_the_log(two_files: tuple[MerkleLog, str, str]) -> None:
    log, _first, _second = two_files
    everything = log.feed(-1, 10_000)
    assert [i for i, _ in everything] == list(range(log.size()))
    assert [e for _, e in everything] == log.entries(0, log.size())
    assert log.feed(0, 2) == everything[1:3]
    assert log.feed(log.size() - 1, 5) == []


def test_a_files_leaves_entries_and_coverage(two_files: tuple[MerkleLog, str, str]) -> None:
    log, first, second = two_files
    events = log.store.stream(first)
    leaves = log.leaves_of(first)
    assert sorted(leaves) == [e.originator_version for e in events]
    entries = log.stream_entries(first, log.size())
    assert [e for _, e in entries] == [e.state for e in events]
    assert [i for i, _ in entries] == [leaves[e.originator_version] for e in events]
    assert log.coverage(first, log.size()) == (len(events), len(events))
    before_second = min(log.leaves_of(second).values())
    assert log.coverage(second, before_second) == (0, len(log.store.stream(second)))
    assert log.coverage("no-such-file", log.size()) == (0, 0)
    assert log.leaves_of("no-such-file") == {}
    assert log.stream_entries(REGISTRY_STREAM, 0) == []


def test_checkpoints_and_cosignatures(two_files: tuple[MerkleLog, str, str]) -> None:
    log, _first, _second = two_files
    assert log.latest_checkpoint() is None and log.checkpoints() == []
    made = log.make_checkpoint(SIGNER, T0 + timedelta(days=1))
    assert made.size == log.size() and made.root == log.root()
    assert log.make_checkpoint(SIGNER, T0 + timedelta(days=2)) == made  # unchanged tree
    assert log.checkpoint_at(made.size) == made == log.latest_checkpoint()
    with pytest.raises(NotFound):
        log.checkpoint_at(made.size + 1)
    assert log.last_cosigned_size("w1") == 0
    log.add_cosignature(made.size, "w1", "— w1 line\n")
    log.add_cosignature(made.size, "w1", "— w1 other\n")  # the first one stays
    log.add_cosignature(made.size, "w0", "— w0 line\n")
    assert log.last_cosigned_size("w1") == made.size
    assert log.cosigned_note(made.size) == made.note + "— w0 line\n— w1 line\n"
    with pytest.raises(NotFound):
        log.add_cosignature(made.size + 1, "w1", "— w1 line\n")
