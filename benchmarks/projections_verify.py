"""``hoso projections verify`` at scale: the read models rebuilt aside and compared, beside the
rebuild of the live read models from the same events.

    python -m benchmarks.projections_verify --backend sqlite --events 100000

On a fresh store (``benchmarks.projections_fill``: N real signed envelopes of the demo's
workload), ``ProjectionHost.rebuild_all()`` (the baseline: what a rebuild of the live read
models costs) and then ``verify_projections`` (a rebuild into digests and the page by page
comparison with the live tables) are timed; the process's peak resident size is read before
and after the verification (what it added to the peak).
"""

from __future__ import annotations

import argparse
import resource
import time

from benchmarks.projections_fill import fill, fresh_store, progress
from projections.engine.runtime import ProjectionHost
from projections.engine.verify import verify_projections


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with fresh_store(args.backend) as fresh, progress() as bar:
        ledger, work, _filled = fill(fresh, args.events, 1000, bar)
        del work
        total = fresh.store.max_position()
        host = ProjectionHost(fresh.store, fresh.db, fresh.sqlite_path, ledger.calendar)
        try:
            t0 = time.perf_counter()
            host.rebuild_all()
            rebuild_s = time.perf_counter() - t0
            before = peak_mb()
            t0 = time.perf_counter()
            checks = verify_projections(host)
            verify_s = time.perf_counter() - t0
            after = peak_mb()
        finally:
            host.close()
    assert all(c.ok for c in checks), [c.findings() for c in checks]
    rows = sum(c.rows for c in checks)
    print("| backend | events | rows compared | rebuild_all | verify | verify rows/s | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.backend} | {total:,} | {rows:,} | {rebuild_s:.1f} s | {verify_s:.1f} s "
        f"| {rows / verify_s:,.0f} | {before:.0f} -> {after:.0f} MB |"
    )


if __name__ == "__main__":
    main()
