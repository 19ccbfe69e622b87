"""Statements on a store's database, for the storage modules only.

SQL text lives in three places: the store itself (``ledger.store``), the Merkle log's storage
(``ledger.log.storage`` and its integrator) and the read models' storage
(``projections.models``). The storage modules outside ``ledger.store`` reach the database
through these functions (the store's own repositories use it directly); everything else
calls their repositories' domain-named methods (``TokenRepository.find_active``,
``MerkleLog.feed``, ``FileViews.citizen_records``...), never SQL. Statements are written with
``?`` placeholders for both dialects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ledger.store.events import EventStore, SideWrite

Rows = list[dict[str, Any]]


def rows(store: EventStore, sql: str, params: tuple[Any, ...] = ()) -> Rows:
    """The rows of one read-only statement (on PostgreSQL in autocommit, retried once on
    another connection if the first was broken)."""
    return store._query(sql, params)


def run(store: EventStore, sql: str, params: tuple[Any, ...] = ()) -> Rows:
    """One statement in its own committed transaction; its rows (for ``RETURNING``)."""
    return store._execute(sql, params)


def run_all(store: EventStore, writes: Sequence[SideWrite]) -> None:
    """Several statements in one transaction: all of them, or none."""
    store._write(writes)


def run_batches(
    store: EventStore, batches: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]
) -> None:
    """Several statements, each over many rows (``executemany``), in one transaction."""
    store._write_batches(batches)


@contextmanager
def transaction(store: EventStore) -> Iterator[Any]:
    """A cursor in one committed transaction (the dialect's own placeholders)."""
    with store._cursor(commit=True) as curs:
        yield curs
