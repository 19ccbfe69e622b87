"""Opening the event store: a SQLite file (made private to its owner) or a PostgreSQL schema
(made under an advisory lock, so concurrent opens take turns), with the ledger's side tables;
``open_store`` picks one from the ``--db`` setting."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.sqlite import SQLiteDatastore

from ledger.errors import StoreError
from ledger.store.events import EVENTS_TABLE, EventStore, SideSQLiteRecorder
from ledger.store.postgres import (
    PING_IDLE_AFTER,
    PostgresTarget,
    SchemaDatastore,
    SidePostgresRecorder,
    parse_postgres_url,
)


def open_sqlite(path: Path) -> EventStore:
    """The store in the SQLite file ``path``: the file (and its -wal, -shm) readable by its
    owner only (0600), in a directory made 0700 (issue 16)."""
    create_private(path, ("-wal", "-shm"))
    datastore = SQLiteDatastore(str(path), lock_timeout=30, originator_id_type="text")
    recorder = SideSQLiteRecorder(datastore, events_table_name=EVENTS_TABLE)
    try:
        recorder.create_table()
    except PersistenceError as e:
        raise StoreError(f"cannot open SQLite database {path}: {e}") from e
    store = EventStore(recorder, datastore, "sqlite")
    store.create_tables()
    return store


def create_private(path: Path, companions: tuple[str, ...] = ()) -> None:
    """``path`` created empty, 0600, in a directory made 0700, before SQLite opens it (SQLite
    gives its -wal, -shm and -journal files the mode of the database file); a file made
    before, and its ``companions`` (suffixes: ``-wal``...), brought to 0600."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for p in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
            if p.exists():
                os.chmod(p, 0o600)


def open_postgres(
    url: str, *, pool_size: int = 4, ping_idle_after: float = PING_IDLE_AFTER
) -> EventStore:
    """The store in ``url``'s schema, creating the schema, tables and indexes if missing.

    Several processes may open one store at once (``hoso audit``'s workers, a service and a
    CLI): PostgreSQL's ``CREATE ... IF NOT EXISTS`` is not safe against a concurrent twin, so
    the opens take turns on an advisory lock of the schema, held while they create."""
    target = parse_postgres_url(url)
    try:
        admin = target.connect()
    except psycopg.Error as e:
        raise StoreError(f"cannot reach PostgreSQL at {target.host}:{target.port}: {e}") from e
    with admin:  # closing the session releases the lock, whatever happens below
        try:
            admin.execute("SELECT pg_advisory_lock(hashtext(%s))", (_DDL_LOCK + target.schema,))
            admin.execute(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"')
        except psycopg.Error as e:
            raise StoreError(f"cannot create schema {target.schema}: {e}") from e
        return _open_postgres_schema(target, pool_size, ping_idle_after)


_DDL_LOCK = "hoso-ddl:"


def _open_postgres_schema(
    target: PostgresTarget, pool_size: int, ping_idle_after: float
) -> EventStore:
    datastore = SchemaDatastore(
        dbname=target.dbname,
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password,
        schema=target.schema,
        pool_size=pool_size,
        max_overflow=pool_size,
        originator_id_type="text",
        connect_timeout=5,
        ping_idle_after=ping_idle_after,  # an idle connection an outage broke is replaced
    )
    # psycopg_pool retries a lost connection with exponential backoff for up to 5 minutes, so
    # after a long outage the service would wait for the next retry long after the database
    # is back. Give up quickly instead: the next request then opens a fresh connection.
    datastore.pool.reconnect_timeout = 3.0
    recorder = SidePostgresRecorder(datastore, events_table_name=EVENTS_TABLE)
    try:
        recorder.create_table()
        store = EventStore(recorder, datastore, "postgresql")
        store.create_tables()
    except BaseException as e:
        datastore.close()  # no pool left behind by a store that did not open
        if isinstance(e, PersistenceError):
            raise StoreError(f"cannot create tables in PostgreSQL: {e}") from e
        raise
    return store


def open_store(db: str | None, data_dir: Path, *, pool_size: int = 4) -> EventStore:
    """None or ``sqlite:///path``: SQLite (default ``DATA/ledger.sqlite3``); else PostgreSQL,
    with at most ``2 * pool_size`` connections (``pool_size`` kept, as many more at a peak)."""
    if db is None or db == "":
        return open_sqlite(data_dir / "ledger.sqlite3")
    if db.startswith("sqlite:///"):
        return open_sqlite(Path(db.removeprefix("sqlite:///")))
    return open_postgres(db, pool_size=pool_size)
