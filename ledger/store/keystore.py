"""The applicants' keys, in a store apart from the events (issue 16, point 4).

Each applicant's personal data and free text are sealed with their own key
(``ledger.chain.personal``, ``ledger.chain.sealed_text``); forgetting the applicant destroys the
key. Kept beside the events, a destroyed key stayed readable in SQLite's WAL and free pages of
``ledger.sqlite3`` while the server ran. So the keys live apart, behind one small interface
(``ApplicantKeyStore``; a KMS or an HSM can stand behind it later):

- SQLite: their own database file, ``applicant-keys.sqlite3`` beside ``ledger.sqlite3``, mode
  0600, in rollback-journal mode (no WAL: no second copy of a page outlives its transaction)
  with ``secure_delete`` on every connection (a deleted key's bytes are overwritten with zeros
  in the file, not left in a free page).
- PostgreSQL: their own schema, ``<ledger schema>_keys``; after an erasure the table is
  rewritten (``VACUUM FULL``), so no dead tuple holds the key in the table's files. What
  PostgreSQL's WAL, WAL archives and backups keep is beyond the database's reach: README
  ("Security") says how long.

A key is written in its own transaction before the receipt that uses it; a receipt that then
fails leaves a key that seals nothing, which is harmless. ``migrate`` moves the keys of a
ledger made before this store existed out of the events' database and erases them there.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ledger.errors import StoreError
from ledger.store.events import EventStore, KeyRead
from ledger.store.opening import create_private

KEY_FILE = "applicant-keys.sqlite3"
OLD_TABLE = "hoso_applicant_keys"  # where keys lived, in the events' database, before
_COLUMNS = "applicant_ref TEXT PRIMARY KEY, secret {blob} NOT NULL, created_at TEXT NOT NULL"


class ApplicantKeyStore(Protocol):
    def add(self, rows: Iterable[tuple[str, bytes, str]]) -> None:
        """Store new applicants' keys: (reference, 32-byte secret, created at), durably."""
        ...

    def secret(self, applicant_ref: str) -> bytes | None:
        """The applicant's key, or None if unknown or erased."""
        ...

    def secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        """The keys of those of ``refs`` that exist (one query; erased ones are absent)."""
        ...

    def key_read(self, applicant_ref: str) -> KeyRead | None:
        """The key's read as a part of a command's read of its file (``EventStore.stream_with``),
        or None where the key store is not in the events' database."""
        ...

    def erase(self, applicant_ref: str) -> bool:
        """Destroy the key beyond recovery from the store's files; False if there was none."""
        ...

    def close(self) -> None: ...


class SQLiteKeyStore:
    def __init__(self, path: Path) -> None:
        create_private(path)
        self.path = path
        try:
            self._conn = sqlite3.connect(
                str(path), timeout=30, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA secure_delete = ON")
            self._conn.execute("PRAGMA journal_mode = DELETE")
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS applicant_keys ({_COLUMNS.format(blob='BLOB')})"
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the applicant key store {path}: {e}") from e
        self._lock = threading.Lock()

    def _run(self, sql: str, params: Any = ()) -> list[Any]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"applicant key store: {e}") from e

    def add(self, rows: Iterable[tuple[str, bytes, str]]) -> None:
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany("INSERT INTO applicant_keys VALUES (?, ?, ?)", rows)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreError(f"applicant key store: {e}") from e

    def secret(self, applicant_ref: str) -> bytes | None:
        found = self._run(
            "SELECT secret FROM applicant_keys WHERE applicant_ref = ?", (applicant_ref,)
        )
        return bytes(found[0][0]) if found else None

    def secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        if not refs:
            return {}
        marks = ", ".join("?" for _ in refs)
        found = self._run(
            f"SELECT applicant_ref, secret FROM applicant_keys WHERE applicant_ref IN ({marks})",  # noqa: S608
            tuple(refs),
        )
        return {str(ref): bytes(secret) for ref, secret in found}

    def key_read(self, applicant_ref: str) -> KeyRead | None:
        return None  # a database file of its own: read apart

    def erase(self, applicant_ref: str) -> bool:
        found = self._run(
            "DELETE FROM applicant_keys WHERE applicant_ref = ? RETURNING applicant_ref",
            (applicant_ref,),
        )
        return bool(found)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresKeyStore:
    def __init__(self, store: EventStore, schema: str) -> None:
        self.store = store
        self.table = f'"{schema}_keys".applicant_keys'
        self.store._execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}_keys"')
        columns = _COLUMNS.format(blob="BYTEA")
        self.store._execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({columns})")
        self._arm = f"SELECT '', 0, '', secret FROM {self.table} WHERE applicant_ref = ?"  # noqa: S608

    def add(self, rows: Iterable[tuple[str, bytes, str]]) -> None:
        for row in rows:
            self.store._execute(f"INSERT INTO {self.table} VALUES (?, ?, ?)", row)  # noqa: S608

    def secret(self, applicant_ref: str) -> bytes | None:
        found = self.store._query(
            f"SELECT secret FROM {self.table} WHERE applicant_ref = ?",  # noqa: S608
            (applicant_ref,),
        )
        return bytes(found[0]["secret"]) if found else None

    def secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        found = self.store._query(
            f"SELECT applicant_ref, secret FROM {self.table} WHERE applicant_ref = ANY(?)",  # noqa: S608
            (list(refs),),
        )
        return {str(r["applicant_ref"]): bytes(r["secret"]) for r in found}

    def key_read(self, applicant_ref: str) -> KeyRead | None:
        return KeyRead(self._arm, applicant_ref)

    def erase(self, applicant_ref: str) -> bool:
        found = self.store._execute(
            f"DELETE FROM {self.table} WHERE applicant_ref = ? RETURNING applicant_ref",  # noqa: S608
            (applicant_ref,),
        )
        _vacuum_full(self.store, self.table)  # no dead tuple keeps the key in the table's files
        return bool(found)

    def close(self) -> None:
        """Nothing of its own: it works through the ledger's store."""


def open_key_store(store: EventStore) -> ApplicantKeyStore:
    """The key store of the ledger in ``store``: beside its SQLite file, or in its PostgreSQL
    schema's ``_keys`` twin; the keys of an older ledger moved in (``migrate``)."""
    keys: ApplicantKeyStore
    if store.dialect == "postgresql":
        keys = PostgresKeyStore(store, store.schema)
    else:
        keys = SQLiteKeyStore(store.sqlite_path().parent / KEY_FILE)
    migrate(store, keys)
    return keys


def migrate(store: EventStore, keys: ApplicantKeyStore) -> None:
    """Keys left in the events' database by an older ledger: copied into ``keys``, then the
    old table dropped with its pages overwritten (SQLite: ``secure_delete`` and a truncating
    checkpoint of the WAL; PostgreSQL: a dropped table's files are unlinked at once)."""
    if not has_table(store, OLD_TABLE):
        return
    rows = store._query(f"SELECT applicant_ref, secret, created_at FROM {OLD_TABLE}")  # noqa: S608
    have = [r for r in rows if keys.secret(str(r["applicant_ref"])) is None]
    keys.add((str(r["applicant_ref"]), bytes(r["secret"]), str(r["created_at"])) for r in have)
    _drop_secure(store, OLD_TABLE)


def has_table(store: EventStore, name: str) -> bool:
    if store.dialect == "postgresql":
        sql = "SELECT 1 AS x FROM pg_tables WHERE schemaname = ? AND tablename = ?"
        return bool(store._query(sql, (store.schema, name)))
    sql = "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?"
    return bool(store._query(sql, (name,)))


def _drop_secure(store: EventStore, table: str) -> None:
    """Drop one of our side tables so that none of its bytes stay in the database's files:
    SQLite overwrites the freed pages (``secure_delete``) and truncates its WAL after a
    checkpoint; PostgreSQL unlinks a dropped table's files when the drop commits."""
    if store.dialect == "postgresql":
        store._execute(f"DROP TABLE IF EXISTS {table}")
        return
    with store._cursor(commit=True) as curs:
        curs.execute("PRAGMA secure_delete = ON")
        curs.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table name
        curs.execute(f"DROP TABLE {table}")
    with store._cursor(commit=False) as curs:
        curs.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _vacuum_full(store: EventStore, table: str) -> None:
    """PostgreSQL: rewrite ``table`` (a qualified name of ours) into new files."""
    with store._datastore.get_connection() as conn:  # autocommit: VACUUM needs it
        conn.execute(f"VACUUM FULL {table}")
