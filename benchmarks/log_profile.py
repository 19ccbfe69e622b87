"""Where the log's integrator spends its time, on a second fill: cProfile of
``MerkleLog.integrate()``, or each step of ``ledger.log.integrator`` timed without a profiler
(with its Markdown table)."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from benchmarks.log_fill import ORIGIN, fill, fresh_store, progress
from ledger.log import integrator as log_integrator
from ledger.log.storage import MerkleLog


def profile_integrator(backend: str, n: int, fill_batch: int, top: int = 25) -> str:
    with fresh_store(backend) as store, progress() as bar:
        fill(store, n, fill_batch, bar)
        log = MerkleLog(store, ORIGIN)
        prof = cProfile.Profile()
        prof.enable()
        log.integrate()
        prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def breakdown_integrator(backend: str, n: int, fill_batch: int) -> dict[str, Any]:
    """Where ``integrate()`` spends its time, without cProfile: each step of
    ``ledger.log.integrator`` is timed (one ``perf_counter_ns`` pair per call, on a second fill).
    Shares are of the whole call; on PostgreSQL ``write_batch`` runs in the writer thread beside
    the next batch's read and hashing, so the shares may add up to more than 100%."""
    acc: dict[str, list[int]] = {}

    def timed(name: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter_ns()
            out = fn(*args, **kwargs)
            key = name(*args) if callable(name) else name
            slot = acc.setdefault(key, [0, 0])
            slot[0] += time.perf_counter_ns() - t0
            slot[1] += 1
            return out

        return call

    steps = {
        "log_ends": "log_ends (size and last position, one query)",
        "frontier_hashes": "frontier_hashes (the stored tree's frontier)",
        "read_entries": "read_entries (the batch's events)",
        "extend": "extend (leaf and node hashes)",
        "copy_leaves": "copy_leaves (encode the COPY rows)",
        "copy_nodes": "copy_nodes (encode the COPY rows)",
        "write_batch": "write_batch (leaves and nodes, commit; writer thread on PostgreSQL)",
    }
    with fresh_store(backend) as store, progress() as bar, ExitStack() as patches:
        fill(store, n, fill_batch, bar)
        for attr, label in steps.items():
            original = getattr(log_integrator, attr)
            patches.callback(setattr, log_integrator, attr, original)
            setattr(log_integrator, attr, timed(label, original))
        log = MerkleLog(store, ORIGIN)
        t0 = time.perf_counter_ns()
        log.integrate()
        total = time.perf_counter_ns() - t0
    rows = {
        k: {"calls": c, "s": ns / 1e9, "share": ns / total, "us_per_call": ns / c / 1e3}
        for k, (ns, c) in sorted(acc.items(), key=lambda kv: -kv[1][0])
    }
    rest = 1 - sum(r["share"] for r in rows.values())
    return {"leaves": n, "integrate_s": total / 1e9, "calls": rows, "rest_share": rest}


def breakdown_markdown(b: dict[str, Any]) -> str:
    lines = [
        f"Integrator breakdown at {b['leaves']:,} leaves: {b['integrate_s']:.2f} s, "
        f"{b['leaves'] / b['integrate_s']:,.0f} leaves/s",
        "",
        "| store call | calls | s | share | µs per call |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, r in b["calls"].items():
        lines.append(
            f"| {k} | {r['calls']:,} | {r['s']:.2f} | {r['share']:.1%} | {r['us_per_call']:,.1f} |"
        )
    lines.append(
        f"| the rest (not in a timed step; negative when steps overlap) | | | "
        f"{b['rest_share']:.1%} | |"
    )
    return "\n".join(lines)
