"""The HTTP load's Markdown tables: one row per endpoint and connection level, the ratios to the
minimal app's ``/hello`` and ``/hello-sync`` at the same level, and the profile's largest costs."""

from __future__ import annotations

from typing import Any

from benchmarks.http_client import Level


def row(x: Level) -> str:
    return (
        f"| {x.endpoint} | {x.connections} | {x.rps:,.0f} | {x.p50_ms:.2f} | {x.p99_ms:.2f} | "
        f"{x.errors} | {x.client_cpu:.2f} | {x.server_cpu:.2f} | {x.other_cpu:.2f} |"
    )


HEADER = (
    "| endpoint | conns | req/s | p50 ms | p99 ms | errors "
    "| client CPU | server CPU | other CPU |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def ratios(levels: list[Level]) -> list[dict[str, Any]]:
    by = {(x.endpoint, x.connections): x for x in levels}
    out = []
    for (name, n), x in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        base = by.get(("hello", n))
        if base is None or x.endpoint.startswith("hello"):
            continue
        sync = by.get(("hello-sync", n))
        out.append(
            {
                "endpoint": name,
                "connections": n,
                "rps_ratio_vs_hello": round(x.rps / base.rps, 4),
                "rps_ratio_vs_hello_sync": round(x.rps / sync.rps, 4) if sync else None,
                "p50_ratio_vs_hello": round(x.p50_ms / base.p50_ms, 1),
                "p99_ratio_vs_hello": round(x.p99_ms / base.p99_ms, 1),
            }
        )
    return out


def report(doc: dict[str, Any], *, levels_table: bool = True) -> None:
    """Markdown tables (and the profile's largest costs) from a result document."""
    if levels_table:
        print(f"{doc['backend']}, {doc['started']}, uvicorn {doc['uvicorn']}\n\n{HEADER}")
        for x in doc["results"]:
            print(row(Level(**x)))
    print("\n| endpoint | conns | req/s ÷ hello | req/s ÷ hello-sync | p50 × hello | p99 × hello |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in doc["ratios"]:
        print(
            f"| {r['endpoint']} | {r['connections']} | {r['rps_ratio_vs_hello']:.3f} | "
            f"{r['rps_ratio_vs_hello_sync']:.3f} | {r['p50_ratio_vs_hello']} | "
            f"{r['p99_ratio_vs_hello']} |"
        )
    for name, prof in doc.get("profile", {}).items():
        if not isinstance(prof, dict):
            continue
        print(
            f"\nprofile {name}: {prof['wall_ms_per_request']} ms/request wall (TestClient), "
            f"{prof['profiled_ms_per_request']} ms busy in the app's threads"
        )
        for title, ms in sorted(prof["cumulative_ms_per_request"].items(), key=lambda kv: -kv[1]):
            print(f"  cumulative {ms:8.3f} ms  {title}")
        for t in prof["top_tottime"][:10]:
            print(
                f"  own        {t['ms_per_request']:8.3f} ms  {t['share']:5.1%}  "
                f"x{t['calls_per_request']:<7} {t['function']}"
            )
