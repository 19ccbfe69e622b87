"""Live projection lag under the demo's load: commit -> row visible in ``hoso_p_files``.

    python -m benchmarks.projections_lag --backend sqlite   [--seconds 45] [--paced-seconds 90]
    python -m benchmarks.projections_lag --backend postgres

Each run uses a fresh ledger (fresh SQLite file or PostgreSQL schema ``bench_<hex>``), the
demo's registry and staff (``api.cli.demo.enroll``), and one writer thread that drives the demo's
workload (``api.cli.demo.Simulation``: about 300 files a day) through the real ``Ledger.receive`` /
``Ledger.execute``, one command at a time. The projections follow as ``hoso serve`` runs them:
PostgreSQL, ``ProjectionHost.runner(name)`` entered as a context manager for both projections
(the library's LISTEN/NOTIFY runner); SQLite, one thread calling ``ProjectionHost.catch_up``
for both projections every 0.2 s.

Lag of an event = the moment an observer thread first sees ``host.position("files")`` at or past
the event's position (rows and position commit in one transaction, so the file row is visible
then) minus the moment ``execute`` returned. The observer polls every ``--observe-ms`` (1 ms), so
figures carry up to that much extra. Runs, each ``--seconds`` long:

- **baseline**: the writer as fast as it can go, no projection following (events/s);
- **fast**: the same writer with the projections following (events/s, lag p50/p95/p99/max);
- **paced**: the demo's real-world rate x100 (a working minute of simulated time every 0.6 s of
  real time: about 8 events/s), projections following (lag), ``--paced-seconds`` long.

Prints a Markdown table and writes ``benchmarks/results/lag-<date>-<backend>.json``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.projections_fill import Fresh, fresh_store
from benchmarks.projections_scale import machine
from benchmarks.workload import FIRST_DAY, open_ledger
from projections.engine.runtime import ProjectionHost
from projections.models.handlers import NAMES

RESULTS = Path(__file__).parent / "results"
SPEEDUP = 100  # paced run: simulated working time runs 100x faster than real time
POLL = 0.2  # the SQLite follower's period, as in ``hoso serve``


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class Writer:
    """The demo's days through the real ledger; records (position, commit time) per command."""

    def __init__(self, fresh: Fresh, seconds: float, paced: bool) -> None:
        self.ledger, self.sim = open_ledger(fresh.store, fresh.tmp / "keys")
        self.base = fresh.store.max_position()  # the registry's events
        self.seconds, self.paced = seconds, paced
        self.commits: list[tuple[int, float]] = []
        self.events = 0
        self.elapsed = 0.0

    def run(self) -> None:
        sim, cal = self.sim, self.ledger.calendar
        day, index = FIRST_DAY, 0
        t0 = time.perf_counter()
        deadline = t0 + self.seconds
        while time.perf_counter() < deadline:
            index = sim.plan_day(day, index)
            opening, closing = cal.opening(day), cal.closing(day)
            day_start = time.perf_counter()
            steps = sim.run(closing)  # its stats count from zero each day
            done_before = self.events
            while True:
                if self.paced and sim.plan and sim.plan[0].at <= closing:
                    due = day_start + (sim.plan[0].at - opening).total_seconds() / SPEEDUP
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                stats = next(steps, None)
                if stats is None:
                    break
                now = time.perf_counter()
                if done_before + stats.events != self.events:
                    self.events = done_before + stats.events
                    self.commits.append((self.base + self.events, now))
                if now >= deadline:
                    break
            if stats is not None:
                break
            day = cal.next_working_day(day)
        self.elapsed = time.perf_counter() - t0


class Observer:
    """Polls ``host.position("files")``; keeps (time, position) at every change."""

    def __init__(self, host: ProjectionHost, every: float) -> None:
        self.host, self.every = host, every
        self.times: list[float] = []
        self.positions: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last = -1
        while not self.stop.is_set():
            pos = self.host.position("files")
            if pos != last:
                self.times.append(time.perf_counter())
                self.positions.append(pos)
                last = pos
            time.sleep(self.every)

    def seen_at(self, position: int) -> float | None:
        i = bisect.bisect_left(self.positions, position)
        return self.times[i] if i < len(self.positions) else None


@contextmanager
def following(host: ProjectionHost) -> Iterator[None]:
    """Both projections follow as ``hoso serve`` does (runners on PostgreSQL, polling SQLite)."""
    for name in NAMES:
        host.catch_up(name)
    if host.postgres:
        with ExitStack() as stack:
            for name in NAMES:
                stack.enter_context(host.runner(name))
            yield
        return
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(POLL):
            for name in NAMES:
                host.catch_up(name)

    thread = threading.Thread(target=poll, name="bench-follower", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def one_run(
    backend: str, seconds: float, *, paced: bool, follow: bool, observe_ms: float
) -> dict[str, Any]:
    with fresh_store(backend) as fresh:
        writer = Writer(fresh, seconds, paced)
        result: dict[str, Any] = {"paced": paced, "follow": follow}
        if not follow:
            writer.run()
        else:
            host = ProjectionHost(fresh.store, fresh.db, fresh.sqlite_path, writer.ledger.calendar)
            observer = Observer(host, observe_ms / 1000)
            watcher = threading.Thread(target=observer.run, name="bench-observer", daemon=True)
            try:
                with following(host):
                    watcher.start()
                    thread = threading.Thread(target=writer.run, name="bench-writer")
                    thread.start()
                    thread.join()
                    head = fresh.store.max_position()
                    drain_by = time.perf_counter() + 60
                    while host.position("files") < head and time.perf_counter() < drain_by:
                        time.sleep(0.01)
                observer.stop.set()
                watcher.join()
                result.update(lags(writer.commits, observer.seen_at))
                result["final_position"] = host.position("files")
                result["head"] = head
            finally:
                host.close()
        if fresh.store.max_position() != writer.base + writer.events:
            raise SystemExit("the writer's count of events differs from the store's head")
        result["events"] = writer.events
        result["commands"] = len(writer.commits)
        result["writer_s"] = writer.elapsed
        result["writer_events_per_s"] = writer.events / writer.elapsed
    return result


def lags(
    commits: list[tuple[int, float]], seen_at: Callable[[int], float | None]
) -> dict[str, Any]:
    values, missing = [], 0
    for position, committed in commits:
        seen = seen_at(position)
        if seen is None:
            missing += 1
        else:
            values.append(max(0.0, seen - committed) * 1000)
    values.sort()
    if not values:
        return {"lag_missing": missing}
    return {
        "lag_ms": {
            "p50": percentile(values, 0.50),
            "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99),
            "max": values[-1],
            "mean": sum(values) / len(values),
        },
        "lag_samples": len(values),
        "lag_missing": missing,
    }


def markdown(backend: str, runs: dict[str, dict[str, Any]]) -> str:
    base = runs["baseline"]["writer_events_per_s"]
    lines = [
        f"Live lag ({backend}): commit -> row visible in hoso_p_files, ms; writer ratio = "
        "writer events/s / the same writer without projections",
        "",
        "| run | events | writer events/s | writer ratio | lag p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in runs.items():
        lag = r.get("lag_ms")
        cells = (
            f"{lag['p50']:,.1f} | {lag['p95']:,.1f} | {lag['p99']:,.1f} | {lag['max']:,.1f}"
            if lag
            else "- | - | - | -"
        )
        lines.append(
            f"| {name} | {r['events']:,} | {r['writer_events_per_s']:,.1f} | "
            f"{r['writer_events_per_s'] / base:.2f} | {cells} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--paced-seconds", type=float, default=90)
    parser.add_argument("--observe-ms", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "backend": args.backend,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "speedup": SPEEDUP,
        "sqlite_poll_s": POLL,
        "observe_ms": args.observe_ms,
        "runs": {},
    }
    out = args.out or RESULTS / f"lag-{started:%Y-%m-%d}-{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = [
        ("baseline", args.seconds, False, False),
        ("fast", args.seconds, False, True),
        (f"paced x{SPEEDUP}", args.paced_seconds, True, True),
    ]
    for name, seconds, paced, follow in plan:
        print(f"{args.backend}: {name} ({seconds:.0f} s)", file=sys.stderr)
        doc["runs"][name] = one_run(
            args.backend, seconds, paced=paced, follow=follow, observe_ms=args.observe_ms
        )
        doc["machine"]["load_average_end"] = os.getloadavg()
        out.write_text(json.dumps(doc, indent=2) + "\n")
    print(markdown(args.backend, doc["runs"]))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
