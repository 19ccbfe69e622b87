"""The log benchmarks' synthetic stored events: about 600 bytes each, N/20 streams, interleaved,
regenerated on demand (only one chunk alive at a time); a fresh store per run (SQLite file in a
temporary folder, or a PostgreSQL schema ``bench_<hex>`` dropped afterwards) and the timed fill.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.persistence import StoredEvent
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ledger.store.events import EventStore
from ledger.store.opening import open_postgres, open_sqlite
from ledger.store.postgres import drop_ledger_schema

PG = "postgresql://postgres@127.0.0.1:5432/test"
ORIGIN = "bench.hoso/log"
SEED = 20260302
EVENT_TYPE = "FileHandedOff"
ENTRY_BYTES = 600
EVENTS_PER_STREAM = 20

console = Console(stderr=True)


# ------------------------------------------------------------------ synthetic entries
_POOL = random.Random(SEED).randbytes(1 << 16)


def streams_for(n: int) -> int:
    return max(1, n // EVENTS_PER_STREAM)


def entry(j: int, n: int) -> StoredEvent:
    """Event j of a log of n: stream j % S, version j // S + 1, about 600 random-ish bytes."""
    s = streams_for(n)
    stream, version = f"PBD-260302-{j % s:07d}", j // s + 1
    head = b'{"type":"FileHandedOff","stream":"%s","version":%d,"pad":"' % (
        stream.encode(),
        version,
    )
    off = (j * 7919) % (len(_POOL) - ENTRY_BYTES)
    body = _POOL[off : off + ENTRY_BYTES - len(head) - 2]
    return StoredEvent(stream, version, EVENT_TYPE, head + body + b'"}')


def chunks(n: int, size: int) -> Iterator[tuple[int, list[StoredEvent]]]:
    """(first index, events) for [0, n) in chunks: only one chunk is alive at a time."""
    for start in range(0, n, size):
        yield start, [entry(j, n) for j in range(start, min(n, start + size))]


# ------------------------------------------------------------------------- backends
@contextmanager
def fresh_store(backend: str) -> Iterator[EventStore]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hoso-log-bench-") as tmp:
            store = open_sqlite(Path(tmp) / "ledger.sqlite3")
            try:
                yield store
            finally:
                store.close()
        return
    schema = "bench_" + os.urandom(6).hex()
    store = open_postgres(f"{PG}?schema={schema}")
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            drop_ledger_schema(conn, schema, if_exists=False)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def fill(store: EventStore, n: int, batch: int, bar: Progress) -> float:
    task = bar.add_task(f"fill {n:,} events", total=n)
    elapsed = 0
    for _start, events in chunks(n, batch):
        t0 = time.perf_counter_ns()
        store.append(events)
        elapsed += time.perf_counter_ns() - t0
        bar.advance(task, len(events))
    return elapsed / 1e9
