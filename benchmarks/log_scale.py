"""The Merkle log at scale: integrator leaves/s and proof latency at 100k and 1M leaves.

    python -m benchmarks.log_scale --backend sqlite --leaves 100000,1000000 [--proofs 2000]
    python -m benchmarks.log_scale --backend postgres --leaves 10000000 --rounds 3
    python -m benchmarks.log_scale --backend postgres --leaves 100000 --profile

For each size N, on a fresh store (SQLite file in a temporary folder, or a fresh PostgreSQL
schema ``bench_<hex>`` dropped afterwards):

1. **fill**: N synthetic stored events (``FileHandedOff``, about 600 bytes each, N/20 streams,
   interleaved), appended through ``EventStore.append`` in batches of ``--fill-batch``. The
   integrator never checks signatures, so synthetic bytes cost it exactly what real envelopes do.
2. **integrate**: ``MerkleLog.integrate()`` from empty to N, timed as one call -> leaves/s.
   Baselines in the same run, same N entries, same backend:
   (a) bare ``hashlib.sha256`` of the N leaves plus the N - popcount(N) node hashes (the
   hashing bound; entries are regenerated in chunks outside the timer);
   (b) raw ``executemany`` of N rows (index, position, 32-byte hash) into a plain table, one
   transaction per ``ledger.log.storage.BATCH`` rows (the storage bound for the leaves);
   (c) the same plus the node rows (level, idx, hash), also by ``executemany`` (the storage
   bound for everything the integrator writes).
   The log's root is checked against the root of the hashing baseline.
3. **proofs**: p50/p99/mean latency of ``inclusion_proof(i, N)`` for random i and
   ``consistency_proof(a, N)`` for random a, each proof then verified (timed separately),
   beside one indexed point ``SELECT`` of a leaf hash through the same ``ledger.store.sql.rows``
   (the floor of one round trip). The number of store queries per proof is counted on a
   separate, untimed pass. ``--rounds R``: the proofs measured R times on the same log (each
   round its own random leaves); the worst round by inclusion p99 is reported, every round kept.

Prints a Markdown table and writes ``benchmarks/results/log-<date>-<backend>.json``. With
``--profile``, the integrator of the first size runs under cProfile (a second fill, after the
timed run) and the top functions by cumulative and own time are printed. With ``--breakdown``,
the integrator of the last size runs again on a second fill with each store call timed (no
profiler overhead) and its share of the whole is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import Progress

from benchmarks.log_fill import (
    ENTRY_BYTES,
    ORIGIN,
    SEED,
    chunks,
    console,
    fill,
    fresh_store,
    progress,
)
from benchmarks.log_profile import breakdown_integrator, breakdown_markdown, profile_integrator
from benchmarks.log_proofs import proofs
from ledger.log.storage import BATCH, MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore

RESULTS = Path(__file__).parent / "results"


def completed_nodes(index: int) -> Iterator[tuple[int, int]]:
    """The (level, idx) of every complete subtree that leaf ``index`` completes."""
    level, i = 0, index
    while i % 2 == 1:
        level, i = level + 1, i // 2
        yield level, i


# ------------------------------------------------------------------------ baselines
def hash_into(stack: list[bytes], count: int, states: list[bytes]) -> tuple[int, int]:
    """Bare hashlib over more leaves: each leaf hash, then every node hash it completes, kept
    on ``stack`` (perfect subtrees, largest first). Returns (leaves so far, nodes hashed)."""
    sha256 = hashlib.sha256
    nodes = 0
    for state in states:
        stack.append(sha256(b"\x00" + state).digest())
        count += 1
        c = count
        while c & 1 == 0:
            right = stack.pop()
            stack[-1] = sha256(b"\x01" + stack[-1] + right).digest()
            nodes += 1
            c >>= 1
    return count, nodes


def fold_root(stack: list[bytes]) -> bytes:
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = hashlib.sha256(b"\x01" + left + root).digest()
    return root


def hashing_bound(n: int, bar: Progress) -> tuple[float, bytes, int]:
    """Bare hashlib: N leaf hashes + every complete-subtree node hash; (seconds, root, nodes)."""
    task = bar.add_task(f"baseline: bare sha256 x {n:,}", total=n)
    stack: list[bytes] = []
    count = nodes = 0
    elapsed = 0
    for _start, events in chunks(n, BATCH):
        states = [e.state for e in events]
        t0 = time.perf_counter_ns()
        count, added = hash_into(stack, count, states)
        elapsed += time.perf_counter_ns() - t0
        nodes += added
        bar.advance(task, len(states))
    return elapsed / 1e9, fold_root(stack), nodes


def storage_bound(store: EventStore, n: int, bar: Progress, *, nodes: bool) -> float:
    """Raw executemany of the leaf rows (and node rows) into plain tables, BATCH per commit."""
    blob = "BYTEA" if store.dialect == "postgresql" else "BLOB"
    suffix = "full" if nodes else "leaves"
    leaves_t, nodes_t = f"bench_raw_leaves_{suffix}", f"bench_raw_nodes_{suffix}"
    db_sql.run(
        store,
        f"CREATE TABLE {leaves_t} (leaf_index BIGINT PRIMARY KEY, "
        f"position BIGINT NOT NULL, leaf_hash {blob} NOT NULL)",
    )
    db_sql.run(
        store,
        f"CREATE TABLE {nodes_t} (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
        f"hash {blob} NOT NULL, PRIMARY KEY (level, idx))",
    )
    leaf_sql = store._sql(
        f"INSERT INTO {leaves_t} (leaf_index, position, leaf_hash) VALUES (?, ?, ?)"
    )
    node_sql = store._sql(f"INSERT INTO {nodes_t} (level, idx, hash) VALUES (?, ?, ?)")
    what = "leaves + nodes" if nodes else "leaves"
    task = bar.add_task(f"baseline: raw insert {what}", total=n)
    elapsed = 0
    for start in range(0, n, BATCH):
        end = min(n, start + BATCH)
        leaf_rows = [(j, j + 1, j.to_bytes(32, "big")) for j in range(start, end)]
        node_rows = (
            [
                (lv, ix, ix.to_bytes(32, "big"))
                for j in range(start, end)
                for lv, ix in completed_nodes(j)
            ]
            if nodes
            else []
        )
        t0 = time.perf_counter_ns()
        with db_sql.transaction(store) as curs:
            curs.executemany(leaf_sql, leaf_rows)
            if node_rows:
                curs.executemany(node_sql, node_rows)
        elapsed += time.perf_counter_ns() - t0
        bar.advance(task, end - start)
    db_sql.run(store, f"DROP TABLE {leaves_t}")
    db_sql.run(store, f"DROP TABLE {nodes_t}")
    return elapsed / 1e9


# ------------------------------------------------------------------------------ run
def worst_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round whose inclusion proofs had the highest p99 (the one a target is judged by)."""
    return max(rounds, key=lambda r: float(r["inclusion"]["p99_us"]))


def run_size(
    backend: str, n: int, n_proofs: int, fill_batch: int, rounds: int = 1
) -> dict[str, Any]:
    with fresh_store(backend) as store, progress() as bar:
        fill_s = fill(store, n, fill_batch, bar)
        log = MerkleLog(store, ORIGIN)

        task = bar.add_task(f"MerkleLog.integrate() -> {n:,}", total=n)
        t0 = time.perf_counter_ns()
        added = log.integrate(on_batch=lambda k: bar.advance(task, k))
        integrate_s = (time.perf_counter_ns() - t0) / 1e9
        assert added == n == log.size(), (added, n)

        hash_s, root, node_count = hashing_bound(n, bar)
        if log.root(n) != root:
            raise SystemExit("the log's root differs from the hashing baseline's root")
        raw_leaves_s = storage_bound(store, n, bar, nodes=False)
        raw_full_s = storage_bound(store, n, bar, nodes=True)
        proof_rounds = [proofs(log, n, n_proofs, bar, k) for k in range(rounds)]
    return {
        "leaves": n,
        "nodes": node_count,
        "fill_s": fill_s,
        "fill_events_per_s": n / fill_s,
        "integrate_s": integrate_s,
        "integrate_leaves_per_s": n / integrate_s,
        "hash_bound_s": hash_s,
        "hash_bound_leaves_per_s": n / hash_s,
        "raw_leaves_insert_s": raw_leaves_s,
        "raw_leaves_insert_per_s": n / raw_leaves_s,
        "raw_leaves_nodes_insert_s": raw_full_s,
        "raw_leaves_nodes_insert_per_s": n / raw_full_s,
        "ratio_vs_hashing": hash_s / integrate_s,
        "ratio_vs_raw_leaves": raw_leaves_s / integrate_s,
        "ratio_vs_raw_leaves_nodes": raw_full_s / integrate_s,
        "proofs": worst_round(proof_rounds),
        "proof_rounds": proof_rounds,
    }


def markdown(backend: str, results: list[dict[str, Any]]) -> str:
    lines = [
        f"Integrator ({backend}): leaves/s; ratio = integrator / baseline (1.0 = at the bound)",
        "",
        "| leaves | fill events/s | integrate leaves/s | bare sha256 leaves/s | ratio | "
        "raw insert leaves/s | ratio | raw insert leaves+nodes/s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['leaves']:,} | {r['fill_events_per_s']:,.0f} | "
            f"{r['integrate_leaves_per_s']:,.0f} | {r['hash_bound_leaves_per_s']:,.0f} | "
            f"{r['ratio_vs_hashing']:.3f} | {r['raw_leaves_insert_per_s']:,.0f} | "
            f"{r['ratio_vs_raw_leaves']:.2f} | {r['raw_leaves_nodes_insert_per_s']:,.0f} | "
            f"{r['ratio_vs_raw_leaves_nodes']:.2f} |"
        )
    lines += [
        "",
        f"Proofs ({backend}) at size N, µs (p50 / p99 / mean); ratio = p50 / point SELECT p50",
        "",
        "| leaves | point SELECT | size() | inclusion_proof | queries | ratio | verify | "
        "consistency_proof | queries | ratio | verify |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def fmt(s: dict[str, float]) -> str:
        return f"{s['p50_us']:,.0f} / {s['p99_us']:,.0f} / {s['mean_us']:,.0f}"

    for r in results:
        p = r["proofs"]
        floor = p["point_select"]["p50_us"]
        lines.append(
            f"| {r['leaves']:,} | {fmt(p['point_select'])} | {fmt(p['size_count'])} | "
            f"{fmt(p['inclusion'])} | "
            f"{p['inclusion_queries']:.1f} | {p['inclusion']['p50_us'] / floor:.1f} | "
            f"{fmt(p['inclusion_verify'])} | {fmt(p['consistency'])} | "
            f"{p['consistency_queries']:.1f} | {p['consistency']['p50_us'] / floor:.1f} | "
            f"{fmt(p['consistency_verify'])} |"
        )
    for r in results:
        if len(r.get("proof_rounds", ())) > 1:
            lines += _rounds_table(r)
    return "\n".join(lines)


def _rounds_table(r: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Proof rounds at {r['leaves']:,} leaves, µs (p50 / p99 / mean); the table above shows "
        "the worst round by inclusion p99",
        "",
        "| round | point SELECT | inclusion_proof | consistency_proof |",
        "|---:|---:|---:|---:|",
    ]
    for k, p in enumerate(r["proof_rounds"], 1):
        cells = [
            f"{p[key]['p50_us']:,.0f} / {p[key]['p99_us']:,.0f} / {p[key]['mean_us']:,.0f}"
            for key in ("point_select", "inclusion", "consistency")
        ]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return lines


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
    parser.add_argument("--leaves", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--proofs", type=int, default=2000, help="proofs of each kind per size")
    parser.add_argument(
        "--rounds", type=int, default=1, help="proof rounds per size (worst one reported)"
    )
    parser.add_argument("--fill-batch", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile the first size")
    parser.add_argument(
        "--breakdown", action="store_true", help="time each store call of integrate(), last size"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default: results/)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.leaves.split(",") if s.strip()]
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "backend": args.backend,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "batch": BATCH,
        "fill_batch": args.fill_batch,
        "entry_bytes": ENTRY_BYTES,
        "seed": SEED,
        "results": [],
    }
    out = args.out or RESULTS / f"log-{started:%Y-%m-%d}-{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        console.rule(f"{args.backend}: {n:,} leaves")
        doc["results"].append(run_size(args.backend, n, args.proofs, args.fill_batch, args.rounds))
        doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        doc["machine"]["load_average_end"] = os.getloadavg()
        out.write_text(json.dumps(doc, indent=2) + "\n")  # after each size: partial runs count
    if args.profile and sizes:
        console.rule(f"cProfile of MerkleLog.integrate() at {sizes[0]:,} leaves")
        doc["profile"] = profile_integrator(args.backend, sizes[0], args.fill_batch)
        out.write_text(json.dumps(doc, indent=2) + "\n")
        print(doc["profile"])
    if args.breakdown and sizes:
        console.rule(f"store calls of MerkleLog.integrate() at {sizes[-1]:,} leaves")
        doc["breakdown"] = breakdown_integrator(args.backend, sizes[-1], args.fill_batch)
        out.write_text(json.dumps(doc, indent=2) + "\n")
        print(breakdown_markdown(doc["breakdown"]) + "\n")
    print(markdown(args.backend, doc["results"]))
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
