"""The citizen lookups' own PostgreSQL connection (one autocommit session, one round trip a
query), used by ``projections.models.storage.citizen_rows`` when the service runs the lookups'
batched reads (``api.http.lookup_reads``) on PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ledger.errors import StoreError
from ledger.store.events import parse_postgres_url

Rows = list[dict[str, Any]]


class PostgresReader:
    """One autocommit connection for the lookups' reads (PostgreSQL): one round trip a query,
    where the store's reads check a pooled connection out, pings it, and opens and ends a
    transaction around the statement. The drain runs one query at a time, so one connection
    is enough. A broken connection is dropped and, once, replaced at once (the database came
    back); failing that the lookup gets the store's error, a 503."""

    def __init__(self, url: str) -> None:
        self.target = parse_postgres_url(url)
        self.conn: psycopg.Connection[dict[str, Any]] | None = None
        self.lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        t = self.target
        # a checked name: [a-z0-9_]; no parallel plans for point reads (ledger.store_postgres)
        options = f"-c search_path={t.schema} -c max_parallel_workers_per_gather=0"
        return t.connect(options=options, row_factory=dict_row)

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
