"""The audit stage's memory figure is the audit's own, not the scenario runner's.

Regression: at 1M events the scenario reported the audit's parent process at 441 MB, while the
process itself never held more than about 90 MB. Linux keeps ``ru_maxrss`` across ``execve``, so
a child started by the large scenario process reported the scenario's peak as its own. The child
now reads its own ``VmHWM`` (reset by ``execve``). Here the starting process holds a ballast far
larger than any audit of a small store needs; the figure must not include it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.scenario.ingest import requests
from benchmarks.workload import ORIGIN, Workload, authority, open_ledger
from ledger.chain.intake import Intake
from ledger.store.opening import open_sqlite

ROOT = Path(__file__).resolve().parents[2]
BALLAST_MB = 400


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_audit_child_reports_its_own_peak_not_its_starters(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = open_sqlite(path)
    ledger, sim = open_ledger(store, tmp_path / "keys")
    intake = Intake(ledger, workers=1)
    try:
        for chunk in Workload(ledger, sim).batches(300, 300):
            for batch in requests(chunk):
                outcomes = intake.submit_many(batch, now=lambda env: env.occurred_at)
                assert all(o.error is None for o in outcomes)
    finally:
        intake.close()
        store.close()
    ballast = bytearray(BALLAST_MB << 20)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))  # resident, not just mapped
    run = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.scenario.audit_child", f"sqlite:///{path}",
            ORIGIN, authority().public_key.hex(), "--workers", "2",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    del ballast
    assert run.returncode == 0, run.stderr[-3000:]
    (line,) = [ln for ln in run.stdout.splitlines() if ln.startswith("R ")]
    found = json.loads(line[2:])
    assert found["ok"] and found["events"] >= 300
    parent_mb = found["parent_maxrss_kb"] / 1024
    assert 0 < parent_mb < BALLAST_MB / 2, found
    assert all(0 < kb / 1024 < BALLAST_MB / 2 for kb in found["worker_peaks_kb"]), found
