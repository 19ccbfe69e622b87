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
        "baselines", "ingest", "commands", "log", "projections", "http", "audit",
    }  # fmt: skip
    text = md.read_text()
    for key in TARGETED:
        assert figures[key]["label"] in text
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
