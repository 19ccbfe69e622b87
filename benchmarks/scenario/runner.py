"""One run of the province-scale scenario: every stage, its baselines, one result file.

Order: the raw baselines (Ed25519, the database's own INSERT+COMMIT and bulk writes), then the
ledger store is filled with ``events`` real signed events of the demo's workload through the
verified bulk-ingest path, interactive commands run with group commit on a store of their own,
the Merkle log integrates the ledger store, checkpoints and proves, the projections rebuild,
the service answers citizen lookups over HTTP, the bytes on disk per event are counted, the full
audit re-verifies everything, and last (it adds events) the time from a write's acknowledgement
to a signed checkpoint that includes it is measured with the integrator running.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.scenario import baselines
from benchmarks.scenario.context import Context, Figure, progress_bar
from benchmarks.workload import ORIGIN, Workload, authority, open_ledger

PACKAGES = (
    "eventsourcing",
    "cryptography",
    "psycopg",
    "orjson",
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(ctx: Context) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "load_average_start": list(os.getloadavg()),
    }
    if ctx.backend == "postgres":
        with psycopg.connect(ctx.pg_url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else "unknown"
    return info


def raw_baselines(ctx: Context) -> list[Figure]:
    """The bounds read beside everything else; listed with no target of their own."""
    seconds = ctx.seconds(3)
    sign, verify = baselines.ed25519_rates(seconds)
    ctx.verify_all = every = baselines.ed25519_verify_all(seconds)
    cores = os.cpu_count() or 1
    one = baselines.raw_insert_rate(ctx, connections=1, seconds=seconds)
    four = baselines.raw_insert_rate(ctx, connections=4, seconds=seconds)
    bulk = baselines.raw_bulk_rate(ctx, seconds=seconds)
    bulk_name = "COPY" if ctx.backend == "postgres" else "executemany"
    return [
        Figure("baseline_ed25519_sign", "raw Ed25519 sign, 1 core", sign, "sig/s"),
        Figure("baseline_ed25519_verify", "raw Ed25519 verify, 1 core", verify, "sig/s"),
        Figure(
            "baseline_ed25519_verify_all",
            f"raw Ed25519 verify, {cores} cores ({cores} processes at once)",
            every,
            "sig/s",
            baseline_label="raw Ed25519 verify, 1 core",
            baseline=verify,
        ),
        Figure("baseline_insert_1", "raw INSERT+COMMIT, 1 connection", one, "rows/s"),
        Figure("baseline_insert_4", "raw INSERT+COMMIT, 4 connections", four, "rows/s"),
        Figure(
            "baseline_bulk",
            f"raw {bulk_name}, 1,000 rows per transaction",
            bulk,
            "rows/s",
            baseline_label="raw INSERT+COMMIT, 1 connection",
            baseline=one,
        ),
    ]


def run_scenario(ctx: Context) -> dict[str, Any]:
    """Run every stage on ``ctx``; the whole result as a JSON-able document."""
    from benchmarks.scenario import audit, commands, disk, http, ingest, latency, log, projections

    started = datetime.now(UTC)
    info = machine(ctx)
    stages: list[dict[str, Any]] = []
    figures: list[Figure] = []

    def stage(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        ctx.console.log(f"[bold cyan]stage {name}[/]")
        t0 = time.perf_counter()
        found = fn(*args, **kwargs)
        seconds = time.perf_counter() - t0
        stages.append({"stage": name, "seconds": round(seconds, 2)})
        figures.extend(found)
        for f in found:
            ratio = f" ({f.ratio:.2f}x {f.baseline_label})" if f.ratio is not None else ""
            mark = {True: "[green]met[/]", False: "[red]missed[/]", None: ""}[f.met]
            ctx.console.log(f"  {f.label}: {f.value:,.1f} {f.unit}{ratio} {mark}")
        return found

    with progress_bar(ctx.console) as bar:
        ctx.progress = bar
        stage("baselines", raw_baselines, ctx)
        store = ctx.fresh_store("ledger")
        ledger, sim = open_ledger(store, ctx.workdir / "keys")
        workload = Workload(ledger, sim)
        stage("ingest", ingest.run, ctx, store, ledger, workload)
        seconds = ctx.settle(store)  # the bulk write's vacuum and checkpoint, before the rest
        ctx.console.log(f"database settled after the ingest (VACUUM, CHECKPOINT): {seconds:.1f} s")
        stage("commands", commands.run, ctx)
        stage("log", log.run, ctx, store, origin=ORIGIN)
        stage("projections", projections.run, ctx, store)
        url = ctx.store_url(store)
        stage("http", http.run, ctx, store, ledger, url)
        stage("disk", disk.run, ctx, store)
        stage(
            "audit",
            audit.run,
            ctx,
            store,
            origin=ORIGIN,
            authority_key=authority().public_key,
            store_url=url,
        )
        stage("latency", latency.run, ctx, store, workload)  # last: it adds events
        ctx.progress = None
    info["load_average_end"] = list(os.getloadavg())
    return {
        "backend": ctx.backend,
        "events": ctx.events,
        "quick": ctx.quick,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "stages": stages,
        "figures": [f.as_dict() for f in figures],
        "series": {k: sorted(v) for k, v in ctx.series.items()},
    }
