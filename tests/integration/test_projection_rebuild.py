"""Rebuilding in batches (both backends): the same rows as event by event, whatever the batch
size; a failure mid-batch stops at the last good event with nothing of the failing event
written; a write that fails mid-rebuild leaves position and rows consistent, and catching up
afterwards ends where a clean rebuild ends. The fast decoder agrees with the ledger's own."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from ledger.encoding.fast.event import decode_event, reference
from ledger.errors import MalformedEnvelope
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from projections.engine.runtime import ProjectionHost
from projections.errors import ProjectionFailed
from projections.models import recorders
from projections.models.handlers import NAMES
from tests.support.cast import Cast, make_ledger
from tests.support.projections import host_for, pg_url_of, random_history, snapshot


def cast_ledger(host: ProjectionHost) -> Any:
    """What ``host_for`` reads of a ledger (its calendar), for a host opened again."""
    return SimpleNamespace(calendar=host.calendar)


def _host(store: EventStore, cast: Cast, steps: int, seed: int) -> tuple[ProjectionHost, Any]:
    """A random history, projected event by event; the snapshot after every event."""
    ledger = make_ledger(store, cast)
    host = host_for(store, ledger, None if store.dialect == "sqlite" else pg_url_of(store))
    host.catch_up_all()
    after: dict[int, Any] = {store.max_position(): snapshot(store)}

    def each() -> None:
        host.catch_up_all()
        after[store.max_position()] = snapshot(store)

    random_history(ledger, cast, random.Random(seed), steps, each)
    return host, after


def test_rebuild_in_batches_gives_the_rows_of_event_by_event(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, after = _host(store, cast, 30, seed=11)
    head = store.max_position()
    live = after[head]
    assert live["actions"][0], "the history wrote something"
    for batch in (1, 3, 7, 2000):
        for name in NAMES:  # start from nothing, then one pass for both projections
            host.views[name].reset(host.tracking_table(name))
        host.catch_up_all(batch=batch)
        assert snapshot(store) == live, f"batch of {batch}"
    for few in (1, 10**9):  # PostgreSQL: COPY and staging for every batch, or never
        monkeypatch.setattr(recorders, "FEW", few)
        assert host.rebuild_all() == dict.fromkeys(NAMES, head)
        assert snapshot(store) == live, f"FEW = {few}"
    assert all(s.position == head and s.lag == 0 for s in host.status())
    host.close()


def _from_nothing(host: ProjectionHost) -> None:
    """The live read models emptied, as before their first catch-up."""
    for name in NAMES:
        host.views[name].reset(host.tracking_table(name))


def _asides(store: EventStore) -> list[str]:
    """The rebuild tables left in the database (there should be none)."""
    if store.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) = ?"
        return [str(r["name"]) for r in db_sql.rows(store, sql, ("hoso_r_",))]
    sql = (
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() "
        "AND substr(tablename, 1, 7) = ?"
    )
    return [str(r["name"]) for r in db_sql.rows(store, sql, ("hoso_r_",))]


@pytest.mark.parametrize("when", ["before", "after", "midway"])
def test_a_failure_mid_batch_stops_at_the_last_good_event(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    host, after = _host(store, cast, 25, seed=5)
    head = store.max_position()
    # In the middle of the one batch below, on a file with earlier events in that batch.
    bad = max(
        n.id
        for n in store.notifications(1, 10_000)
        if n.originator_version > 1 and n.originator_id != "KEYS" and n.id < head - 1
    )
    handler = host.handlers["files"]
    real = handler.ops

    def explode(item: Any, position: int) -> Any:
        if position == bad:
            if when == "after":
                real(item, position)  # the cached file now holds the failing event
            if when == "midway":  # an apply that raised halfway: state changed, version not
                handler._files[item.stream].apologies += 99  # type: ignore[attr-defined]  # FilesHandler's cache
            raise ValueError("boom")
        return real(item, position)

    monkeypatch.setattr(handler, "ops", explode)
    _from_nothing(host)
    with pytest.raises(ProjectionFailed) as caught:
        host.catch_up_all()
    assert (caught.value.name, caught.value.position) == ("files", bad)
    status = {s.name: s for s in host.status()}
    assert status["files"].position == bad - 1
    assert status["files"].failed_position == bad and "boom" in (status["files"].error or "")
    # The files rows are exactly those of the events before the failing one ...
    assert snapshot(store)["files"] == after[bad - 1]["files"]
    # ... and the other projection went on to the head.
    assert status["actions"].position == head and status["actions"].error is None
    assert snapshot(store)["actions"] == after[head]["actions"]
    monkeypatch.setattr(handler, "ops", real)
    assert host.catch_up_all() == {"files": head - bad + 1, "actions": 0}
    assert snapshot(store) == after[head]
    assert all(s.failed_position is None for s in host.status())
    host.close()


def test_a_rebuild_that_fails_halfway_leaves_the_live_read_model_serving(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the rebuild is built aside; one event it cannot apply halfway through changes
    nothing live (rows, positions, failures), leaves no aside table behind, and a rebuild
    that then succeeds swaps in the same rows."""
    host, after = _host(store, cast, 25, seed=5)
    head = store.max_position()
    live = snapshot(store)
    assert live == after[head] and live["files"][0]
    bad = head // 2
    fresh = host.fresh_handler

    def exploding(name: str) -> Any:
        made = fresh(name)
        if name == "files":
            real = made.ops

            def explode(item: Any, position: int) -> Any:
                if position == bad:
                    raise ValueError("boom")
                return real(item, position)

            monkeypatch.setattr(made, "ops", explode)
        return made

    monkeypatch.setattr(host, "fresh_handler", exploding)
    with pytest.raises(ProjectionFailed) as caught:
        host.rebuild_all(batch=4)  # several pages: the writer thread is at work
    assert (caught.value.name, caught.value.position) == ("files", bad)
    assert snapshot(store) == live
    assert all(s.position == head and s.failed_position is None for s in host.status())
    assert _asides(store) == []
    monkeypatch.setattr(host, "fresh_handler", fresh)
    assert host.rebuild_all() == dict.fromkeys(NAMES, head)
    assert snapshot(store) == live and _asides(store) == []
    host.close()


def test_a_write_failing_mid_rebuild_leaves_the_live_read_model_serving(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, after = _host(store, cast, 25, seed=8)
    head = store.max_position()
    view = host.views["files"]
    real = view._insert_tracking
    writes: list[int] = []

    def crash(curs: Any, tracking: Any) -> None:  # inside the transaction, after the rows
        writes.append(tracking.notification_id)
        if len(writes) == 3:  # the database goes away during the third batch's transaction
            raise OSError("connection lost")
        real(curs, tracking)

    monkeypatch.setattr(view, "_insert_tracking", crash)
    with pytest.raises(ProjectionFailed):
        host.rebuild_all(batch=4)  # several pages: the writer thread is at work
    # The live read model never saw the rebuild: its rows and position are the head's.
    assert host.position("files") == head
    assert snapshot(store) == after[head]
    assert _asides(store) == []
    monkeypatch.setattr(view, "_insert_tracking", real)
    host.rebuild_all(batch=4)
    assert snapshot(store) == after[head]
    assert host.position("files") == head
    host.close()


def test_a_killed_rebuilds_leftovers_are_dropped_by_the_next(store: EventStore, cast: Cast) -> None:
    host, after = _host(store, cast, 10, seed=3)
    head = store.max_position()
    for name in NAMES:  # what a rebuild killed halfway leaves: aside tables and a position
        view = host.views[name]
        view.create_aside(host.tracking_table(name), f"{view.tracking_name}:rebuild")
    assert len(_asides(store)) == 4
    assert snapshot(store) == after[head]  # the live read models still serve
    assert host.rebuild_all() == dict.fromkeys(NAMES, head)
    assert snapshot(store) == after[head] and _asides(store) == []
    host.close()


def test_the_fast_decoder_agrees_with_the_ledger_decoder(store: EventStore, cast: Cast) -> None:
    ledger = make_ledger(store, cast)
    random_history(ledger, cast, random.Random(2), 30, lambda: None)
    stored = [n.state for n in store.notifications(1, 10_000)]
    types = set()
    for data in stored:
        decoded = decode_event(data)
        assert decoded == reference(data)
        types.add(decoded.type)
    assert len(types) >= 5, types
    sample = stored[-1]
    doc = orjson.loads(sample)
    mutations = [
        sample.replace(b'{"', b'{ "', 1),  # whitespace
        sample + b" ",
        orjson.dumps({**doc, "version": 2**53}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "version": 1.0}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "v": True}, option=orjson.OPT_SORT_KEYS),  # True == 1
        orjson.dumps({**doc, "type": "NoSuchEvent"}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "type": ["FileReceived"]}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "prev_hash": "A" * 64}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "sig": "not base64!"}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "sig": doc["sig"][:85] + "B=="}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({**doc, "sig": doc["sig"][:84] + "==="}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps(
            {**doc, "occurred_at": "2026-02-30T00:00:00.000000Z"}, option=orjson.OPT_SORT_KEYS
        ),
        orjson.dumps({**doc, "payload": {**doc["payload"], "x": 1}}, option=orjson.OPT_SORT_KEYS),
        orjson.dumps({k: v for k, v in doc.items() if k != "actor"}, option=orjson.OPT_SORT_KEYS),
    ]
    for data in mutations:
        with pytest.raises(MalformedEnvelope):
            reference(data)
        with pytest.raises(MalformedEnvelope):
            decode_event(data)


def test_a_long_catch_up_refreshes_the_planner_statistics(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: right after a rebuild PostgreSQL planned the citizen lookup with a sequential
    scan of every step (no statistics yet); a long catch-up now ends with ANALYZE."""
    from projections.engine import runtime

    ledger = make_ledger(store, cast)
    random_history(ledger, cast, random.Random(5), 10, lambda: None)
    host = host_for(store, ledger, None if store.dialect == "sqlite" else pg_url_of(store))

    def analyzed() -> set[str]:
        if store.dialect == "sqlite":
            if not db_sql.rows(store, "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"):
                return set()  # ANALYZE never ran in this database
            return {str(r["tbl"]) for r in db_sql.rows(store, "SELECT tbl FROM sqlite_stat1")}
        rows = db_sql.rows(
            store,
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND last_analyze IS NOT NULL",
        )
        return {str(r["relname"]) for r in rows}

    monkeypatch.setattr(runtime, "ANALYZE_AFTER", 10**9)
    host.rebuild_all()
    assert "hoso_p_steps" not in analyzed()
    monkeypatch.setattr(runtime, "ANALYZE_AFTER", 1)
    host.rebuild_all()
    assert {"hoso_p_files", "hoso_p_steps", "hoso_p_holdings", "hoso_p_actions"} <= analyzed()
    host.close()


def test_a_read_model_of_an_older_version_is_rebuilt_when_opened(
    store: EventStore, cast: Cast
) -> None:
    """Issue 17 added columns to the files' table: a table made before them (and its position)
    is dropped when the projections open, and following rebuilds it from the first event."""
    host, after = _host(store, cast, 12, seed=5)
    head = store.max_position()
    host.close()
    for column in ("processing_ended_at", "late_by_supplement", "signed_at"):
        db_sql.run(store, f"ALTER TABLE hoso_p_files DROP COLUMN {column}")
    old = {str(r["code"]) for r in db_sql.rows(store, "SELECT code FROM hoso_p_files")}
    assert old  # the old rows are there, without the new columns
    reopened = host_for(
        store, cast_ledger(host), None if store.dialect == "sqlite" else pg_url_of(store)
    )
    assert reopened.position("files") == 0  # forgotten with the old table
    assert db_sql.rows(store, "SELECT code FROM hoso_p_files") == []
    assert reopened.position("actions") == head  # the other read model is untouched
    reopened.catch_up_all()
    assert snapshot(store) == after[head]
    reopened.close()
