"""What every stage of the scenario runner shares: the run's settings, fresh stores, figures.

A stage is a module of this package with ``run(ctx, ...) -> list[Figure]``. Each figure is the
system's number beside a baseline measured in the same run on the same backend, and the target
of issue 6 it answers to (if any). Nothing here asserts a speed: a missed target is reported.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
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

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Figure:
    """One measured figure, its same-run baseline and the ratio between them."""

    key: str  # stable identifier, e.g. "commands_8_clients"
    label: str  # what a person reads, e.g. "single-event commands, 8 concurrent clients"
    value: float
    unit: str  # "events/s", "leaves/s", "req/s", "ms", "MB"
    baseline_label: str | None = None
    baseline: float | None = None
    target: str | None = None  # the target in words, e.g. ">= 2x baseline"
    met: bool | None = None  # None when the figure has no target
    note: str = ""  # what explains a miss (from the profile), or how it was measured
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "baseline_label": self.baseline_label,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "note": self.note,
            "extra": self.extra,
        }


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@dataclass
class Context:
    """One run of the scenario: backend, size, where to put things, and the progress display."""

    backend: str  # "sqlite" or "postgres"
    events: int
    quick: bool
    workdir: Path
    pg_url: str = PG_URL
    console: Console = field(default_factory=lambda: Console(stderr=True))
    progress: Progress | None = None
    verify_all: float = 0.0
    """Raw Ed25519 verify/s of every core at once, measured by the baselines stage."""
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Chart data: name -> [(log size, value)], e.g. "ingest events/s", "inclusion p99 ms"."""
    _schemas: list[str] = field(default_factory=list)
    _stores: list[EventStore] = field(default_factory=list)
    _urls: dict[int, str] = field(default_factory=dict)

    def seconds(self, full: float) -> float:
        """How long a timed loop runs: ``full`` seconds, a tenth of it (at least 0.5) if quick."""
        return max(0.5, full / 10) if self.quick else full

    def fresh_store(self, name: str) -> EventStore:
        """An empty store on the run's backend (a new schema, or a new SQLite file); closed
        and dropped by ``close()``."""
        if self.backend == "postgres":
            schema = f"scen_{name}_{secrets.token_hex(4)}"
            self._schemas.append(schema)
            url = f"{self.pg_url}?schema={schema}"
            store = open_postgres(url, pool_size=10)
        else:
            path = self.workdir / f"{name}-{secrets.token_hex(4)}.sqlite3"
            url = f"sqlite:///{path}"
            store = open_sqlite(path)
        self._stores.append(store)
        self._urls[id(store)] = url
        return store

    def store_url(self, store: EventStore) -> str:
        """The URL that reopens ``store`` in another process (``opening.open_store``)."""
        return self._urls[id(store)]

    def fresh_schema(self, name: str) -> str:
        """A new empty PostgreSQL schema (for raw baselines), dropped by ``close()``."""
        schema = f"scen_{name}_{secrets.token_hex(4)}"
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        return schema

    def settle(self, store: EventStore) -> float:
        """Let the database settle after a bulk write, untimed: on PostgreSQL ``VACUUM
        (ANALYZE)`` of the store's schema and a ``CHECKPOINT``, so that the next stage does
        not share the cores with the autovacuum and checkpointer work the write left behind
        (and the planner knows the tables' sizes). SQLite: nothing. Returns the seconds."""
        if self.backend != "postgres":
            return 0.0
        t0 = time.perf_counter()
        schema = self.store_url(store).split("schema=", 1)[1]
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            for (table,) in tables:
                conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table}"')
            # Not a superuser: the checkpointer catches up on its own.
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                conn.execute("CHECKPOINT")
        return time.perf_counter() - t0

    def record(self, series: str, log_size: float, value: float) -> None:
        self.series.setdefault(series, []).append((log_size, value))

    def close(self) -> None:
        for store in self._stores:
            with contextlib.suppress(Exception):
                store.close()
        if self._schemas:
            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                for schema in self._schemas:
                    drop_ledger_schema(conn, schema)
        self._schemas.clear()


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="hoso-scenario-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
