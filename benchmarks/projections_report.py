"""Markdown tables of ``benchmarks.projections_scale`` results (fill, rebuilds, bounds)."""

from __future__ import annotations

from typing import Any


def markdown(backend: str, results: list[dict[str, Any]]) -> str:
    lines = [
        f"Fill ({backend}): real signed envelopes of the demo's workload",
        "",
        "| events | files | working days | fill events/s | generate (domain+sign) events/s | "
        "EventStore.append events/s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['events']:,} | {r['files']:,} | {r['working_days']:,} | "
            f"{r['fill_events_per_s']:,.0f} | {r['generate_events_per_s']:,.0f} | "
            f"{r['append_events_per_s']:,.0f} |"
        )
    lines += [
        "",
        f"Rebuild ({backend}): events/s; ratio = rebuild / baseline (1.0 = at the bound)",
        "",
        "| events | rebuild files | rebuild actions | bare read | read+decode | raw insert | "
        "files/read | files/decode | files/insert | actions/read | actions/decode | "
        "actions/insert |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        f, a = r["rebuild_files_events_per_s"], r["rebuild_actions_events_per_s"]
        rd, dc, ins = r["read_events_per_s"], r["decode_events_per_s"], r["raw_insert_events_per_s"]
        lines.append(
            f"| {r['stored_events']:,} | {f:,.0f} | {a:,.0f} | {rd:,.0f} | {dc:,.0f} | "
            f"{ins:,.0f} | {f / rd:.3f} | {f / dc:.2f} | {f / ins:.2f} | {a / rd:.3f} | "
            f"{a / dc:.2f} | {a / ins:.2f} |"
        )
    lines += ["", "Wall times (s) and rows written", ""]
    for r in results:
        lines.append(
            f"- {r['stored_events']:,} events: rebuild files {r['rebuild_files_s']:.1f} s, "
            f"actions {r['rebuild_actions_s']:.1f} s; **rebuild_all (both, one pass) "
            f"{r['rebuild_all_s']:.1f} s = {r['rebuild_all_events_per_s']:,.0f} events/s** "
            f"(CPU {r['rebuild_all_cpu_s']:.1f} s; read + orjson.loads floor "
            f"{r['orjson_floor_events_per_s']:,.0f} events/s); rows {r['rows']}"
        )
        if "check" in r:
            c = r["check"]
            lines.append(
                f"  check: {c['loaded_files']} Ledger.load in {c['load_s']:.2f} s; audit "
                f"{c['audit_events']:,} events in {c['audit_s']:.1f} s "
                f"({c['audit_events_per_s']:,.0f}/s), no failure"
            )
    return "\n".join(lines)
