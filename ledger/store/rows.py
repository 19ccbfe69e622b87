"""The events table read from another process (lecture en bloc for the audit's workers): the URL
that reopens a store there, and its rows by log position as plain tuples, without building a
``Notification`` per row (a worker reads every event of the ledger)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.rows import tuple_row

from ledger.errors import StoreError
from ledger.store.events import EVENTS_TABLE, EventStore
from ledger.store.opening import open_postgres, open_sqlite


def store_url(store: EventStore) -> str | None:
    """The URL that reopens ``store`` in another process, or None (an in-memory database)."""
    datastore: Any = getattr(store, "_datastore", None)
    pool: Any = getattr(datastore, "pool", None)
    if store.dialect == "sqlite":
        name = getattr(pool, "db_name", None)
        if not isinstance(name, str) or getattr(pool, "is_sqlite_memory_mode", True):
            return None
        return f"sqlite:///{Path(name).resolve()}"
    kw = getattr(pool, "kwargs", None)
    schema = getattr(datastore, "schema", None)
    if not isinstance(kw, dict) or not isinstance(schema, str):
        return None
    auth = quote(str(kw.get("user") or "postgres"), safe="")
    if kw.get("password"):
        auth += ":" + quote(str(kw["password"]), safe="")
    return (
        f"postgresql://{auth}@{kw.get('host') or '127.0.0.1'}:{kw.get('port') or 5432}/"
        f"{kw['dbname']}?schema={schema}"
    )


def reopen(url: str) -> EventStore:
    """The store at ``url``, with one connection (a worker reads one range at a time)."""
    if url.startswith("sqlite:///"):
        return open_sqlite(Path(url.removeprefix("sqlite:///")))
    return open_postgres(url, pool_size=1)


class RowReader:
    """Rows of the events table by log position, as plain tuples: the columns
    ``EventStore.notifications`` reads (eventsourcing's table), without building a
    ``Notification`` per row (a worker reads every event of the ledger). SQLite through its own
    connection; PostgreSQL through the reopened store's pool (its schema on the search path)."""

    def __init__(self, url: str) -> None:
        self.store = reopen(url)  # the same errors as opening the store, if it cannot be opened
        self._sqlite: sqlite3.Connection | None = None
        self._datastore: Any = getattr(self.store, "_datastore", None)
        if url.startswith("sqlite:///"):
            self._sqlite = sqlite3.connect(url.removeprefix("sqlite:///"))
        self._sql = (
            "SELECT {id}, originator_id, originator_version, topic, state FROM "  # noqa: S608
            + EVENTS_TABLE  # a constant, not input
            + " WHERE {id} >= ? AND {id} < ? ORDER BY {id}"
        ).format(id="rowid" if self._sqlite is not None else "notification_id")

    def rows(self, start: int, stop: int) -> list[tuple[int, str, int, str, bytes]]:
        try:
            if self._sqlite is not None:
                return self._sqlite.execute(self._sql, (start, stop)).fetchall()
            if not hasattr(self._datastore, "get_connection"):
                return [
                    (r.id, str(r.originator_id), r.originator_version, r.topic, r.state)
                    for r in self.store.notifications(start, stop - start)
                    if r.id < stop
                ]
            with (
                self._datastore.get_connection() as conn,
                conn.cursor(row_factory=tuple_row, binary=True) as curs,
            ):
                # Binary results: the states arrive as their bytes, not hex text to decode
                # (a third of the client's and the server's CPU per row here).
                curs.execute(self._sql.replace("?", "%s"), (start, stop), prepare=True)
                found: list[tuple[int, str, int, str, bytes]] = curs.fetchall()
                return found
        except (sqlite3.Error, psycopg.Error) as e:
            raise StoreError(f"cannot read the event log: {e}") from e
