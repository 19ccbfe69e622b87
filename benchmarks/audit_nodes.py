"""What recomputing the stored interior nodes adds to the log half of the audit.

    python -m benchmarks.audit_nodes --backend sqlite --leaves 100000,1000000

For each size N, on a fresh store (``benchmarks.log_fill``: synthetic stored events, the
integrator's own tables), the log half of the audit (``log_audit_report``: every leaf against
its event, the compact range, the checkpoint) runs twice, timed: with the interior nodes
recomputed and compared (``recompute_nodes=True``, what ``hoso audit`` does) and without. The
difference is the cost of the node check; put it beside the events half at the same N (the
full audit of 1M events: about 74 s on 2 cores, ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from benchmarks.log_fill import ORIGIN, console, fill, fresh_store, progress
from ledger.audit.log_checks import log_audit_report
from ledger.log.storage import MerkleLog
from signing import generate_private_key
from signing.note import NoteSigner, NoteVerifier


def measure(backend: str, n: int) -> tuple[float, float, int]:
    """(seconds with the nodes, seconds without, nodes checked) for a log of ``n`` leaves."""
    signer = NoteSigner(ORIGIN, generate_private_key(bytes([7]) * 32))
    verifier = NoteVerifier.from_vkey(signer.vkey())
    with fresh_store(backend) as store, progress() as bar:
        fill(store, n, 10_000, bar)
        log = MerkleLog(store, ORIGIN)
        log.integrate()
        log.make_checkpoint(signer, datetime.now(UTC))
        times = {}
        for nodes in (True, False):
            t0 = time.perf_counter()
            report = log_audit_report(log, verifier, recompute_nodes=nodes)
            times[nodes] = time.perf_counter() - t0
            assert report.ok and report.leaves == n, report.failures
        return times[True], times[False], sum(log.node_counts().values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--leaves", default="100000")
    args = parser.parse_args()
    print("| backend | leaves | nodes | log audit with nodes | without | node check |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in args.leaves.split(",")):
        with_nodes, without, nodes = measure(args.backend, n)
        console.print(f"{n:,} leaves done")
        print(
            f"| {args.backend} | {n:,} | {nodes:,} | {with_nodes:.2f} s | {without:.2f} s "
            f"| {with_nodes - without:+.2f} s |"
        )


if __name__ == "__main__":
    main()
