"""The rebuild spread over processes (issue 19, ``projections.engine.partitions``), on
PostgreSQL: the same rows as one process gives, each file's events in one partition, the key
registry's actions listed once, one position (the head) and no partition's position or aside
table left; a partition that fails changes nothing live and says which event stopped it."""

from __future__ import annotations

import pickle
import random
from collections.abc import Iterator

import pytest

from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.opening import open_postgres
from projections.engine.partitions import PARALLEL_CORES, PARALLEL_FROM, default_workers
from projections.engine.runtime import ProjectionHost
from projections.errors import ProjectionFailed
from projections.models.handlers import NAMES
from signing.registry import REGISTRY_STREAM
from tests.support.cast import Cast, make_ledger
from tests.support.projections import host_for, random_history, snapshot


@pytest.fixture
def pg_store(pg_schema: str) -> Iterator[tuple[EventStore, str]]:
    store = open_postgres(pg_schema)
    yield store, pg_schema
    store.close()


def _live(store: EventStore, cast: Cast, db: str) -> ProjectionHost:
    ledger = make_ledger(store, cast)
    host = host_for(store, ledger, db)
    random_history(ledger, cast, random.Random(23), 40, lambda: None)
    host.catch_up_all()
    return host


def _leftovers(store: EventStore, host: ProjectionHost) -> list[str]:
    """Aside tables and rebuild positions (a partition's or the rebuild's) still there."""
    tables = db_sql.rows(
        store,
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() "
        "AND substr(tablename, 1, 7) = 'hoso_r_'",
    )
    for table in sorted({host.tracking_table(name) for name in NAMES}):
        tables += db_sql.rows(
            store,
            f"SELECT application_name AS name FROM {table} WHERE application_name LIKE ?",
            ("%:rebuild%",),
        )
    return [str(r["name"]) for r in tables]


@pytest.mark.parametrize("workers", [2, 3])
def test_partitions_give_the_rows_of_one_process(
    pg_store: tuple[EventStore, str], cast: Cast, workers: int
) -> None:
    store, db = pg_store
    host = _live(store, cast, db)
    head = store.max_position()
    live = snapshot(store)
    registry = [
        r for r in live["actions"][0] if r["code"] == REGISTRY_STREAM
    ]  # the keys enrolled, each once
    assert registry and live["files"][0], "the history wrote something"
    reported: list[int] = []
    written = host.rebuild_all(batch=7, workers=workers, progress=reported.append)
    assert snapshot(store) == live  # several pages in each partition, the same rows
    assert sum(reported) >= head  # every event reported (the registry's by each partition)
    assert written["actions"] == head  # every event indexed once, the registry's included
    assert all(s.position == head and s.lag == 0 and s.error is None for s in host.status())
    assert _leftovers(store, host) == []
    host.catch_up_all()  # the followers go on from the rebuilt head
    assert snapshot(store) == live
    host.close()


def test_a_failed_partition_changes_nothing_live(
    pg_store: tuple[EventStore, str], cast: Cast
) -> None:
    store, db = pg_store
    host = _live(store, cast, db)
    live = snapshot(store)
    head = store.max_position()
    # An event no decoder takes (written behind the ledger's back): every rebuild stops at it.
    db_sql.run(
        store,
        "INSERT INTO hoso_events (originator_id, originator_version, topic, state) "
        "VALUES (?, 1, 'FileReceived', ?)",
        ("PBADINH-260302-9999", b"{not json"),
    )
    with pytest.raises(ProjectionFailed) as caught:
        host.rebuild_all(batch=7, workers=2)
    assert caught.value.position == head + 1 and caught.value.name in NAMES
    assert snapshot(store) == live
    assert all(s.position == head for s in host.status())
    assert _leftovers(store, host) == []
    host.close()


def test_the_failure_crosses_processes_whole() -> None:
    failed = pickle.loads(pickle.dumps(ProjectionFailed("files", 42, "ValueError: boom")))
    assert (failed.name, failed.position, failed.error) == ("files", 42, "ValueError: boom")
    assert str(failed) == "projection files stopped at event 42: ValueError: boom"


def test_a_short_log_or_sqlite_rebuilds_in_one_process(
    pg_store: tuple[EventStore, str], cast: Cast
) -> None:
    store, db = pg_store
    host = _live(store, cast, db)
    assert host.rebuild_workers() == 1  # far fewer events than PARALLEL_FROM
    host.close()


@pytest.mark.parametrize(
    ("postgres", "events", "cores", "workers"),
    [
        (True, 1_000_000, 8, 8),
        (True, PARALLEL_FROM, PARALLEL_CORES, PARALLEL_CORES),
        (True, 1_000_000, 2, 1),  # measured: no gain on 2 cores, 50 % more CPU
        (True, PARALLEL_FROM - 1, 8, 1),
        (False, 1_000_000, 8, 1),  # SQLite: one writer
    ],
)
def test_the_default_shares_out_a_long_log_on_four_cores_or_more(
    postgres: bool, events: int, cores: int, workers: int
) -> None:
    assert default_workers(postgres=postgres, events=events, cores=cores) == workers


def test_a_killed_parallel_rebuilds_positions_are_dropped_by_the_next(
    pg_store: tuple[EventStore, str], cast: Cast
) -> None:
    """A partition's position left by a killed rebuild would let the next one start past
    events: it is dropped before the partitions start."""
    store, db = pg_store
    host = _live(store, cast, db)
    live, head = snapshot(store), store.max_position()
    for name in NAMES:
        table, aside = host.tracking_table(name), f"{host.views[name].tracking_name}:rebuild"
        db_sql.run(
            store,
            f"INSERT INTO {table} (application_name, notification_id) VALUES (?, ?)",
            (f"{aside}:0", head),
        )
    host.rebuild_all(batch=5, workers=2)
    assert snapshot(store) == live and _leftovers(store, host) == []
    host.close()
