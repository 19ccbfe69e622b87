"""The projection benchmarks' ledger: a fresh store per run (SQLite file in a temporary folder,
or a PostgreSQL schema ``bench_<hex>`` dropped afterwards) filled with N real signed envelopes of
the demo's workload (``benchmarks.workload``), generation and insert timed apart, and the
optional check (``Ledger.load`` of a sample, then the full audit of every signature and link).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

from benchmarks.workload import ORIGIN, Workload, open_ledger
from ledger.audit.full import audit_report
from ledger.chain.service import Ledger
from ledger.store.events import EventStore
from ledger.store.opening import open_postgres, open_sqlite
from ledger.store.postgres import drop_ledger_schema

PG = "postgresql://postgres@127.0.0.1:5432/test"

console = Console(stderr=True)


@dataclass
class Fresh:
    store: EventStore
    db: str | None
    sqlite_path: str
    tmp: Path


@contextmanager
def fresh_store(backend: str) -> Iterator[Fresh]:
    with tempfile.TemporaryDirectory(prefix="hoso-proj-bench-") as tmp:
        if backend == "sqlite":
            path = Path(tmp) / "ledger.sqlite3"
            store = open_sqlite(path)
            try:
                yield Fresh(store, None, str(path), Path(tmp))
            finally:
                store.close()
            return
        schema = "bench_" + os.urandom(6).hex()
        url = f"{PG}?schema={schema}"
        store = open_postgres(url)
        try:
            yield Fresh(store, url, "", Path(tmp))
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


def fill(
    fresh: Fresh, n: int, batch: int, bar: Progress
) -> tuple[Ledger, Workload, dict[str, Any]]:
    ledger, sim = open_ledger(fresh.store, fresh.tmp / "keys")
    work = Workload(ledger, sim)
    task = bar.add_task(f"fill {n:,} signed events", total=n)
    append_ns = 0
    t0 = time.perf_counter_ns()
    for events in work.batches(n, batch):
        t1 = time.perf_counter_ns()
        fresh.store.append(events)
        append_ns += time.perf_counter_ns() - t1
        bar.advance(task, len(events))
    total = (time.perf_counter_ns() - t0) / 1e9
    append_s = append_ns / 1e9
    return (
        ledger,
        work,
        {
            "fill_s": total,
            "fill_events_per_s": n / total,
            "generate_s": total - append_s,
            "generate_events_per_s": n / (total - append_s),
            "append_s": append_s,
            "append_events_per_s": n / append_s,
            "files": len(work.codes),
            "working_days": len(work.daily),
            "refused_commands": work.refused,
            "registry_events": fresh.store.max_position() - n,
        },
    )


def check(ledger: Ledger, work: Workload, bar: Progress) -> dict[str, Any]:
    """Ledger.load of a sample of files, then the full audit (every signature and link)."""
    sample = work.codes[:: max(1, len(work.codes) // 200)]
    t0 = time.perf_counter()
    for code in sample:
        ledger.load(code)
    load_s = time.perf_counter() - t0
    total = ledger.store.max_position()
    task = bar.add_task("audit_report (every signature)", total=total)
    t0 = time.perf_counter()
    report = audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=ledger.authority_key,
        progress=lambda done, _total: bar.update(task, completed=done),
    )
    audit_s = time.perf_counter() - t0
    if report.failure is not None:
        raise SystemExit(f"the generated ledger fails its audit: {report.failure}")
    return {
        "loaded_files": len(sample),
        "load_s": load_s,
        "audit_events": report.events,
        "audit_s": audit_s,
        "audit_events_per_s": report.events / audit_s,
    }
