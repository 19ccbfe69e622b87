"""Stage ``disk``: bytes on disk per event, all included, beside the canonical envelope's size.

Run after the log, the read models and the lookup's PINs exist (and before the audit, which
writes nothing). PostgreSQL: ``pg_total_relation_size`` (the table, its indexes and its TOAST)
of every table of the store's schema and of the schemas made beside it (the applicants' key
store): the events and their indexes, the Merkle log's leaves, nodes and checkpoints (with the
map of file heads they commit to), the read models and the projections' positions, the side
tables. SQLite: the database file with its write-ahead log. Divided by the events stored.

Baseline, the same store: the mean size of the canonical envelope as stored (``state``, the
RFC 8785 bytes that are hashed and signed). Target (issue 19): at most 2.5x.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import psycopg

from benchmarks.scenario.context import Context, Figure
from ledger.store import sql as db_sql
from ledger.store.events import EventStore

TARGET_RATIO = 2.5
PARTS = (  # table name prefix -> the part of the total it counts in (first match)
    ("hoso_events", "events"),
    ("hoso_log_", "Merkle log and checkpoints"),
    ("hoso_p_", "read models"),
    ("hoso_r_", "read models"),
    ("hoso_projection", "read models"),
)


def _part(table: str) -> str:
    return next((part for prefix, part in PARTS if table.startswith(prefix)), "side tables")


def postgres_sizes(ctx: Context, store: EventStore) -> dict[str, int]:
    """Bytes by part, every table of the store's schema and of the schemas beside it."""
    schema = ctx.store_url(store).split("schema=", 1)[1]
    with psycopg.connect(ctx.pg_url) as conn:
        rows = conn.execute(
            "SELECT n.nspname, c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm', 'p') AND (n.nspname = %s OR n.nspname LIKE %s)",
            (schema, schema.replace("_", r"\_") + r"\_%"),
        ).fetchall()
    sizes: dict[str, int] = defaultdict(int)
    for nsp, table, size in rows:
        sizes[_part(str(table)) if nsp == schema else "applicants' keys"] += int(size)
    return dict(sizes)


def sqlite_sizes(ctx: Context, store: EventStore) -> dict[str, int]:
    path = Path(ctx.store_url(store).removeprefix("sqlite:///"))
    files = [path, path.with_name(path.name + "-wal")]
    return {"database file": sum(p.stat().st_size for p in files if p.exists())}


def run(ctx: Context, store: EventStore) -> list[Figure]:
    events = store.max_position()
    found = db_sql.rows(store, "SELECT AVG(LENGTH(state)) AS mean FROM hoso_events")
    envelope = float(found[0]["mean"] or 0.0) if found else 0.0
    sizes = postgres_sizes(ctx, store) if ctx.backend == "postgres" else sqlite_sizes(ctx, store)
    total = sum(sizes.values())
    per_event = total / events if events else 0.0
    ratio = per_event / envelope if envelope else 0.0
    parts = ", ".join(
        f"{part} {size / events:,.0f}" for part, size in sorted(sizes.items(), key=lambda x: -x[1])
    )
    return [
        Figure(
            key="disk_bytes_per_event",
            label="bytes on disk per event, all included",
            value=per_event,
            unit="B",
            baseline_label="canonical envelope, mean stored size",
            baseline=envelope,
            target=f"<= {TARGET_RATIO}x the canonical envelope",
            met=0 < ratio <= TARGET_RATIO,
            note=f"{total / 1e6:,.0f} MB for {events:,} events; per event by part: {parts} B",
            extra={"bytes": sizes, "events": events},
        )
    ]
