"""Projection rebuild at scale: events/s of a full rebuild from 100k or 1M real stored events.

    python -m benchmarks.projections_scale --backend sqlite --events 100000,1000000
    python -m benchmarks.projections_scale --backend postgres --events 100000 --profile --check

For each size N, on a fresh store (SQLite file in a temporary folder, or a fresh PostgreSQL
schema ``bench_<hex>`` dropped afterwards):

1. **fill**: the registry and the demo's staff are enrolled through the real ``Ledger``, then N
   real signed envelopes of the demo's workload (``benchmarks.workload``: days of the demo's
   mix, each event signed by its actor's key and chained) are appended with
   ``EventStore.append`` in batches of ``--fill-batch``. Generation (domain + encode + sign)
   and the store's insert are timed separately.
2. **check** (``--check``, sizes up to 100k only): ``Ledger.load`` of a sample of files and the full
   ``ledger.audit.full.audit_report`` (every signature and link), timed.
3. **rebuild**: ``ProjectionHost.rebuild("files")`` and ``rebuild("actions")`` from zero, each
   timed as one call -> events/s. Baselines in the same run, same store:
   (a) ``eventsourcing``'s bare notification read, ``select_notifications`` pages of
   ``projections.engine.runtime.BATCH``, no decode (the read bound);
   (b) the same pages, each event decoded with ``projections.engine.app.decode_stored`` (the read +
   decode bound: what every projection pays before its handler);
   (c) raw ``executemany`` of N rows as wide as an action row (position, code, version, type,
   actor, unit, occurred_at) into a plain table, one transaction per ``BATCH`` rows (the
   write bound of one row per event).
   The rows each projection wrote are counted afterwards.

Then ``ProjectionHost.rebuild_all()`` (both at once, each event read and decoded once: the
scenario's figure, ``benchmarks.scenario.projections``) beside the floor of reading the same
pages with ``store.notifications`` and ``orjson.loads`` of each. Markdown tables, and JSON in
``benchmarks/results/`` after each size; ``--profile`` runs cProfile over ``rebuild_all()``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.progress import Progress

from benchmarks.projections_fill import Fresh, check, console, fill, fresh_store, progress
from benchmarks.projections_report import markdown
from domain.calendar import WorkingCalendar
from ledger.chain.service import Ledger
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from projections.engine.app import decode_stored
from projections.engine.runtime import BATCH, ProjectionHost
from projections.models.handlers import NAMES

RESULTS = Path(__file__).parent / "results"
CHECK_MAX = 100_000  # --check audits every signature: only on sizes up to this
ROW_COUNTS = {
    "files": ("hoso_p_files", "hoso_p_steps", "hoso_p_holdings"),
    "actions": ("hoso_p_actions",),
}


# ------------------------------------------------------------------------ baselines
def read_bound(host: ProjectionHost, n: int, bar: Progress, *, decode: bool) -> float:
    """Pages of ``select_notifications`` from the start, as ``catch_up`` reads them."""
    what = "read + decode_stored" if decode else "bare select_notifications"
    task = bar.add_task(f"baseline: {what}", total=n)
    recorder = host.app.recorder
    position, count = 0, 0
    t0 = time.perf_counter_ns()
    while page := recorder.select_notifications(position + 1, BATCH):
        if decode:
            for item in page:
                decode_stored(item)
        position = page[-1].id
        count += len(page)
        bar.advance(task, len(page))
    elapsed = (time.perf_counter_ns() - t0) / 1e9
    assert count >= n, (count, n)
    return elapsed


def orjson_floor(store: EventStore, page: int = BATCH) -> tuple[int, float]:
    """(events, seconds) of reading every stored event with ``store.notifications`` in pages and
    parsing each with ``orjson.loads``: the floor of "read + decode" that any rebuild pays."""
    start, count = 1, 0
    t0 = time.perf_counter_ns()
    while items := store.notifications(start, page):
        for item in items:
            orjson.loads(item.state)
        count += len(items)
        start = items[-1].id + 1
    return count, (time.perf_counter_ns() - t0) / 1e9


@dataclass
class Rebuilt:
    events: dict[str, int]  # events each projection applied
    wall_s: float
    cpu_s: float


def rebuild_all(host: ProjectionHost, progress: Callable[[int], None] | None = None) -> Rebuilt:
    """``ProjectionHost.rebuild_all()`` (every projection, one read and decode), timed."""
    c0, t0 = _cpu_with_children(), time.perf_counter()
    done = host.rebuild_all(progress=progress)
    return Rebuilt(done, time.perf_counter() - t0, _cpu_with_children() - c0)


def _cpu_with_children() -> float:
    """This process's CPU seconds and its finished children's (a parallel rebuild's
    partitions run in processes of their own)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def host_for_url(store: EventStore, url: str, calendar: WorkingCalendar) -> ProjectionHost:
    """The projections of the store that ``url`` reopens (``sqlite:///path`` or PostgreSQL)."""
    if url.startswith("sqlite:///"):
        return ProjectionHost(store, None, url.removeprefix("sqlite:///"), calendar)
    return ProjectionHost(store, url, "", calendar)


def write_bound(store: EventStore, n: int, bar: Progress) -> float:
    """Raw executemany of N action-wide rows into a plain table, one commit per BATCH."""
    table = "bench_raw_actions"
    db_sql.run(
        store,
        f"CREATE TABLE {table} (position BIGINT PRIMARY KEY, code TEXT NOT NULL, "
        "version INTEGER NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, unit TEXT NOT NULL, "
        "occurred_at TEXT NOT NULL)",
    )
    sql = store._sql(
        f"INSERT INTO {table} (position, code, version, type, actor, unit, occurred_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    task = bar.add_task("baseline: raw insert (executemany)", total=n)
    elapsed = 0
    for start in range(0, n, BATCH):
        end = min(n, start + BATCH)
        rows = [
            (
                j + 1,
                f"PBADINH-260303-{j % 9999 + 1:04d}",
                j % 9 + 1,
                "FileHandedOff",
                f"quay{j % 12 + 1:02d}",
                "PBADINH",
                f"2026-03-03T0{j % 10}:30:00.000000Z",
            )
            for j in range(start, end)
        ]
        t0 = time.perf_counter_ns()
        with db_sql.transaction(store) as curs:
            curs.executemany(sql, rows)
        elapsed += time.perf_counter_ns() - t0
        bar.advance(task, end - start)
    db_sql.run(store, f"DROP TABLE {table}")
    return elapsed / 1e9


def count_rows(store: EventStore) -> dict[str, int]:
    return {
        t: int(db_sql.rows(store, f"SELECT COUNT(*) AS n FROM {t}")[0]["n"])
        for tables in ROW_COUNTS.values()
        for t in tables
    }


# ------------------------------------------------------------------------------ run
def new_host(fresh: Fresh, ledger: Ledger) -> ProjectionHost:
    return ProjectionHost(fresh.store, fresh.db, fresh.sqlite_path, ledger.calendar)


def rebuild(host: ProjectionHost, name: str, total: int, bar: Progress) -> float:
    task = bar.add_task(f'ProjectionHost.rebuild("{name}")', total=total)
    t0 = time.perf_counter_ns()
    done = host.rebuild(name, lambda k: bar.advance(task, k))
    elapsed = (time.perf_counter_ns() - t0) / 1e9
    assert done == total, (done, total)
    return elapsed


def profile_rebuilds(host: ProjectionHost, top: int = 25) -> str:
    out = io.StringIO()
    prof = cProfile.Profile()
    prof.enable()
    host.rebuild_all()
    prof.disable()
    out.write("\n===== cProfile of rebuild_all() =====\n")
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def run_size(
    backend: str, n: int, fill_batch: int, *, do_check: bool, profile: bool
) -> dict[str, Any]:
    with fresh_store(backend) as fresh, progress() as bar:
        ledger, work, filled = fill(fresh, n, fill_batch, bar)
        result: dict[str, Any] = {"events": n, **filled}
        if do_check:
            result["check"] = check(ledger, work, bar)
        del work
        total = fresh.store.max_position()  # N file events + the registry's
        result["stored_events"] = total
        host = new_host(fresh, ledger)
        try:
            for name in NAMES:
                result[f"rebuild_{name}_s"] = rebuild(host, name, total, bar)
            task = bar.add_task("ProjectionHost.rebuild_all()", total=total)
            both = rebuild_all(host, lambda k: bar.advance(task, k))
            assert both.events == dict.fromkeys(NAMES, total), both.events
            result["rebuild_all_s"], result["rebuild_all_cpu_s"] = both.wall_s, both.cpu_s
            result["orjson_floor_s"] = orjson_floor(fresh.store)[1]
            result["rows"] = count_rows(fresh.store)
            result["read_s"] = read_bound(host, total, bar, decode=False)
            result["decode_s"] = read_bound(host, total, bar, decode=True)
            result["raw_insert_s"] = write_bound(fresh.store, total, bar)
            for key in (
                "read",
                "decode",
                "raw_insert",
                "orjson_floor",
                "rebuild_all",
                *(f"rebuild_{m}" for m in NAMES),
            ):
                result[f"{key}_events_per_s"] = total / result[f"{key}_s"]
            if profile:
                result["profile"] = profile_rebuilds(host)
        finally:
            host.close()
    return result


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", default="100000", help="comma-separated sizes")
    parser.add_argument("--fill-batch", type=int, default=5000)
    parser.add_argument("--check", action="store_true", help="load a sample and audit all")
    parser.add_argument("--profile", action="store_true", help="cProfile the first size")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default: results/)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.events.split(",") if s.strip()]
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "backend": args.backend,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "batch": BATCH,
        "fill_batch": args.fill_batch,
        "results": [],
    }
    out = args.out or RESULTS / f"projections-{started:%Y-%m-%d}-{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for k, n in enumerate(sizes):
        console.rule(f"{args.backend}: {n:,} events")
        result = run_size(
            args.backend,
            n,
            args.fill_batch,
            do_check=args.check and n <= CHECK_MAX,
            profile=args.profile and k == 0,
        )
        doc["results"].append(result)
        doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        doc["machine"]["load_average_end"] = os.getloadavg()
        out.write_text(json.dumps(doc, indent=2) + "\n")  # after each size: partial runs count
        if "profile" in result:
            print(result["profile"])
    print(markdown(args.backend, doc["results"]))
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
