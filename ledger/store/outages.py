"""What "the database went away" looks like (mất kết nối cơ sở dữ liệu): the store's own error and
the foreign ones (the drivers', eventsourcing's) that mean the server stopped, the network was
cut or the pool ran dry. The HTTP layer answers them 503 with ``Retry-After``; naming them here
keeps the drivers out of every other package."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import PersistenceError

from ledger.errors import StoreError

DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    StoreError,
    StoreOperationalError,
    StoreInterfaceError,
    PersistenceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)
