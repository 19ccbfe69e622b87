"""Citizen lookups read together (đọc gộp): one query for every lookup waiting at that moment.

A lookup needs one row set from the database: the file's PIN hash joined with its status row
and its steps. Under load many lookups wait at once, and each round trip to PostgreSQL costs
more than the rows (the store opens a transaction on a pre-pinged pooled connection, so one
``store.query`` is several round trips). ``LookupReads.rows(code)`` queues the code; one drain
task runs one query for every queued code in a worker thread, answers each waiting request, and
runs again for the codes that arrived meanwhile. A lone lookup goes at once (no timer, no added
wait); under load a query serves many lookups. Reads only: nothing here writes.

Every lookup, for a known code or an unknown one, goes through the same queue and the same
query: neither the work nor the rows' absence tells anything before the PIN check.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import psycopg
from psycopg.rows import dict_row

from ledger.errors import StoreError
from ledger.store.events import EventStore, parse_postgres_url

MAX_BATCH = 64  # codes per query; a query of 64 codes is still one short index scan

_COLUMNS = (
    "SELECT p.file_code, p.pin_hash, f.procedure, f.state, f.holder_department,"
    " f.holder_agency, f.received_at, f.appointment_at, f.apology_reason, f.missing_items,"
    " f.portal_status, s.type AS step_type, s.occurred_at AS step_at,"
    " s.department AS step_department, s.agency AS step_agency"
    " FROM hoso_file_pins p"
    " LEFT JOIN hoso_p_files f ON f.code = p.file_code"
    " LEFT JOIN hoso_p_steps s ON s.code = p.file_code"
)
_ORDER = " ORDER BY p.file_code, s.version"
# PostgreSQL: the codes are named to the steps' scan too, so it is an index scan of the steps'
# primary key whatever the planner believes of the table (right after a rebuild, before any
# ANALYZE, it chose a sequential scan of every step: ~24 ms at 100k events, ~10x at 1M).
_PG_JOIN = " LEFT JOIN hoso_p_steps s ON s.code = p.file_code"
_PG_COLUMNS = _COLUMNS.replace(_PG_JOIN, _PG_JOIN + " AND s.code = ANY({0})")

Rows = list[dict[str, Any]]


class PostgresReader:
    """One autocommit connection for the lookups' reads (PostgreSQL): one round trip a query,
    where ``store.query`` checks a pooled connection out, pings it, and opens and ends a
    transaction around the statement. The drain runs one query at a time, so one connection
    is enough. A broken connection is dropped and, once, replaced at once (the database came
    back); failing that the lookup gets the store's error, a 503."""

    def __init__(self, url: str) -> None:
        self.target = parse_postgres_url(url)
        self.conn: psycopg.Connection[dict[str, Any]] | None = None
        self.lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        t = self.target
        return psycopg.connect(
            dbname=t.dbname,
            host=t.host,
            port=t.port,
            user=t.user,
            password=t.password,
            connect_timeout=5,
            autocommit=True,
            # a checked name: [a-z0-9_]; no parallel plans for point reads (ledger.store_postgres)
            options=f"-c search_path={t.schema} -c max_parallel_workers_per_gather=0",
            row_factory=dict_row,
        )

    def query(self, sql: str, params: tuple[Any, ...]) -> Rows:
        with self.lock:
            for attempt in (1, 2):
                fresh = self.conn is None
                try:
                    if self.conn is None:
                        self.conn = self._connect()
                    return self.conn.execute(sql, params).fetchall()
                except (psycopg.OperationalError, psycopg.InterfaceError) as e:
                    self._drop()
                    if fresh or attempt == 2:
                        raise StoreError(f"database error: {e}") from e
                except psycopg.Error as e:
                    raise StoreError(f"database error: {e}") from e
            raise StoreError("database error: no connection")  # not reached

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def close(self) -> None:
        with self.lock:
            self._drop()


def fetch_lookups(
    store: EventStore, codes: Sequence[str], reader: PostgresReader | None = None
) -> dict[str, Rows]:
    """The lookup rows of each known code (one per step, at least one; the file's columns are
    NULL while the projection has not caught up). Unknown codes are absent. One query."""
    if not codes:
        return {}
    params: tuple[Any, ...]
    if reader is not None:
        sql = _PG_COLUMNS.format("%s") + " WHERE p.file_code = ANY(%s)" + _ORDER
        rows = reader.query(sql, (list(codes), list(codes)))
    elif store.dialect == "postgresql":
        sql = _PG_COLUMNS.format("?") + " WHERE p.file_code = ANY(?)" + _ORDER
        params = (list(codes), list(codes))
    else:
        marks = ", ".join("?" for _ in codes)
        sql = _COLUMNS + f" WHERE p.file_code IN ({marks})" + _ORDER
        params = tuple(codes)
    if reader is None:
        rows = store.query(sql, params)
    found: dict[str, Rows] = {}
    for row in rows:
        found.setdefault(str(row["file_code"]), []).append(row)
    return found


class LookupReads:
    """The queue of lookups waiting for their rows, on one event loop."""

    def __init__(
        self,
        store: EventStore,
        *,
        reader: PostgresReader | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.store = store
        self.reader = reader
        self.max_batch = max_batch
        self.loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[str, asyncio.Future[Rows]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        self.queries = 0  # how many queries served how many lookups, for the benchmark
        self.lookups = 0

    async def rows(self, code: str) -> Rows:
        """The rows of ``code`` (empty for an unknown code); raises what the store raised."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new loop (tests start one per client): start afresh
            self.loop, self._waiting, self._draining = loop, [], False
        future: asyncio.Future[Rows] = loop.create_future()
        self._waiting.append((code, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                codes = list(dict.fromkeys(code for code, _ in batch))
                try:
                    found = await anyio.to_thread.run_sync(
                        fetch_lookups, self.store, codes, self.reader
                    )
                except Exception as e:  # each waiting lookup gets the store's error (503)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(e)
                    continue
                except BaseException:  # cancelled: the loop is closing
                    for _, future in batch + self._waiting:
                        future.cancel()
                    raise
                self.queries += 1
                self.lookups += len(batch)
                for code, future in batch:
                    if not future.done():  # the client may have gone away meanwhile
                        future.set_result(found.get(code, []))
        finally:
            self._draining = False

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
