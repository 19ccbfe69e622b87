"""The read models' reads (and the projections' status rows), the only SQL of the read side
outside the writers (``projections.models.recorders``): the queries in ``projections.queries``
call these, never SQL.

The citizen's lookup rows are read in one statement for many codes at once (``citizen_rows``):
a file's PIN hash and its count of wrong PINs joined with its status row and its steps, on the
store's own connections or, on PostgreSQL, on a ``PostgresReader`` of the lookups' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg.rows import tuple_row

from ledger.encoding.canonical import format_instant
from ledger.store import sql
from ledger.store.events import EventStore
from projections.models import tables
from projections.models.reader import PostgresReader
from projections.models.rows import FileRow
from projections.models.tables import file_row
from signing.registry import REGISTRY_STREAM

Rows = list[dict[str, Any]]

# ---------------------------------------------------------------- the citizen's lookup
_FILE = (
    "SELECT p.file_code, p.pin_hash, f.procedure, f.state, f.holder_department,"
    " f.holder_agency, f.received_at, f.appointment_at, f.apology_reason, f.missing_items,"
    " f.portal_status, x.failures AS pin_failures, x.locked_until AS pin_locked_until"
)
_FROM = (
    " FROM hoso_file_pins p"
    " LEFT JOIN hoso_pin_failures x ON x.file_code = p.file_code"
    " LEFT JOIN hoso_p_files f ON f.code = p.file_code"
)
# SQLite: one row per step, grouped here.
_LOOKUP = (
    _FILE + ", s.type AS step_type, s.occurred_at AS step_at, s.department AS step_department,"
    " s.agency AS step_agency" + _FROM + " LEFT JOIN hoso_p_steps s ON s.code = p.file_code"
)
_STEP_COLUMNS = ("step_type", "step_at", "step_department", "step_agency")
# PostgreSQL: one row per file, its steps gathered by the database in version order (each
# file's steps one scan of their primary key, whatever the planner believes of the table; and
# a batch of lookups sends one row a file, not one a step, so a row is built once).
_PG_LOOKUP = (
    _FILE  # noqa: S608 - constant text: the codes go in as one parameter
    + ", (SELECT json_agg(json_build_array(s.type, s.occurred_at, s.department, s.agency)"
    " ORDER BY s.version)::text FROM hoso_p_steps s WHERE s.code = p.file_code) AS steps"
    + _FROM
    + " WHERE p.file_code = ANY({0})"
)


def citizen_rows(
    store: EventStore, codes: Sequence[str], reader: PostgresReader | None = None
) -> dict[str, dict[str, Any]]:
    """The lookup row of each known code: its PIN, its wrong PINs and the file's columns (NULL
    while the projection has not caught up), with ``steps``, the file's steps in version
    order, each (type, time, department, agency) as stored. Unknown codes are absent. One query."""
    if not codes:
        return {}
    if reader is not None:
        rows = reader.query(_PG_LOOKUP.format("%s"), (list(codes),))
    elif store.dialect == "postgresql":
        rows = sql.rows(store, _PG_LOOKUP.format("?"), (list(codes),))
    else:
        marks = ", ".join("?" for _ in codes)
        statement = _LOOKUP + f" WHERE p.file_code IN ({marks}) ORDER BY p.file_code, s.version"
        return _grouped(sql.rows(store, statement, tuple(codes)))
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        steps = row["steps"]
        row["steps"] = [tuple(s) for s in orjson.loads(steps)] if steps is not None else []
        found[str(row["file_code"])] = row
    return found


def _grouped(rows: Rows) -> dict[str, dict[str, Any]]:
    """One row a step (SQLite) gathered into one row a file with its ``steps``."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        step = tuple(row.pop(c) for c in _STEP_COLUMNS)
        known = found.setdefault(str(row["file_code"]), {**row, "steps": []})
        if step[0] is not None:
            known["steps"].append(step)
    return found


# ---------------------------------------------------------------- files, actions, holdings
def file_rows(store: EventStore, where: str = "", params: tuple[Any, ...] = ()) -> list[FileRow]:
    """The files' status rows; ``where`` is written by this package's callers, never by users,
    and every value goes in ``params``."""
    statement = "SELECT * FROM hoso_p_files" + (f" WHERE {where}" if where else "")  # noqa: S608
    return [file_row(r) for r in sql.rows(store, statement, params)]


def action_rows(
    store: EventStore, filters: Sequence[tuple[str, str]], params: Sequence[Any], limit: int
) -> Rows:
    """The inspector's index rows (each with its log leaf, or None), by position: ``filters``
    are (column of ``hoso_p_actions``, operator) pairs fixed by the caller, one value each in
    ``params``."""
    where = [f"a.{column} {op} ?" for column, op in filters]
    statement = (
        "SELECT a.position, a.code, a.version, a.type, a.actor, a.unit, a.occurred_at, "  # noqa: S608
        "l.leaf_index FROM hoso_p_actions a LEFT JOIN hoso_log_leaves l "
        "ON l.stream = a.code AND l.version = a.version"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.position LIMIT ?"
    )
    return sql.rows(store, statement, (*params, limit))


def action_count(
    store: EventStore, filters: Sequence[tuple[str, str]], params: Sequence[Any]
) -> int:
    """How many rows ``action_rows`` finds with no limit (the same ``filters``)."""
    where = [f"{column} {op} ?" for column, op in filters]
    statement = "SELECT COUNT(*) AS n FROM hoso_p_actions" + (  # noqa: S608
        " WHERE " + " AND ".join(where) if where else ""
    )
    return int(sql.rows(store, statement, tuple(params))[0]["n"])


def late_codes(store: EventStore, now: datetime) -> set[str]:
    """Files late at ``now``: judged late at their end, or open past their appointment (and not
    waiting for the citizen's papers)."""
    return {
        str(r["code"])
        for r in sql.rows(
            store,
            "SELECT code FROM hoso_p_files WHERE timeliness = 'late' OR "
            "(closed_at IS NULL AND state <> 'awaiting_supplement' AND appointment_at < ?)",
            (format_instant(now),),
        )
    }


def holding_rows(store: EventStore) -> Rows:
    """Every holding: who held which file from when to when (``to_at`` None: still held)."""
    return sql.rows(store, "SELECT code, officer, from_at, to_at FROM hoso_p_holdings")


# ---------------------------------------------------------------- whole tables (verification)
READ_MODELS: dict[str, tuple[tuple[str, tuple[str, ...], int], ...]] = {
    # projection -> (table, its columns, how many lead columns make its key)
    "files": (
        ("hoso_p_files", tables.FILE_COLUMNS, 1),
        ("hoso_p_steps", tables.STEP_COLUMNS, 2),
        ("hoso_p_holdings", tables.HOLDING_COLUMNS, 2),
    ),
    "actions": (("hoso_p_actions", tables.ACTION_COLUMNS, 1),),
}


def table_page(
    store: EventStore,
    table: str,
    columns: tuple[str, ...],
    key: int,
    after: tuple[Any, ...] | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` rows of one of ``READ_MODELS``' tables after key ``after`` (its first
    ``key`` columns), in key order, as cells in ``columns`` order: a table read page by page.
    The names come from ``READ_MODELS``, never from users."""
    keys = ", ".join(columns[:key])
    where = f" WHERE ({keys}) > ({', '.join('?' for _ in range(key))})" if after else ""
    statement = f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY {keys} LIMIT ?"  # noqa: S608
    rows = sql.rows(store, statement, (*(after or ()), limit))
    return [tuple(r[c] for c in columns) for r in rows]


# ---------------------------------------------------------------- the projections' status
def ensure_status_table(store: EventStore) -> None:
    sql.run(store, tables.STATUS_TABLE)


def failures(store: EventStore) -> dict[str, tuple[int, str]]:
    """(failed position, error) of each projection stopped on an event, by name."""
    return {
        str(r["name"]): (int(r["failed_position"]), str(r["error"]))
        for r in sql.rows(store, "SELECT name, failed_position, error FROM hoso_projection_status")
    }


def record_failure(store: EventStore, name: str, position: int, error: str) -> None:
    sql.run(
        store,
        "INSERT INTO hoso_projection_status (name, failed_position, error, failed_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET failed_position = "
        "excluded.failed_position, error = excluded.error, failed_at = excluded.failed_at",
        (name, position, error, format_instant(datetime.now(UTC))),
    )


def clear_failure(store: EventStore, name: str) -> None:
    sql.run(store, "DELETE FROM hoso_projection_status WHERE name = ?", (name,))


def notification_page(
    datastore: Any,
    table: str,
    start: int,
    limit: int,
    *,
    part: tuple[int, int, int] | None = None,
) -> list[tuple[int, bytes]]:
    """(position, stored bytes) of up to ``limit`` events from ``start``, on the projection
    application's PostgreSQL datastore: one plain query of the two columns a projection reads
    (the library's page builds a dict and a ``Notification`` per row). ``part`` (head, parts,
    part), for a partition of a parallel rebuild (``projections.engine.partitions``): up to
    ``head``, the events of the files whose code hashes to ``part`` of ``parts``, and every
    event of the key registry."""
    qualified = f'"{datastore.schema}".{table}'
    where = "notification_id >= %s"
    params: list[Any] = [start]
    if part is not None:
        head, parts, k = part
        where += (
            " AND notification_id <= %s AND (originator_id = %s"
            " OR (hashtext(originator_id) & 2147483647) %% %s = %s)"
        )
        params += [head, REGISTRY_STREAM, parts, k]
    with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(
            f"SELECT notification_id, state FROM {qualified} "  # noqa: S608
            f"WHERE {where} ORDER BY notification_id LIMIT %s",
            (*params, limit),
            prepare=True,
        )
        return [(pos, bytes(state)) for pos, state in curs.fetchall()]


def drop_part_positions(
    store: EventStore, tracking_table: str, aside: str, *, head: int | None = None
) -> None:
    """The positions of a parallel rebuild's partitions (``<aside>:<k>``) dropped, in one
    transaction: before it starts (a killed rebuild's), after it failed, or, with ``head``,
    once every partition reached it, giving way to one aside position, ``head``."""
    parts = aside.replace("%", r"\%").replace("_", r"\_") + ":%"
    with store._statements() as run:
        run(f"DELETE FROM {tracking_table} WHERE application_name LIKE ?", (parts,))  # noqa: S608
        if head is not None:
            run(
                f"INSERT INTO {tracking_table} (application_name, notification_id) "  # noqa: S608
                "VALUES (?, ?) ON CONFLICT (application_name) "
                "DO UPDATE SET notification_id = excluded.notification_id",
                (aside, head),
            )
