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
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import ConnectionPool, PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Identifier

from ledger.errors import ConfigurationError

_RETURNING = " RETURNING notification_id"

PING_IDLE_AFTER = 1.0  # seconds a pooled connection may sit unused before it is pinged
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
"""Stream ids and topics written as SQL literals by ``insert_in_one_round_trip``: file codes
and event type names are of this shape; anything else takes the parameterised path."""


def pg_sql(sql: str) -> str:
    """A statement written with ``?`` placeholders, for psycopg."""
    return sql.replace("?", "%s")


def _query_text(query: Any, conn: psycopg.Connection[Any]) -> str:
    if isinstance(query, Composable):
        return query.as_string(conn)
    if isinstance(query, (str, bytes)):
        return query if isinstance(query, str) else query.decode()
    raise ProgrammingError(f"cannot render {query!r} as SQL text")


class SidePostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._prefix: str | None = None  # lock, notify, INSERT ... VALUES: rendered once
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

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Events without side rows in one round trip when they can be
        (``insert_in_one_round_trip``); everything else through the library's transaction."""
        if not kwargs.get("side_writes") and not kwargs.get("side_batches"):
            ids = self.insert_in_one_round_trip(stored_events)
            if ids is not None:
                return ids
        found: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        return found

    def insert_in_one_round_trip(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The same transaction as ``insert_events`` (lock the table, notify, insert, in this
        order) as ONE simple-protocol query, which PostgreSQL runs as one implicit transaction:
        one round trip and a fraction of the client's CPU of the pipelined BEGIN, LOCK, NOTIFY,
        INSERT, sync and COMMIT, and the table lock held for one round trip less. The values are
        literals: only for ids and topics of ``_PLAIN_TEXT``'s shape, whole numbers and bytes
        (hex), on a server with standard-conforming strings; None (nothing written) for
        anything else, and for a connection that fails (the caller then takes the library's
        path, which retries). A duplicate (stream, version) raises the library's
        ``IntegrityError`` and writes nothing, as ``insert_events`` does."""
        if not stored_events:
            return None
        values = []
        for e in stored_events:
            sid, version, topic, state = e.originator_id, e.originator_version, e.topic, e.state
            if (
                type(sid) is not str
                or type(topic) is not str
                or type(version) is not int
                or type(state) is not bytes
                or not _PLAIN_TEXT.fullmatch(sid)
                or not _PLAIN_TEXT.fullmatch(topic)
            ):
                return None
            values.append(f"('{sid}',{version},'{topic}','\\x{state.hex()}'::bytea)")
        try:
            with self.datastore.get_connection() as conn:
                if conn.info.parameter_status("standard_conforming_strings") != "on":
                    return None
                curs = conn.cursor(row_factory=tuple_row)
                curs.execute(self._one_round_trip_prefix(conn) + ",".join(values) + _RETURNING)
                while not (curs.statusmessage or "").startswith("INSERT"):
                    if not curs.nextset():
                        raise ProgrammingError("no INSERT result")
                ids = [int(row[0]) for row in curs.fetchall()]
        except (InterfaceError, OperationalError):
            return None
        if len(ids) != len(stored_events):
            raise ProgrammingError(f"{len(ids)} notification ids for {len(stored_events)} events")
        return ids

    def _one_round_trip_prefix(self, conn: psycopg.Connection[Any]) -> str:
        prefix = self._prefix
        if prefix is None:
            parts = [_query_text(q, conn) for q in self.lock_table_statements]
            parts.append(SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_string(conn))
            parts.append(
                SQL("INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) VALUES ")
                .format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
                .as_string(conn)
            )
            prefix = self._prefix = "; ".join(parts)
        return prefix

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
        # No parallel plans: the ledger's statements are point reads and short writes, and a
        # table never analyzed (new, or grown since autovacuum last looked) makes the planner
        # start two parallel workers for a file's few rows: 6-8 ms and a core's worth of CPU
        # per command instead of 0.1 ms (found at about 50,000 events; regression test in
        # tests/integration/test_store_one_round_trip.py).
        statement = SQL("SET search_path TO {0}; SET max_parallel_workers_per_gather = 0").format(
            Identifier(self.schema)
        )
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

    def connect(self, **options: Any) -> psycopg.Connection[Any]:
        """A connection of its own to the target's database, autocommit (one short session:
        an advisory lock, a check; ``options`` as ``psycopg.connect`` takes them)."""
        return psycopg.connect(
            dbname=self.dbname,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            connect_timeout=5,
            autocommit=True,
            **options,
        )


def parse_postgres_url(url: str) -> PostgresTarget:
    """``postgresql://user[:password]@host[:port]/dbname[?schema=name]``."""
    try:
        parsed = urlparse(url)
    except ValueError as e:  # "Invalid IPv6 URL"
        raise ConfigurationError(f"database URL {url!r} is not a URL: {e}") from e
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


def drop_ledger_schema(
    conn: psycopg.Connection[Any], schema: str, *, if_exists: bool = True
) -> None:
    """Drop a ledger's schema and its applicant keys' twin (``<schema>_keys``), on an
    autocommit connection: what tests and benchmarks made, gone."""
    exists = " IF EXISTS" if if_exists else ""
    conn.execute(f'DROP SCHEMA{exists} "{schema}" CASCADE')
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')
