"""The scenario's outputs: the result file, RESULTS.md (figures, baselines, ratios) and charts.

``RESULTS.md`` is regenerated from the newest full-size runs of each backend in the results
folder: up to ``RUNS`` of them with the newest one's size (quick runs are written beside them
with a ``-quick`` suffix and left out, unless a quick result is the only one given). Each figure
shows its median and its worst over those runs, each run's figure beside the baseline measured
in that same run; a target is met only when the worst run meets it (issue 19: a figure that
holds only on a lucky run does not hold), and every run's value is kept in a spread table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

RESULT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:T\d{4,6})?)-(sqlite|postgres)(-quick)?\.json$")
RUNS = 3  # runs a report takes together: the worst of them must meet a target


def result_path(out_dir: Path, doc: dict[str, Any]) -> Path:
    """``<started, to the second>-<backend>[-quick].json``: every run keeps its own file."""
    started = str(doc["started"])
    stamp = started[:10] + "T" + started[11:19].replace(":", "")
    suffix = "-quick" if doc["quick"] else ""
    return out_dir / f"{stamp}-{doc['backend']}{suffix}.json"


def write_result(out_dir: Path, doc: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = result_path(out_dir, doc)
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def newest_results(
    out_dir: Path, *, include_quick: bool = False, runs: int = RUNS
) -> list[list[dict[str, Any]]]:
    """Per backend (PostgreSQL first), its newest runs, newest first: up to ``runs`` of them
    of the newest run's size and kind (full runs unless ``include_quick``)."""
    found: dict[str, list[tuple[str, Path]]] = {}
    for path in out_dir.glob("*.json"):
        m = RESULT_NAME.match(path.name)
        if m is None or (m.group(3) and not include_quick):
            continue
        found.setdefault(m.group(2), []).append((m.group(1), path))
    order = ("postgres", "sqlite")
    groups: list[list[dict[str, Any]]] = []
    for backend in sorted(found, key=order.index):
        docs = [orjson.loads(p.read_bytes()) for _, p in sorted(found[backend], reverse=True)]
        newest = docs[0]
        same = [d for d in docs if (d["events"], d["quick"]) == (newest["events"], newest["quick"])]
        groups.append(same[:runs])
    return groups


# ----------------------------------------------------------------------------- Markdown
def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}" if unit in ("ms", "MB", "x") or abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def _verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: ""}[met]


def _machine(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    pk = m["packages"]
    parts = [
        f"{m['cores']} cores ({m['cpu']})",
        f"Python {m['python']}",
        f"{doc['backend']}" + (f" {m['postgresql']}" if "postgresql" in m else f" {m['sqlite']}"),
        ", ".join(f"{k} {v}" for k, v in pk.items()),
    ]
    load = (
        f"load average {m['load_average_start'][0]:.1f} at the start, "
        f"{m.get('load_average_end', [0.0])[0]:.1f} at the end"
    )
    return "; ".join(parts) + f". {load}."


def lower_is_better(f: dict[str, Any]) -> bool:
    target = str(f.get("target") or "")
    if target:
        return "<=" in target
    return f["unit"] in ("ms", "MB", "B")


def judged_by_ratio(f: dict[str, Any]) -> bool:
    """A target stated against the baseline (``>= 0.7x ...``), not in the figure's own unit."""
    return bool(re.search(r"\d\s*x\b", str(f.get("target") or "")))


def _score(f: dict[str, Any]) -> float:
    """Higher is better, in what the target judges (the ratio or the value)."""
    x = f["ratio"] if judged_by_ratio(f) and f["ratio"] is not None else f["value"]
    return -float(x) if lower_is_better(f) else float(x)


def figure_runs(docs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each figure of the newest run with its value in every run that has it (newest first)."""
    by_key = [{f["key"]: f for f in doc["figures"]} for doc in docs]
    return [[runs[f["key"]] for runs in by_key if f["key"] in runs] for f in docs[0]["figures"]]


def _median(fs: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = sorted(fs, key=_score)
    return ranked[len(ranked) // 2]


def _worst(fs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(fs, key=_score)


def _verdict_of(fs: list[dict[str, Any]]) -> str:
    if fs[0]["met"] is None:
        return ""
    met = sum(1 for f in fs if f["met"])
    if met == len(fs):
        return "**met**" + (f" (all {len(fs)})" if len(fs) > 1 else "")
    return f"**missed** (met in {met} of {len(fs)})" if len(fs) > 1 else "**missed**"


def section(docs: list[dict[str, Any]], charts: dict[str, str]) -> str:
    doc = docs[0]
    kind = "quick" if doc["quick"] else "full"
    n = len(docs)
    runs = f"{n} {kind} runs" if n > 1 else f"{kind} run"
    lines = [
        f"## {doc['backend']}: {doc['events']:,} events ({runs}, newest {doc['started']})",
        "",
        _machine(doc),
        "",
        f"Runs: {', '.join(d['started'] for d in docs)}. Load average at each start: "
        + ", ".join(f"{d['machine']['load_average_start'][0]:.1f}" for d in docs)
        + ".",
        "",
        "### Targets (issue 19): the worst run must meet each",
        "",
        "| figure | median | worst | worst run's baseline | ratio, median | ratio, worst "
        "| target | verdict |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    everything = figure_runs(docs)
    targeted = [fs for fs in everything if fs[0]["target"]]
    others = [fs for fs in everything if not fs[0]["target"]]
    for fs in targeted:
        med, worst = _median(fs), _worst(fs)
        baseline = (
            f"{worst['baseline_label']}: {_num(worst['baseline'])}"
            if worst["baseline_label"]
            else "—"
        )
        lines.append(
            f"| {worst['label']} | {_num(med['value'], med['unit'])} | "
            f"{_num(worst['value'], worst['unit'])} | {baseline} | {_num(med['ratio'], 'x')} | "
            f"{_num(worst['ratio'], 'x')} | {worst['target']} | {_verdict_of(fs)} |"
        )
    lines += [
        "",
        "### Other figures and baselines (median of the runs)",
        "",
        "| figure | value | baseline (same run) | baseline value | ratio |",
        "|---|---:|---|---:|---:|",
    ]
    for fs in others:
        f = _median(fs)
        lines.append(
            f"| {f['label']} | {_num(f['value'], f['unit'])} | {f['baseline_label'] or '—'} | "
            f"{_num(f['baseline'])} | {_num(f['ratio'], 'x')} |"
        )
    if n > 1:
        lines += [
            "",
            "### The spread: every run's value (ratio to its own baseline)",
            "",
            "| figure | " + " | ".join(d["started"][5:19] for d in docs) + " |",
            "|---|" + "---:|" * n,
        ]
        for fs in everything:
            cells = [
                _num(f["value"], f["unit"])
                + (f" ({_num(f['ratio'], 'x')})" if f["ratio"] is not None else "")
                for f in fs
            ]
            lines.append(f"| {fs[0]['label']} | " + " | ".join(cells) + " |")
    notes = [_worst(fs) for fs in everything if _worst(fs)["note"]]
    if notes:
        lines += ["", "### Notes of the worst run (how measured; why a target was missed)", ""]
        for f in notes:
            mark = " (missed)" if f["met"] is False else ""
            lines.append(f"- **{f['label']}**{mark}: {f['note']}")
    lines += [
        "",
        "Stage wall times (newest run): "
        + ", ".join(f"{s['stage']} {s['seconds']:.0f} s" for s in doc["stages"])
        + ".",
    ]
    for title, path in charts.items():
        lines += ["", f"![{title}]({path})"]
    return "\n".join(lines) + "\n"


HEADER = """# Results of the scenario runner

Regenerated by `python -m benchmarks.scenario` from the newest full runs of each backend in
`benchmarks/results/` (up to three of the same size; `--runs 3` makes them in one go). Every
figure sits beside a baseline measured **in the same run, on the same backend** (plain
`eventsourcing`, the database's raw writes, raw Ed25519); read the ratios. A target is **met**
only when the worst of the runs meets it; the spread table keeps every run's value. Nothing in
the test suite asserts a speed: a target that was missed is marked **missed** with what the
profile says about it. How each figure is measured: `benchmarks/README.md`.

"""


def write_results_md(path: Path, groups: list[list[dict[str, Any]]], chart_dir: Path) -> None:
    """RESULTS.md from each backend's runs (newest first), with the newest run's charts."""
    parts = [HEADER]
    for docs in groups:
        charts = write_charts(docs[0], chart_dir)
        rel = {t: _relative(p, path.parent) for t, p in charts.items()}
        parts.append(section(docs, rel))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


def _relative(target: Path, base: Path) -> str:
    try:
        return str(target.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(target)


# ------------------------------------------------------------------------------- charts
def write_charts(doc: dict[str, Any], chart_dir: Path) -> dict[str, Path]:
    """PNG charts of one run: throughput and latency against log size, ratios to baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chart_dir.mkdir(parents=True, exist_ok=True)
    stem = result_path(chart_dir, doc).stem
    series: dict[str, list[list[float]]] = doc["series"]
    out: dict[str, Path] = {}

    def plot(title: str, names: list[str], ylabel: str, file: str) -> None:
        present = [n for n in names if series.get(n)]
        if not present:
            return
        fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
        for name in present:
            xs, ys = zip(*series[name], strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=name)
        ax.set_xlabel("events in the log")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title} ({doc['backend']}, {doc['events']:,} events)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = chart_dir / f"{stem}-{file}.png"
        fig.savefig(path)
        plt.close(fig)
        out[title] = path

    throughput = [n for n in series if n.endswith("/s")]
    latency = [n for n in series if n.endswith(" ms")]
    plot("Throughput against log size", throughput, "per second", "throughput")
    plot("Latency against log size", latency, "milliseconds", "latency")

    ratios = [f for f in doc["figures"] if judged_by_ratio(f) and f["ratio"] is not None]
    if ratios:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(ratios) + 1.2), dpi=110)
        labels = [f["label"] for f in ratios]
        values = [f["ratio"] for f in ratios]
        colors = ["#2a9d8f" if f["met"] else "#e76f51" for f in ratios]
        ax.barh(labels, values, color=colors)
        ax.axvline(1.0, color="grey", linewidth=0.8)
        for y, f in enumerate(ratios):  # each target's own ratio, as a black tick on its bar
            wanted = re.search(r"([\d.]+)\s*x\b", str(f["target"]))
            if wanted:
                ax.plot([float(wanted.group(1))] * 2, [y - 0.4, y + 0.4], color="black")
        ax.set_xlabel("÷ same-run baseline (green: met; black: target)")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        fig.tight_layout()
        path = chart_dir / f"{stem}-ratios.png"
        fig.savefig(path)
        plt.close(fig)
        out["Ratios to the same-run baselines"] = path
    return out
