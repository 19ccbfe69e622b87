"""The bounds every figure is read against, measured in the same run on the same backend.

* plain ``eventsourcing``: unsigned events of a hand-off's shape saved by an ``Application``
  (no signature, no chain, no canonical JSON, no registry), 1 or 10 events per save, N threads;
* raw database writes: one INSERT + COMMIT per row (1 and 4 connections), and bulk writes of
  1,000 rows per transaction (PostgreSQL ``COPY``; SQLite ``executemany``), rows of a stored
  event's size;
* raw Ed25519 sign and verify on one core (``cryptography``, the key decoded once).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from benchmarks.scenario.context import Context

NOTE = "Chuyển phòng Tư pháp thẩm định hồ sơ đăng ký thường trú"
ROW_BYTES = 620  # a stored hand-off envelope is about this size
DESKS = (
    {"officer": "an.nguyen", "department": "tu-phap-ho-tich", "agency": "PBADINH"},
    {"officer": "binh.tran", "department": "tu-phap-ho-tich", "agency": "PBADINH"},
)


class PlainFile(Aggregate):
    """The baseline aggregate: a file's hand-offs with the same fields, unsigned, unchained."""

    def __init__(self, code: str, holder: dict[str, str]) -> None:
        self.code = code
        self.holder = holder
        self.handoffs = 0

    @event("HandedOff")
    def hand_off(self, to_desk: dict[str, str], from_desk: dict[str, str], note: str) -> None:
        self.holder = to_desk
        self.handoffs += 1


class PlainApp(Application[Any]):
    """Plain ``eventsourcing``: what the ledger is built on, with nothing of the ledger."""


def _es_env(ctx: Context) -> dict[str, str]:
    if ctx.backend == "postgres":
        schema = ctx.fresh_schema("es")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": "test",
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": "5432",
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "",
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": "10",
        }
    path = ctx.workdir / f"es-{os.urandom(4).hex()}.sqlite3"
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}


def _threaded(threads: int, seconds: float, work: Callable[[int], int]) -> float:
    """Run ``work(thread_index)`` repeatedly in ``threads`` threads for ``seconds``; each call
    returns the units it did. Units per second over all threads."""
    done = [0] * threads
    stop = time.perf_counter() + seconds
    start = threading.Barrier(threads + 1)

    def loop(i: int) -> None:
        start.wait()
        while time.perf_counter() < stop:
            done[i] += work(i)

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    return sum(done) / (time.perf_counter() - t0)


def plain_eventsourcing_rate(
    ctx: Context, *, threads: int, events_per_save: int, seconds: float
) -> float:
    """Events/s of plain ``eventsourcing`` saves: each thread keeps its own files in memory and
    saves ``events_per_save`` new hand-offs at a time (a new file every 20 saves)."""
    app = PlainApp(env=_es_env(ctx))
    files: list[PlainFile | None] = [None] * threads
    saves = [0] * threads

    def work(i: int) -> int:
        agg = files[i]
        if agg is None or saves[i] % 20 == 0:
            agg = files[i] = PlainFile(f"PBADINH-260302-{i}{saves[i]:05d}", DESKS[0])
            app.save(agg)  # the file's creation is not counted
        for _ in range(events_per_save):
            to = DESKS[agg.handoffs % 2 - 1]
            agg.hand_off(to_desk=to, from_desk=agg.holder, note=NOTE)
        app.save(agg)
        saves[i] += 1
        return events_per_save

    try:
        work_warm = [work(i) for i in range(threads)]  # tables and pool warm
        del work_warm
        return _threaded(threads, seconds, work)
    finally:
        app.close()


def ed25519_rates(seconds: float, *, sign: bool = True) -> tuple[float, float]:
    """Raw Ed25519 (sign/s, verify/s) on one core over a 600-byte message (sign/s 0.0 when
    not ``sign``)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    public = key.public_key()
    message = os.urandom(600)
    signature = key.sign(message)

    def rate(op: Callable[[], object]) -> float:
        n, t0 = 0, time.perf_counter()
        stop = t0 + seconds
        while time.perf_counter() < stop:
            for _ in range(200):
                op()
            n += 200
        return n / (time.perf_counter() - t0)

    signs = rate(lambda: key.sign(message)) if sign else 0.0
    return signs, rate(lambda: public.verify(signature, message))


def _verify_loop(seconds: float) -> float:
    return ed25519_rates(seconds, sign=False)[1]


def ed25519_verify_all(seconds: float, processes: int | None = None) -> float:
    """Raw Ed25519 verify/s of every core at once: one process a core, all started together,
    their rates summed (the bound of any verifying stage that uses every core)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n = processes or os.cpu_count() or 1
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
        return sum(pool.map(_verify_loop, [seconds] * n))


# ------------------------------------------------------------------ raw database writes
_TABLE = (
    "CREATE TABLE raw_events (id BIGSERIAL PRIMARY KEY, stream TEXT NOT NULL, "
    "version INTEGER NOT NULL, topic TEXT NOT NULL, state BYTEA NOT NULL)"
)


def _row(i: int, payload: bytes) -> tuple[str, int, str, bytes]:
    return (f"PBADINH-260302-{i // 10:04d}", i % 10 + 1, "FileHandedOff", payload)


def raw_insert_rate(ctx: Context, *, connections: int, seconds: float) -> float:
    """Rows/s of one INSERT + COMMIT per row, over ``connections`` connections."""
    payload = os.urandom(ROW_BYTES)
    if ctx.backend == "postgres":
        schema = ctx.fresh_schema("raw")
        with psycopg.connect(ctx.pg_url, autocommit=True) as conn:
            conn.execute(_TABLE.replace("raw_events", f'"{schema}".raw_events'))
        conns = [psycopg.connect(ctx.pg_url) for _ in range(connections)]
        sql = (
            f'INSERT INTO "{schema}".raw_events (stream, version, topic, state) '
            "VALUES (%s, %s, %s, %s)"
        )
        counter = [0] * connections

        def pg_work(i: int) -> int:
            counter[i] += 1
            conns[i].execute(sql, _row(counter[i], payload), prepare=True)
            conns[i].commit()
            return 1

        try:
            return _threaded(connections, seconds, pg_work)
        finally:
            for c in conns:
                c.close()
    path = ctx.workdir / f"raw-{os.urandom(4).hex()}.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute(_TABLE.replace("BIGSERIAL", "INTEGER").replace("BYTEA", "BLOB"))
    sconns = [
        sqlite3.connect(path, timeout=30, check_same_thread=False) for _ in range(connections)
    ]
    scounter = [0] * connections

    def sqlite_work(i: int) -> int:
        scounter[i] += 1
        sconns[i].execute(
            "INSERT INTO raw_events (stream, version, topic, state) VALUES (?, ?, ?, ?)",
            _row(scounter[i], payload),
        )
        sconns[i].commit()
        return 1

    try:
        return _threaded(connections, seconds, sqlite_work)
    finally:
        for s in sconns:
            s.close()


def raw_bulk_rate(ctx: Context, *, rows_per_tx: int = 1000, seconds: float) -> float:
    """Rows/s of bulk writes, ``rows_per_tx`` rows a transaction: COPY on PostgreSQL,
    ``executemany`` on SQLite. One connection."""
    payload = os.urandom(ROW_BYTES)
    batch = [_row(i, payload) for i in range(rows_per_tx)]
    if ctx.backend == "postgres":
        schema = ctx.fresh_schema("copy")
        with psycopg.connect(ctx.pg_url) as conn:
            conn.execute(_TABLE.replace("raw_events", f'"{schema}".raw_events'))
            conn.commit()
            copy_sql = f'COPY "{schema}".raw_events (stream, version, topic, state) FROM STDIN'

            def pg_work(_: int) -> int:
                with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                    for row in batch:
                        copy.write_row(row)
                conn.commit()
                return rows_per_tx

            return _threaded(1, seconds, pg_work)
    path = ctx.workdir / f"bulk-{os.urandom(4).hex()}.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute(_TABLE.replace("BIGSERIAL", "INTEGER").replace("BYTEA", "BLOB"))
    sconn = sqlite3.connect(path, check_same_thread=False)

    def sqlite_work(_: int) -> int:
        sconn.executemany(
            "INSERT INTO raw_events (stream, version, topic, state) VALUES (?, ?, ?, ?)", batch
        )
        sconn.commit()
        return rows_per_tx

    try:
        return _threaded(1, seconds, sqlite_work)
    finally:
        sconn.close()
