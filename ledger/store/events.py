"""The event store: ``eventsourcing``'s application recorders on SQLite (default) or PostgreSQL.

Each stored event is an ``eventsourcing`` ``StoredEvent`` whose ``originator_id`` is the stream
(file code), ``originator_version`` its version, ``topic`` the stable event type name and
``state`` the exact canonical envelope bytes. The recorders are extended only to run the
ledger's own side-table writes (applicant keys, PIN hashes) in the *same* transaction as the
events, so nothing is ever half-written. There is no update or delete of an event anywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import PoolTimeout

from ledger.errors import ConflictError, StoreError
from ledger.store.postgres import PostgresTarget as PostgresTarget
from ledger.store.postgres import parse_postgres_url as parse_postgres_url
from ledger.store.postgres import pg_sql
from ledger.store.schema import SIDE_TABLES

EVENTS_TABLE = "hoso_events"
STREAMS_PER_QUERY = 500  # SQLite: streams named in one IN (...) list
_STREAMS_COLUMNS = "SELECT originator_id, originator_version, topic, state FROM hoso_events"
_STREAMS_ORDER = " ORDER BY originator_id, originator_version"
_STREAMS_PG = _STREAMS_COLUMNS + " WHERE originator_id = ANY(%s)" + _STREAMS_ORDER
_STREAMS_SQLITE = _STREAMS_COLUMNS + " WHERE originator_id IN ({})" + _STREAMS_ORDER
_WITH_TAIL_ARMS = (
    _STREAMS_COLUMNS
    + " WHERE originator_id = ? AND originator_version > ? UNION ALL "
    + _STREAMS_COLUMNS
    + " WHERE originator_id = ? AND originator_version > ?"
)
_WITH_TAIL = _WITH_TAIL_ARMS + _STREAMS_ORDER
_WITH_TAIL_PG = pg_sql(_WITH_TAIL)


@functools.cache
def _with_key(arm: str) -> str:
    return pg_sql(_WITH_TAIL_ARMS + " UNION ALL " + arm + _STREAMS_ORDER)


@dataclass(frozen=True)
class SideWrite:
    """One statement on a side table, written with ``?`` placeholders for both dialects."""

    sql: str
    params: tuple[Any, ...]


@dataclass
class KeyRead:
    """An applicant's key to read in the same statement as a command's streams
    (``EventStore.stream_with``; PostgreSQL, where the key store is a table of the same
    database): ``sql`` is one arm of the read, ``SELECT '', 0, '', secret ... WHERE
    applicant_ref = ?``; ``found`` is the key it read (None: none, or erased)."""

    sql: str
    ref: str
    found: bytes | None = None


SideBatch = tuple[str, Sequence[tuple[Any, ...]]]
"""One statement on a side table and the rows to run it over (``executemany``)."""
Statements = Callable[..., list[dict[str, Any]]]
"""``run(sql, params=())`` -> rows, inside one transaction (``EventStore._statements``)."""


def group_side_writes(writes: Sequence[SideWrite]) -> list[SideBatch]:
    """Side writes grouped by statement (first appearance order): one ``executemany`` each."""
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for w in writes:
        grouped.setdefault(w.sql, []).append(w.params)
    return list(grouped.items())


class SideSQLiteRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        for write in kwargs.get("side_writes", ()):
            c.execute(write.sql, write.params)
        for sql, rows in kwargs.get("side_batches", ()):
            c.executemany(sql, rows)
        return super()._insert_events(c, stored_events, **kwargs)


class EventStore:
    """One ledger database: the events table (through ``eventsourcing``) and the side tables."""

    dialect: str

    def __init__(self, recorder: ApplicationRecorder, datastore: Any, dialect: str) -> None:
        self.recorder = recorder
        self._datastore = datastore
        self.dialect = dialect

    # ---------------------------------------------------------------- events
    def append(
        self, events: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()
    ) -> Sequence[int] | None:
        """Insert events and side rows atomically; a duplicate (stream, version) is a conflict."""
        try:
            return self.recorder.insert_events(events, side_writes=side_writes)
        except IntegrityError as e:
            raise ConflictError(f"another write reached the same file first ({e})") from e
        except PersistenceError as e:
            raise StoreError(f"the database refused the write: {e}") from e

    def append_batch(
        self, events: Sequence[StoredEvent], side_batches: Sequence[SideBatch] = ()
    ) -> Sequence[int] | None:
        """Many files' events and side rows in ONE transaction: the events in one statement
        (PostgreSQL), each side statement once over all its rows. All of it, or none."""
        try:
            return self.recorder.insert_events(events, side_batches=side_batches)
        except IntegrityError as e:
            raise ConflictError(f"another write reached one of these files first ({e})") from e
        except PersistenceError as e:
            raise StoreError(f"the database refused the write: {e}") from e

    def streams(self, streams: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Every stored event of several streams, by stream, in version order: one query
        (on SQLite one per ``STREAMS_PER_QUERY`` streams). Streams with no event are absent."""
        found: dict[str, list[StoredEvent]] = {}
        wanted = list(dict.fromkeys(streams))
        if self.dialect == "postgresql":
            parts: list[tuple[str, list[str]]] = [(_STREAMS_PG, wanted)] if wanted else []
        else:
            step = STREAMS_PER_QUERY
            chunks = [wanted[i : i + step] for i in range(0, len(wanted), step)]
            parts = [(_STREAMS_SQLITE.format(", ".join("?" * len(c))), c) for c in chunks]
        with self._cursor(commit=False) as curs:
            for sql, part in parts:
                curs.execute(sql, (part,) if self.dialect == "postgresql" else part)
                for row in curs.fetchall():
                    stream = str(row["originator_id"])
                    version, topic = int(row["originator_version"]), str(row["topic"])
                    found.setdefault(stream, []).append(
                        StoredEvent(stream, version, topic, bytes(row["state"]))
                    )
        return found

    def stream(self, stream: str, *, gt: int | None = None) -> Sequence[StoredEvent]:
        try:
            return self.recorder.select_events(stream, gt=gt)
        except PersistenceError as e:
            raise StoreError(f"cannot read {stream}: {e}") from e

    def stream_with(
        self,
        stream: str,
        other: str,
        *,
        other_after: int,
        after: int = 0,
        key: KeyRead | None = None,
    ) -> tuple[list[StoredEvent], list[StoredEvent]]:
        """The stored events of ``stream`` after version ``after`` (all of them by default),
        and those of ``other`` after version ``other_after``, each in version order: ONE
        statement, so one round trip and one snapshot (a command reads its file, or the tail
        of it, and what is new in the key registry together).

        On PostgreSQL the statement runs prepared, outside a transaction block (no BEGIN and
        ROLLBACK round trips), and once more on another connection if the first one was
        broken (a read is safe to repeat). ``key`` (PostgreSQL): the applicant's key is read
        in the same statement, into ``key.found`` (a hand-off's note is sealed with it)."""
        if key is not None and (self.dialect != "postgresql" or stream == other):
            key = None  # not read here: the key store reads it when it is asked
        if stream == other:
            rows = list(self.stream(stream, gt=min(after, other_after) or None))
            return (
                [r for r in rows if r.originator_version > after],
                [r for r in rows if r.originator_version > other_after],
            )
        params = (stream, after, other, other_after)
        try:
            if key is not None:
                found = self._read_pg(_with_key(key.sql), (*params, key.ref), binary=True)
            elif self.dialect == "postgresql":
                found = self._read_pg(_WITH_TAIL_PG, params, binary=True)
            else:
                with self._cursor(commit=False) as curs:
                    curs.execute(_WITH_TAIL, params)
                    found = [tuple(row) for row in curs.fetchall()]
        except PersistenceError as e:
            raise StoreError(f"cannot read {stream}: {e}") from e
        mine: list[StoredEvent] = []
        theirs: list[StoredEvent] = []
        for sid, version, topic, state in found:
            if key is not None and sid == "":
                key.found = bytes(state)
                continue
            (mine if sid == stream else theirs).append(
                StoredEvent(str(sid), int(version), str(topic), bytes(state))
            )
        return mine, theirs

    def _read_pg(
        self,
        sql: str,
        params: tuple[Any, ...],
        *,
        rows: Any = tuple_row,
        prepare: bool | None = True,
        binary: bool = False,
    ) -> list[Any]:
        """One read-only statement on PostgreSQL, in autocommit (its own snapshot, one round
        trip). A connection found broken is dropped by the pool and the read runs again on
        another one, up to the pool's size; a pool that finds no live connection in time (the
        database is down) fails at once. ``binary``: results in binary (a ``bytea`` arrives as
        its bytes instead of hex text to decode)."""
        attempts = int(self._datastore.pool.max_size) + 1
        for attempt in range(1, attempts + 1):
            try:
                with self._datastore.get_connection() as conn:
                    curs = conn.cursor(row_factory=rows, binary=binary)
                    found: list[Any] = curs.execute(sql, params, prepare=prepare).fetchall()
                    return found
            except (OperationalError, InterfaceError) as e:
                if attempt == attempts or isinstance(e.__cause__, PoolTimeout):
                    raise
        raise AssertionError("unreachable")

    def stream_length(self, stream: str) -> int:
        """How many events ``stream`` has stored (0 for a stream that does not exist)."""
        found = self._query(
            f"SELECT COUNT(*) AS n FROM {EVENTS_TABLE} WHERE originator_id = ?",  # noqa: S608
            (stream,),
        )
        return int(found[0]["n"])

    def count_after(self, position: int) -> int:
        """How many events are stored after notification id ``position``."""
        column = "notification_id" if self.dialect == "postgresql" else "rowid"
        found = self._query(
            f"SELECT COUNT(*) AS n FROM {EVENTS_TABLE} WHERE {column} > ?",  # noqa: S608
            (position,),
        )
        return int(found[0]["n"])

    def notifications(self, start: int, limit: int) -> Sequence[Notification]:
        """Stored events in insert order from position ``start`` (inclusive)."""
        try:
            return self.recorder.select_notifications(start, limit)
        except PersistenceError as e:
            raise StoreError(f"cannot read the event log: {e}") from e

    def max_position(self) -> int:
        try:
            return self.recorder.max_notification_id() or 0
        except PersistenceError as e:
            raise StoreError(f"cannot read the event log: {e}") from e

    # ----------------------------------------------------------- side tables
    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        try:
            with self._datastore.transaction(commit=commit) as curs:
                yield curs
        except IntegrityError as e:
            raise ConflictError(str(e)) from e
        except (PersistenceError, psycopg.Error) as e:
            raise StoreError(f"database error: {e}") from e

    def _sql(self, sql: str) -> str:
        return pg_sql(sql) if self.dialect == "postgresql" else sql

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of one read-only statement (a SELECT runs on PostgreSQL as ``_read_pg``;
        anything else in a transaction that is rolled back)."""
        if self.dialect == "postgresql" and sql.lstrip()[:7].upper() == "SELECT ":
            try:
                return self._read_pg(pg_sql(sql), params, rows=dict_row, prepare=None)
            except (PersistenceError, psycopg.Error) as e:
                raise StoreError(f"database error: {e}") from e
        with self._cursor(commit=False) as curs:
            curs.execute(self._sql(sql), params)
            return [dict(row) for row in curs.fetchall()]

    def _execute(
        self, sql: str, params: tuple[Any, ...] = (), *, durable: bool = True
    ) -> list[dict[str, Any]]:
        """Run one statement in its own committed transaction; return rows (for RETURNING)."""
        with self._statements(durable=durable) as run:
            return run(sql, params)

    @contextmanager
    def _statements(self, *, durable: bool = True) -> Iterator[Statements]:
        """One committed transaction for several statements: yields ``run(sql, params)``,
        which returns the statement's rows (for SELECT and RETURNING).

        ``durable=False`` (PostgreSQL): the commit does not wait for the WAL to reach the disk
        (``synchronous_commit = off`` for this transaction alone). Other sessions see the rows
        at once, exactly as after a durable commit; only a crash of the server within a
        fraction of a second may lose them. For counters that guard, never for records."""
        with self._cursor(commit=True) as curs:
            if not durable and self.dialect == "postgresql":
                curs.execute("SET LOCAL synchronous_commit TO OFF")
            raw = getattr(curs, "sqlite_cursor", curs)

            def run(sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
                curs.execute(self._sql(sql), params)
                return [dict(row) for row in curs.fetchall()] if raw.description else []

            yield run

    def _write(self, writes: Sequence[SideWrite]) -> None:
        """Run several statements in one transaction: all of them, or none."""
        with self._cursor(commit=True) as curs:
            for w in writes:
                curs.execute(self._sql(w.sql), w.params)

    def _write_batches(self, batches: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
        """Several statements, each over many rows (``executemany``), in one transaction."""
        with self._cursor(commit=True) as curs:
            for sql, rows in batches:
                if rows:
                    curs.executemany(self._sql(sql), rows)

    def create_tables(self) -> None:
        blob = "BYTEA" if self.dialect == "postgresql" else "BLOB"
        for statement in SIDE_TABLES.values():
            self._execute(statement.format(blob=blob))

    # ------------------------------------------------------ the store's own files
    @property
    def schema(self) -> str:
        """PostgreSQL: the ledger's schema."""
        return str(self._datastore.schema)

    def sqlite_path(self) -> Path:
        """SQLite: the database file."""
        rows = self._query("PRAGMA database_list")
        return Path(str(rows[0]["file"]))

    def close(self) -> None:
        self._datastore.close()
