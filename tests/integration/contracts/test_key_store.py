"""The applicants' key store, apart from the events (issue 16, point 4), on both backends: keys
kept, then erased beyond recovery from the store's files; an older ledger's keys moved out of
the events' database."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.keystore import KEY_FILE, OLD_TABLE, has_table, open_key_store
from ledger.store.opening import open_postgres, open_sqlite

SECRET = bytes(range(7, 39))  # 32 bytes no page of the databases holds by chance
AT = "2026-03-02T01:00:00.000000Z"


def _sqlite_bytes(store: EventStore) -> bytes:
    """Every byte of every file in the SQLite data directory (WAL, journal included)."""
    folder = store.sqlite_path().parent
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def _table_file(store: EventStore, table: str) -> bytes:
    """The bytes of ``table``'s heap file on disk, after a checkpoint wrote every page there
    (dead tuples included: what a copy of the data directory would hold)."""
    with store._datastore.get_connection() as conn:  # autocommit
        conn.execute("CHECKPOINT")
        path = conn.execute("SELECT pg_relation_filepath(%s)", (table,)).fetchone()
        data = conn.execute("SELECT pg_read_binary_file(%s)", (path["pg_relation_filepath"],))
        return bytes(data.fetchone()["pg_read_binary_file"])


def test_keys_are_kept_then_erased(store: EventStore) -> None:
    keys = open_key_store(store)
    keys.add([("ap-1", SECRET, AT), ("ap-2", b"two", AT)])
    store.append([StoredEvent("F-1", 1, "FileReceived", b"{}")])
    assert keys.secret("ap-1") == SECRET and keys.secret("ap-2") == b"two"
    both = {"ap-1": SECRET, "ap-2": b"two"}
    assert keys.secrets(["ap-1", "ap-2", "ap-none"]) == both  # many lookups, one read
    assert keys.secrets([]) == {}
    assert keys.erase("ap-1") is True
    assert keys.secret("ap-1") is None
    assert keys.secrets(["ap-1", "ap-2"]) == {"ap-2": b"two"}  # the erased one is absent
    assert keys.secret("ap-2") == b"two"  # only that applicant's key went
    assert keys.erase("ap-1") is False  # erasing again: nothing to erase
    assert [e.originator_version for e in store.stream("F-1")] == [1]  # events untouched
    assert not has_table(store, OLD_TABLE)  # no key beside the events
    keys.close()


def test_an_erased_key_is_in_no_file_of_the_sqlite_data_directory(tmp_path: Path) -> None:
    store = open_sqlite(tmp_path / "d" / "ledger.sqlite3")
    keys = open_key_store(store)
    keys.add([("ap-1", SECRET, AT)])
    assert SECRET in _sqlite_bytes(store)  # the scan sees a key that is there
    assert keys.erase("ap-1")
    assert SECRET not in _sqlite_bytes(store)  # overwritten, no WAL, no free page holds it
    path = store.sqlite_path().parent / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keys.close()
    store.close()


def test_an_erased_key_leaves_no_dead_tuple_on_postgres(pg_schema: str) -> None:
    store = open_postgres(pg_schema)
    keys = open_key_store(store)
    keys.add([("ap-1", SECRET, AT)])
    table = f'"{store.schema}_keys".applicant_keys'
    assert SECRET in _table_file(store, table)  # the scan sees a key that is there
    assert keys.erase("ap-1")
    assert SECRET not in _table_file(store, table)  # rewritten: no dead tuple keeps it
    assert not has_table(store, OLD_TABLE)
    keys.close()
    store.close()


def test_an_older_ledgers_keys_move_out_of_the_events_database(store: EventStore) -> None:
    blob = "BYTEA" if store.dialect == "postgresql" else "BLOB"
    db_sql.run(
        store,
        f"CREATE TABLE {OLD_TABLE} (applicant_ref TEXT PRIMARY KEY, secret {blob} NOT NULL, "
        "created_at TEXT NOT NULL)",
    )
    db_sql.run(store, f"INSERT INTO {OLD_TABLE} VALUES (?, ?, ?)", ("ap-old", SECRET, AT))
    keys = open_key_store(store)
    assert keys.secret("ap-old") == SECRET
    assert not has_table(store, OLD_TABLE)
    if store.dialect == "sqlite":
        events_db = store.sqlite_path()
        held = b"".join(
            p.read_bytes() for p in events_db.parent.iterdir() if p.name.startswith(events_db.name)
        )
        assert SECRET not in held  # the old table's pages were overwritten
    keys.close()


def test_the_data_directory_is_private(tmp_path: Path) -> None:
    store = open_sqlite(tmp_path / "d" / "ledger.sqlite3")
    try:
        keys = open_key_store(store)
        keys.add([("ap-1", SECRET, AT)])
        for name in ("ledger.sqlite3", KEY_FILE):
            assert stat.S_IMODE(os.stat(tmp_path / "d" / name).st_mode) == 0o600, name
        for p in (tmp_path / "d").iterdir():
            if p.name.startswith("ledger.sqlite3-"):
                assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p.name
        assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700
        keys.close()
    finally:
        store.close()
