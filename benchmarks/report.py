"""Markdown table of a pytest-benchmark JSON file: each ledger case beside its baselines.

    python -m benchmarks.report BENCH_JSON

Each benchmark is tagged by ``benchmarks/test_bench_ledger.py`` with ``extra_info`` ``case``,
``backend``, ``role`` (``system`` or ``baseline``) and ``label``. One row per (system, baseline)
pair of the same case and backend; the ratio is system ops/s ÷ baseline ops/s (mean times), so
0.25 means the ledger does a quarter of the baseline's operations per second. The ratio of
medians is printed beside it: on a shared machine it is the less disturbed of the two.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HEADER = (
    "| case | backend | system | ops/s (mean) | baseline | baseline ops/s | "
    "ratio (system / baseline) | ratio of medians |\n|---|---|---|---:|---|---:|---:|---:|"
)


def _ops(bench: dict[str, Any], stat: str = "mean") -> float:
    return 1.0 / float(bench["stats"][stat])


def rows(data: dict[str, Any]) -> list[str]:
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    order: list[tuple[str, str]] = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "case" not in info:
            continue
        key = (info["case"], info["backend"])
        if key not in groups:
            order.append(key)
        groups[key][info["role"]].append(bench)
    lines = []
    for case, backend in sorted(order, key=lambda k: (k[0], k[1])):
        group = groups[(case, backend)]
        for system in group["system"]:
            bases: list[dict[str, Any] | None] = [*group["baseline"]] or [None]
            for base in bases:
                s_ops = _ops(system)
                if base is None:
                    lines.append(
                        f"| {case} | {backend} | {system['extra_info']['label']} | "
                        f"{s_ops:,.0f} | (none) | | | |"
                    )
                    continue
                b_ops = _ops(base)
                by_median = _ops(system, "median") / _ops(base, "median")
                lines.append(
                    f"| {case} | {backend} | {system['extra_info']['label']} | {s_ops:,.0f} | "
                    f"{base['extra_info']['label']} | {b_ops:,.0f} | {s_ops / b_ops:.2f} | "
                    f"{by_median:.2f} |"
                )
    return lines


def sizes(data: dict[str, Any]) -> list[str]:
    """Stored bytes of one handoff event, where the benchmark recorded it."""
    out = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "event_bytes" in info:
            out.append(
                f"- {info['label']} [{info['backend']}]: {info['event_bytes']} bytes per event"
            )
    return out


def render(data: dict[str, Any]) -> str:
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {})
    head = (
        f"Python {machine.get('python_version', '?')}, "
        f"{cpu.get('brand_raw', '?')} ({cpu.get('count', '?')} logical CPUs), "
        f"run {data.get('datetime', '?')}"
    )
    parts = [head, "", HEADER, *rows(data)]
    stored = sizes(data)
    if stored:
        parts += ["", "Stored handoff event size:", *stored]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.report BENCH_JSON", file=sys.stderr)
        return 2
    try:
        data = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"cannot read {args[0]}: {e}", file=sys.stderr)
        return 1
    print(render(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
