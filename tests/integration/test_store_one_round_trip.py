"""PostgreSQL: events without side rows are inserted in one round trip (lock, notify, insert as
one simple-protocol query, one implicit transaction), with the library's path for the rest.

The same table, the same rows, the same notification ids, the same conflict, the same NOTIFY
as ``insert_events``: these tests read it all back through the library and the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg.rows import tuple_row

from ledger.errors import ConflictError
from ledger.store.events import _WITH_TAIL_PG, EventStore
from ledger.store.opening import open_postgres
from ledger.store.postgres import SidePostgresRecorder
from signing.registry import REGISTRY_STREAM
from tests.support.postgres import PG_URL

pytestmark = pytest.mark.postgres

# Every byte value, quotes and backslashes: the hex literal must carry them all unchanged.
AWKWARD = bytes(range(256)) + b"'\\'' \\x00 $$ ;"


@pytest.fixture
def pg(pg_schema: str) -> Iterator[EventStore]:
    s = open_postgres(pg_schema, pool_size=2)
    yield s
    s.close()


def recorder(store: EventStore) -> SidePostgresRecorder:
    assert isinstance(store.recorder, SidePostgresRecorder)
    return store.recorder


def ev(
    stream: str, version: int, state: bytes = b"{}", topic: str = "FileHandedOff"
) -> StoredEvent:
    return StoredEvent(stream, version, topic, state)


def test_eligible_events_take_one_round_trip_and_read_back_unchanged(pg: EventStore) -> None:
    pg.append([ev("PBD-260303-0001", 1)])  # through the store: position 1
    batch = [ev("PBD-260303-0001", 2, AWKWARD), ev("PBD-260303-0002", 1, b""), ev("x.y:z_", 1)]
    ids = recorder(pg).insert_in_one_round_trip(batch)
    assert ids == [2, 3, 4]
    assert [bytes(e.state) for e in pg.stream("PBD-260303-0001")] == [b"{}", AWKWARD]
    found = pg.notifications(1, 10)
    assert [(n.id, n.originator_id, n.originator_version, n.topic) for n in found] == [
        (1, "PBD-260303-0001", 1, "FileHandedOff"),
        (2, "PBD-260303-0001", 2, "FileHandedOff"),
        (3, "PBD-260303-0002", 1, "FileHandedOff"),
        (4, "x.y:z_", 1, "FileHandedOff"),
    ]
    assert bytes(found[2].state) == b""


def test_a_duplicate_writes_nothing_of_its_batch(pg: EventStore) -> None:
    pg.append([ev("A-1", 1)])
    with pytest.raises(ConflictError):
        pg.append([ev("B-1", 1), ev("A-1", 1), ev("C-1", 1)])
    with pytest.raises(ConflictError):
        pg.append([ev("D-1", 1), ev("D-1", 1)])
    assert [n.originator_id for n in pg.notifications(1, 10)] == ["A-1"]
    assert pg.append([ev("B-1", 1)]) is not None  # the connection is usable afterwards
    assert pg.max_position() >= 2


@pytest.mark.parametrize(
    "stream", ["Đ-260303-0001", "A'1", "A 1", "A\\1", "A;1", "", "x" * 201], ids=repr
)
def test_other_ids_take_the_library_path_and_are_stored_the_same(
    pg: EventStore, stream: str
) -> None:
    batch = [ev(stream, 1, b"state")]
    assert recorder(pg).insert_in_one_round_trip(batch) is None
    assert pg.max_position() == 0  # nothing written by the refusal
    assert pg.append(batch) is not None
    assert [(e.originator_id, bytes(e.state)) for e in pg.stream(stream)] == [(stream, b"state")]


def test_odd_topics_and_empty_batches_take_the_library_path(pg: EventStore) -> None:
    assert recorder(pg).insert_in_one_round_trip([ev("A-1", 1, topic="Bad'Topic")]) is None
    assert recorder(pg).insert_in_one_round_trip([]) is None
    pg.append([ev("A-1", 1, topic="Bad'Topic")])
    assert pg.stream("A-1")[0].topic == "Bad'Topic"


def test_listeners_are_notified(pg: EventStore) -> None:
    channel = recorder(pg).channel_name
    with psycopg.connect(PG_URL, autocommit=True) as listener:
        listener.execute(psycopg.sql.SQL("LISTEN {0}").format(psycopg.sql.Identifier(channel)))
        assert recorder(pg).insert_in_one_round_trip([ev("A-1", 1)]) == [1]
        got = list(listener.notifies(timeout=5, stop_after=1))
    # channels are the database's, not the schema's: another ledger's insert on the same
    # database (a parallel test run) may arrive beside ours, never instead of it
    assert got and {n.channel for n in got} == {channel}


def tail_plan(conn: psycopg.Connection[Any], stream: str) -> str:
    sql = _WITH_TAIL_PG.replace("%s", "{}")
    query = sql.format(f"'{stream}'", 0, f"'{REGISTRY_STREAM}'", 0)
    rows = conn.cursor(row_factory=tuple_row).execute(f"EXPLAIN {query}").fetchall()
    return "\n".join(str(row[0]) for row in rows)


def test_the_store_never_plans_parallel_workers_for_a_files_rows(
    pg: EventStore, pg_schema: str
) -> None:
    """Regression: on a table never analyzed, at about 50,000 events, the planner started two
    parallel workers for a command's tail read (6-8 ms and a core's CPU instead of 0.1 ms).
    Such a table, filled here in one statement: a plain connection plans the workers (the
    control), the store's own connections must not."""
    schema = pg_schema.split("schema=", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as plain:
        plain.execute(f'SET search_path TO "{schema}"')
        plain.execute(
            "INSERT INTO hoso_events (originator_id, originator_version, topic, state) "
            "SELECT 'PBD-260303-' || lpad((i / 50)::text, 4, '0'), i % 50 + 1, "
            "'FileHandedOff', convert_to(repeat('x', 600), 'UTF8') "
            "FROM generate_series(0, 59999) AS i"
        )
        plain.execute("SET max_parallel_workers_per_gather = 2")  # PostgreSQL's default
        assert "Gather" in tail_plan(plain, "PBD-260303-0007")  # the control
    with pg._datastore.get_connection() as conn:
        plan = tail_plan(conn, "PBD-260303-0007")
    assert "Gather" not in plan and "Parallel" not in plan, plan


def test_the_lookups_connection_plans_no_parallel_workers_either(pg_schema: str) -> None:
    from projections.models.reader import PostgresReader

    reads = PostgresReader(pg_schema)
    try:
        rows = reads.query("SELECT current_setting('max_parallel_workers_per_gather') AS n", ())
    finally:
        reads.close()
    assert [dict(r) for r in rows] == [{"n": "0"}]
