"""The event store's PostgreSQL parts: the recorder, the pooled datastore, the URL.

The pool does not ping a connection at every checkout (a round trip per read and per write,
as many as the work itself): it pings one that has not been handed out for ``ping_idle_after``
seconds, the only kind an outage can have broken unnoticed. A connection that breaks while in
use fails its statement, and the pool drops it when it comes back (``psycopg_pool`` discards a
connection whose state is unknown); the store's reads then run once more on another one.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import ConnectionPool, PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

from ledger.errors import ConfigurationError

PING_IDLE_AFTER = 1.0  # seconds a pooled connection may sit unused before it is pinged
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def pg_sql(sql: str) -> str:
    """A statement written with ``?`` placeholders, for psycopg."""
    return sql.replace("?", "%s")


class SidePostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # The events as four parallel arrays, the states in binary: psycopg dumps the library's
        # array of composite rows as text in Python (escaping every byte), which cost more
        # than the rest of a bulk write. Same single INSERT, same order, same RETURNING.
        self._insert_arrays = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(Identifier(datastore.schema), Identifier(events_table_name))

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self._insert_arrays,
            (
                [str(e.originator_id) for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        for write in kwargs.get("side_writes", ()):
            curs.execute(pg_sql(write.sql), write.params)
        for sql, rows in kwargs.get("side_batches", ()):
            curs.executemany(pg_sql(sql), rows)  # pipelined with the events' insert
        super()._insert_events(curs, stored_events, **kwargs)


class SchemaDatastore(PostgresDatastore):
    """Every pooled connection works in the ledger's schema (side tables are unqualified), and
    is pinged at checkout only after ``ping_idle_after`` seconds unused (see the module doc)."""

    def __init__(self, *, ping_idle_after: float = PING_IDLE_AFTER, **kwargs: Any) -> None:
        self._handed_out: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        super().__init__(pre_ping=False, **kwargs)
        handed_out = self._handed_out

        def check(conn: psycopg.Connection[Any]) -> None:
            now = time.monotonic()
            last = handed_out.get(conn, 0.0)
            if now - last > ping_idle_after:
                ConnectionPool.check_connection(conn)  # raises: the pool drops it, tries again
            handed_out[conn] = now

        # psycopg_pool takes ``check`` only at construction, which eventsourcing does with
        # its own (a ping every time) or none; the pool calls ``_check`` at each checkout.
        self.pool._check = check

    def after_connect_func(self) -> Callable[[psycopg.Connection[Any]], None]:
        base = super().after_connect_func()
        statement = SQL("SET search_path TO {0}").format(Identifier(self.schema))
        handed_out = self._handed_out

        def after_connect(conn: psycopg.Connection[Any]) -> None:
            base(conn)
            conn.execute(statement)
            handed_out[conn] = time.monotonic()  # just connected: no ping needed

        return after_connect


@dataclass(frozen=True)
class PostgresTarget:
    dbname: str
    host: str
    port: int
    user: str
    password: str
    schema: str


def parse_postgres_url(url: str) -> PostgresTarget:
    """``postgresql://user[:password]@host[:port]/dbname[?schema=name]``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(f"database URL {url!r} is not postgresql://...")
    schema = parse_qs(parsed.query).get("schema", ["public"])[0]
    if not _SCHEMA_RE.match(schema):
        raise ConfigurationError(f"schema name {schema!r} must be lower-case letters, digits, _")
    dbname = parsed.path.lstrip("/")
    if not dbname:
        raise ConfigurationError(f"database URL {url!r} names no database")
    try:
        port = parsed.port or 5432
    except ValueError as e:
        raise ConfigurationError(f"database URL {url!r} has a bad port") from e
    return PostgresTarget(
        dbname=dbname,
        host=parsed.hostname or "127.0.0.1",
        port=port,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        schema=schema,
    )
