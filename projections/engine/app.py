"""The ledger as an ``eventsourcing`` application, for the library's projection machinery.

``Hoso`` reads the same ``hoso_events`` table the ledger writes (the application is named so the
library's table is ours). Its mapper turns a stored envelope into a ``LedgerEvent``: the decoded
envelope and the domain event. Projections decode without re-verifying signatures (that is the
audit's work, and a projection rebuilt from a tampered store is caught by ``hoso audit``), but
an envelope that does not decode stops the projection loudly.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent, Transcoder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory

from ledger.encoding.fast.event import LedgerEvent, decode_event
from ledger.store.events import EVENTS_TABLE, PostgresTarget, parse_postgres_url

__all__ = ["APP_NAME", "Hoso", "LedgerEvent", "decode_stored", "environment"]

APP_NAME = "Hoso"  # -> table "hoso_events", as the ledger's recorder names it


def decode_stored(stored: StoredEvent) -> LedgerEvent:
    return decode_event(stored.state)


class EnvelopeMapper(Mapper[str]):
    """Stored envelope -> ``LedgerEvent`` (reading only: the ledger writes its own envelopes)."""

    def __init__(self) -> None:
        pass

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode_stored(stored_event)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        raise NotImplementedError("projections never write events")


class Hoso(Application[str]):
    """Read-side view of the ledger's event store."""

    name = APP_NAME

    def construct_mapper(self) -> Mapper[str]:
        return EnvelopeMapper()

    def construct_recorder(self) -> ApplicationRecorder:
        factory = self.factory
        if isinstance(factory, SQLiteFactory):  # the SQLite factory ignores the app's name
            return SQLiteApplicationRecorder(factory.datastore, events_table_name=EVENTS_TABLE)
        return super().construct_recorder()

    def construct_transcoder(self) -> Transcoder:  # unused by EnvelopeMapper
        return super().construct_transcoder()


POOL_SIZE = 1  # connections each of the projections' PostgreSQL datastores keeps (as many more
# at a peak): the library's default, 5 + 10 for each of the host's and the followers' several
# datastores, held 47 connections for one ``hoso serve`` (issue 16)


def environment(db: str | None, sqlite_path: str, pool_size: int = POOL_SIZE) -> dict[str, str]:
    """The ``eventsourcing`` environment for the ledger's database (SQLite file or PostgreSQL);
    on PostgreSQL each datastore made from it keeps ``pool_size`` connections, at most twice."""
    if db is None or db.startswith("sqlite:///"):
        path = db.removeprefix("sqlite:///") if db else sqlite_path
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "ORIGINATOR_ID_TYPE": "text",
            "CREATE_TABLE": "false",
        }
    target: PostgresTarget = parse_postgres_url(db)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": target.dbname,
        "POSTGRES_HOST": target.host,
        "POSTGRES_PORT": str(target.port),
        "POSTGRES_USER": target.user,
        "POSTGRES_PASSWORD": target.password,
        "POSTGRES_SCHEMA": target.schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "ORIGINATOR_ID_TYPE": "text",
        "CREATE_TABLE": "false",
    }
