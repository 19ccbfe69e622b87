"""Proof latency on the log at size N: ``inclusion_proof`` and ``consistency_proof`` for random
leaves and sizes, each verified (timed apart), beside one indexed point ``SELECT`` (the floor of
one round trip) and ``size()``; the store queries per proof are counted on an untimed pass."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from rich.progress import Progress

from benchmarks.log_fill import SEED
from ledger.log import integrator as log_integrator
from ledger.log import merkle
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore


def summary(ns: list[int]) -> dict[str, float]:
    """p50, p99 and mean in microseconds."""
    ordered = sorted(ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_us": statistics.median(ordered) / 1e3,
        "p99_us": p99 / 1e3,
        "mean_us": statistics.fmean(ordered) / 1e3,
    }


def time_calls(fn: Callable[[], Any]) -> tuple[int, Any]:
    t0 = time.perf_counter_ns()
    out = fn()
    return time.perf_counter_ns() - t0, out


def proofs(log: MerkleLog, n: int, count: int, bar: Progress, round_: int = 0) -> dict[str, Any]:
    """One round of the proofs' figures at size ``n`` (each round its own random leaves)."""
    rng = random.Random(SEED + n + 7919 * round_)
    root = log.root(n)
    store = log.store
    point_sql = "SELECT leaf_hash AS h FROM hoso_log_leaves WHERE leaf_index = ?"

    # the floor: one indexed point SELECT through the same store path as ``subtree``
    task = bar.add_task("baseline: point SELECT", total=count)
    point: list[int] = []
    for _ in range(count):
        i = rng.randrange(n)
        dt, _rows = time_calls(lambda: db_sql.rows(store, point_sql, (i,)))  # noqa: B023
        point.append(dt)
        bar.advance(task)

    # what every proof pays first: ``_check_size`` calls ``size()`` (MAX(leaf_index) + 1)
    task = bar.add_task("MerkleLog.size()", total=count // 10)
    size_ns: list[int] = []
    for _ in range(count // 10):
        dt, _rows = time_calls(log.size)
        size_ns.append(dt)
        bar.advance(task)

    task = bar.add_task("inclusion_proof(i, N) + verify", total=count)
    inc, inc_verify = [], []
    for _ in range(count):
        i = rng.randrange(n)
        dt, proof = time_calls(lambda: log.inclusion_proof(i, n))  # noqa: B023
        inc.append(dt)
        leaf = log.subtree(0, i)
        dt, _ = time_calls(lambda: merkle.verify_inclusion(leaf, i, n, proof, root))  # noqa: B023
        inc_verify.append(dt)
        bar.advance(task)

    task = bar.add_task("consistency_proof(a, N) + verify", total=count)
    con, con_verify = [], []
    for _ in range(count):
        a = rng.randrange(1, n)
        dt, proof = time_calls(lambda: log.consistency_proof(a, n))  # noqa: B023
        con.append(dt)
        root_a = log.root(a)
        dt, _ = time_calls(
            lambda: merkle.verify_consistency(a, n, proof, root_a, root)  # noqa: B023
        )
        con_verify.append(dt)
        bar.advance(task)

    # untimed: how many store queries one proof makes (``EventStore._query``, which
    # ``ledger.store.sql.rows`` calls, and the log's PostgreSQL reads, ``log_integrator.pg_rows``)
    calls = 0
    original, original_pg = store._query, log_integrator.pg_rows

    def counting(sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        return original(sql, params)

    def counting_pg(store: EventStore, sql: str, params: tuple[Any, ...]) -> list[Any]:
        nonlocal calls
        calls += 1
        return original_pg(store, sql, params)

    store._query = counting  # type: ignore[method-assign]
    log_integrator.pg_rows = counting_pg
    try:
        sample = 100
        for _ in range(sample):
            log.inclusion_proof(rng.randrange(n), n)
        inc_queries, calls = calls / sample, 0
        for _ in range(sample):
            log.consistency_proof(rng.randrange(1, n), n)
        con_queries = calls / sample
    finally:
        del store._query
        log_integrator.pg_rows = original_pg
    return {
        "count": count,
        "point_select": summary(point),
        "size_count": summary(size_ns),
        "inclusion": summary(inc),
        "inclusion_verify": summary(inc_verify),
        "inclusion_queries": inc_queries,
        "consistency": summary(con),
        "consistency_verify": summary(con_verify),
        "consistency_queries": con_queries,
    }
