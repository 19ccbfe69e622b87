"""The full audit (events half) in a process of its own, for the scenario's audit stage.

``python -m benchmarks.scenario.audit_child URL ORIGIN AUTHORITY_HEX [--workers N]`` audits the
store at URL with ``ledger.audit.full.audit_report`` and prints, one per line, ``P done total``
as it advances and finally ``R {json}``: the report's counts and rate, and the memory and CPU time
of this process and of its worker processes. Peak memory: the ``VmHWM`` of this process and of each
worker, read from ``/proc`` (the workers' while they run), so the sum over all processes is known
too. Not ``ru_maxrss`` of this process: Linux carries it across ``execve``, so a child started by a
large process (the scenario runner holds hundreds of MB at 1M events) would report its parent's
peak as its own. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ledger.audit.full import audit_report
from ledger.store.rows import reopen


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(p) for p in task.read_text().split())
        except OSError:
            continue
    return found


def _peak_kb(pid: int | str) -> int:
    """The process's own peak resident size (``VmHWM``, reset by ``execve``), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class PeakWatch:
    """Polls the peak resident size (VmHWM) of every child process until stopped."""

    def __init__(self, every: float = 0.1) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        me = os.getpid()
        while not self._stop.wait(every):
            for pid in _children(me):
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_kb(pid))

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def audit_once(url: str, origin: str, authority_key: bytes, workers: int) -> dict[str, Any]:
    store = reopen(url)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 0.2 or done >= total:
            last[0] = now
            print(f"P {done} {total}", flush=True)

    try:
        t0, cpu0 = time.perf_counter(), time.process_time()
        with PeakWatch() as watch:
            report = audit_report(
                store,
                origin=origin,
                authority_key=authority_key,
                progress=progress,
                workers=workers,
                url=url,
            )
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        store.close()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_kb = sorted(watch.peaks.values(), reverse=True)
    failure = report.failure
    return {
        "ok": report.ok,
        "failure": None if failure is None else f"{failure.stream} v{failure.version}: {failure}",
        "events": report.events,
        "elapsed": report.elapsed,
        "wall": wall,
        "events_per_second": report.events_per_second,
        "workers": report.workers,
        "parent_maxrss_kb": _peak_kb("self") or me.ru_maxrss,
        "parent_ru_maxrss_kb": me.ru_maxrss,  # may include the exec'ing process's peak
        "largest_worker_maxrss_kb": kids.ru_maxrss,
        "worker_peaks_kb": workers_kb,
        "parent_cpu_s": cpu,  # during audit_report only (not imports, not opening the store)
        "workers_cpu_s": kids.ru_utime + kids.ru_stime,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("origin")
    parser.add_argument("authority_hex")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    result = audit_once(args.url, args.origin, bytes.fromhex(args.authority_hex), args.workers)
    print("R " + json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
