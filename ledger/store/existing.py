"""Opening a store that must already exist (mở sổ đã có): a read never creates storage.

``hoso audit``, ``verify``, ``file show``, ``bundle``, ``status`` and the other commands that read
a ledger open it here. Opening a store creates what is missing (``open_store``: the SQLite file,
the PostgreSQL schema, the tables), so a mistyped path or schema would otherwise look like a clean,
empty ledger ("audit passed: verified 0 events"). Here a missing database, schema or events table
is refused in one sentence, and nothing is created.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from ledger.errors import ConfigurationError, StoreError
from ledger.store.events import EVENTS_TABLE, EventStore
from ledger.store.opening import open_store
from ledger.store.postgres import PostgresTarget, parse_postgres_url

__all__ = ["open_existing_store"]


def open_existing_store(db: str | None, data_dir: Path) -> EventStore:
    """The store of ``db`` (None: SQLite in ``data_dir``) if it holds a ledger, else
    ``ConfigurationError`` naming where none was found; nothing is created either way."""
    if not db or db.startswith("sqlite:///"):
        path = data_dir / "ledger.sqlite3" if not db else Path(db.removeprefix("sqlite:///"))
        if not _sqlite_holds_ledger(path):
            raise ConfigurationError(
                f"no ledger database at {path}: check --data (or --db); "
                "reading never creates one (hoso init makes a new ledger)"
            )
    else:
        target = parse_postgres_url(db)
        if not _postgres_holds_ledger(target):
            raise ConfigurationError(
                f"no ledger in schema {target.schema!r} of database {target.dbname!r} on "
                f"{target.host}:{target.port}: check --db; reading never creates one"
            )
    return open_store(db, data_dir)


def _sqlite_holds_ledger(path: Path) -> bool:
    if not path.is_file():
        return False
    try:  # read-only: not even an empty file is written
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (EVENTS_TABLE,)
            ).fetchone()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read SQLite database {path}: {e}") from e
    return row is not None


def _postgres_holds_ledger(target: PostgresTarget) -> bool:
    try:
        with target.connect() as conn:
            row = conn.execute(
                "SELECT to_regclass(%s)", (f'"{target.schema}".{EVENTS_TABLE}',)
            ).fetchone()
    except psycopg.Error as e:
        raise StoreError(f"cannot reach PostgreSQL at {target.host}:{target.port}: {e}") from e
    return row is not None and row[0] is not None
