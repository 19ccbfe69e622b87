"""The scenario runner's ``--quick`` run, end to end, as a person runs it (a process).

It fails only when the scenario itself breaks (a stage raises, a figure or its baseline is
missing, the report or a chart is not written), never on speed: no figure's value is compared
with a target here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.postgres import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
TARGETED = {
    "commands_8_clients",
    "ingest_batched",
    "log_integrator",
    "log_inclusion_p99",
    "audit_rate",
    "audit_memory",
    "projection_rebuild",
    "http_lookup_rps_50",
    "http_lookup_p99_50",
    "http_lookup_wrong_pin_50",
    "commands_8_clients_p99",
    "disk_bytes_per_event",
    "checkpoint_latency_p99",
}
UNBASELINED = {"audit_memory"}  # a bound of its own, not a ratio


def scenario(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.scenario", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_quick_scenario_runs_every_stage_and_reports(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        require_postgres()
    md = tmp_path / "RESULTS.md"
    run = scenario(
        "--backend", backend, "--quick", "--pg-url", PG_URL,
        "--out-dir", str(tmp_path), "--results-md", str(md),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    assert f"scenario {backend}" in run.stdout
    (result,) = tmp_path.glob(f"*-{backend}-quick.json")
    doc = json.loads(result.read_text())
    assert doc["backend"] == backend and doc["quick"] is True
    figures = {f["key"]: f for f in doc["figures"]}
    assert set(figures) >= TARGETED, TARGETED - set(figures)
    for key in TARGETED:
        f = figures[key]
        assert f["value"] > 0, f
        assert isinstance(f["met"], bool) and f["target"], f
        if key in UNBASELINED:
            continue
        assert f["baseline"] and f["baseline"] > 0, f
        assert f["ratio"] == pytest.approx(f["value"] / f["baseline"]), f
    assert {s["stage"] for s in doc["stages"]} >= {
        "baselines", "ingest", "commands", "log", "projections", "http", "disk", "audit",
        "latency",
    }  # fmt: skip
    text = md.read_text()
    for key in TARGETED:
        assert figures[key]["label"] in text
    assert "the worst run must meet each" in text
    charts = sorted(tmp_path.glob("*.png"))
    assert charts, "no chart was written"
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert chart.name in text


def test_bad_arguments_are_one_line_and_non_zero(tmp_path: Path) -> None:
    run = scenario("--backend", "oracle", "--out-dir", str(tmp_path), timeout=60)
    assert run.returncode == 2
    assert "invalid choice" in run.stderr and "Traceback" not in run.stderr


def test_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    run = scenario(
        "--backend", "postgres", "--quick", "--pg-url", "postgresql://postgres@127.0.0.1:1/test",
        "--out-dir", str(tmp_path), timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.strip().startswith("scenario: PostgreSQL unreachable")
    assert "Traceback" not in run.stderr
    assert not list(tmp_path.glob("*.json"))


def test_the_report_judges_a_target_by_the_worst_of_the_runs(tmp_path: Path) -> None:
    """Three runs of one size: each figure's median and worst, each beside its own run's
    baseline; met only when every run met it; every run's value in the spread table."""
    from benchmarks.scenario.report import newest_results, write_result, write_results_md

    def run(minute: int, rate: float, base: float) -> dict[str, object]:
        ratio = rate / base
        return {
            "backend": "postgres", "events": 1_000_000, "quick": False,
            "started": f"2026-12-05T10:{minute:02d}:00+00:00",
            "machine": {
                "cores": 2, "cpu": "test", "python": "3.11", "postgresql": "15",
                "packages": {}, "load_average_start": [0.1], "load_average_end": [0.2],
            },
            "stages": [{"stage": "commands", "seconds": 1.0}],
            "figures": [{
                "key": "commands_8_clients", "label": "single-event commands", "value": rate,
                "unit": "events/s", "baseline_label": "plain eventsourcing", "baseline": base,
                "ratio": ratio, "target": ">= 2.5x plain eventsourcing", "met": ratio >= 2.5,
                "note": f"run at {minute}", "extra": {},
            }],
            "series": {},
        }  # fmt: skip

    for minute, rate, base in ((1, 3000.0, 1000.0), (2, 2000.0, 1000.0), (3, 2600.0, 1000.0)):
        write_result(tmp_path, run(minute, rate, base))
    write_result(tmp_path, {**run(0, 9000.0, 1000.0), "events": 10_000})  # another size
    (group,) = newest_results(tmp_path)
    assert [d["started"][11:16] for d in group] == ["10:03", "10:02", "10:01"]
    md = tmp_path / "RESULTS.md"
    write_results_md(md, [group], tmp_path)
    text = md.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| single-event commands"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["2,600 events/s", "2,000 events/s"]  # median, worst
    assert cells[4:6] == ["2.60 x", "2.00 x"]
    assert cells[-1] == "**missed** (met in 2 of 3)"
    assert "run at 2" in text  # the worst run's note
    assert "3,000 events/s (3.00 x)" in text  # the spread keeps the best run too
