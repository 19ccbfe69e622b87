"""The event store's contract, on both backends: append, read by stream, tail and head, counts;
a duplicate (stream, version) is a conflict that writes nothing; no update or delete path."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.errors import ConflictError
from ledger.store.events import EventStore
from ledger.store.side_tables import FilePins


def ev(stream: str, version: int, state: bytes = b"") -> StoredEvent:
    return StoredEvent(stream, version, "Thing", state or f"{stream}/{version}".encode())


def test_append_then_read_back_in_version_order(store: EventStore) -> None:
    store.append([ev("A", 1), ev("A", 2), ev("B", 1)])
    store.append([ev("A", 3)])
    assert [e.originator_version for e in store.stream("A")] == [1, 2, 3]
    assert [e.state for e in store.stream("A", gt=1)] == [b"A/2", b"A/3"]
    assert store.stream("none") == []
    by_stream = store.streams(["B", "A", "none", "A"])
    assert set(by_stream) == {"A", "B"}
    assert [e.originator_version for e in by_stream["A"]] == [1, 2, 3]


def test_stream_with_reads_a_tail_and_another_streams_news_together(store: EventStore) -> None:
    store.append([ev("A", 1), ev("A", 2), ev("R", 1), ev("R", 2), ev("R", 3)])
    mine, theirs = store.stream_with("A", "R", other_after=1, after=1)
    assert [e.originator_version for e in mine] == [2]
    assert [e.originator_version for e in theirs] == [2, 3]
    same, again = store.stream_with("R", "R", other_after=2)
    assert [e.originator_version for e in same] == [1, 2, 3]
    assert [e.originator_version for e in again] == [3]


def test_notifications_and_head_follow_insert_order(store: EventStore) -> None:
    assert store.max_position() == 0
    store.append([ev("B", 1)])
    store.append([ev("A", 1), ev("A", 2)])
    page = store.notifications(1, 10)
    assert [(n.originator_id, n.originator_version) for n in page] == [("B", 1), ("A", 1), ("A", 2)]
    assert store.max_position() == page[-1].id
    assert [n.id for n in store.notifications(page[1].id, 1)] == [page[1].id]


def test_counts_of_a_stream_and_after_a_position(store: EventStore) -> None:
    store.append([ev("A", 1), ev("A", 2), ev("B", 1)])
    assert (store.stream_length("A"), store.stream_length("B"), store.stream_length("C")) == (
        2,
        1,
        0,
    )
    first = store.notifications(1, 1)[0].id
    assert store.count_after(0) == 3
    assert store.count_after(first) == 2
    assert store.count_after(store.max_position()) == 0


def test_a_duplicate_version_conflicts_and_writes_nothing(store: EventStore) -> None:
    store.append([ev("A", 1)])
    with pytest.raises(ConflictError):
        store.append([ev("A", 2), ev("A", 1)], [FilePins.adding("A", "hash")])
    assert [e.originator_version for e in store.stream("A")] == [1]
    assert FilePins(store).pin_hash("A") is None  # the side row went with the events
    with pytest.raises(ConflictError):
        store.append_batch([ev("B", 1), ev("A", 1)])
    assert store.stream("B") == []


def test_the_store_offers_no_update_delete_or_raw_statement(store: EventStore) -> None:
    public = {name for name in dir(store) if not name.startswith("_")}
    assert not {n for n in public if "update" in n or "delete" in n or "remove" in n}
    assert not public & {"query", "execute", "write", "write_batches"}
