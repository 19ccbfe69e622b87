"""The read models' tables and their row writes (``?`` placeholders, both dialects)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from ledger.store import SideWrite
from ledger.timefmt import format_instant, parse_instant
from projections.rows import FileRow

FILE_COLUMNS: tuple[str, ...] = tuple(FileRow.__dataclass_fields__)

TABLES: dict[str, tuple[str, ...]] = {
    "files": (
        "CREATE TABLE IF NOT EXISTS hoso_p_files ("
        "code TEXT PRIMARY KEY, unit TEXT NOT NULL, procedure TEXT NOT NULL, channel TEXT NOT NULL,"
        " state TEXT NOT NULL, portal_status INTEGER NOT NULL, holder_officer TEXT NOT NULL,"
        " holder_department TEXT NOT NULL, holder_agency TEXT NOT NULL, holder_since TEXT NOT NULL,"
        " received_at TEXT NOT NULL, due_at TEXT NOT NULL, appointment_at TEXT NOT NULL,"
        " apologies INTEGER NOT NULL, apology_reason TEXT, supplements INTEGER NOT NULL,"
        " missing_items TEXT NOT NULL, supplement_wait_minutes INTEGER NOT NULL,"
        " fee_due_vnd BIGINT NOT NULL, fee_paid_vnd BIGINT NOT NULL,"
        " fee_paid_online INTEGER NOT NULL,"
        " closed_at TEXT, timeliness TEXT, processing_minutes INTEGER, rating TEXT,"
        " version INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS hoso_p_files_unit ON hoso_p_files (unit, received_at)",
        "CREATE INDEX IF NOT EXISTS hoso_p_files_holder ON hoso_p_files "
        "(holder_agency, holder_department, holder_officer)",
        "CREATE TABLE IF NOT EXISTS hoso_p_steps ("
        "code TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,"
        " occurred_at TEXT NOT NULL,"
        " department TEXT NOT NULL, agency TEXT NOT NULL, PRIMARY KEY (code, version))",
        "CREATE TABLE IF NOT EXISTS hoso_p_holdings ("
        "code TEXT NOT NULL, version INTEGER NOT NULL, officer TEXT NOT NULL,"
        " department TEXT NOT NULL, agency TEXT NOT NULL, from_at TEXT NOT NULL, to_at TEXT,"
        " PRIMARY KEY (code, version))",
        "CREATE INDEX IF NOT EXISTS hoso_p_holdings_officer ON hoso_p_holdings (officer)",
    ),
    "actions": (
        "CREATE TABLE IF NOT EXISTS hoso_p_actions ("
        "position BIGINT PRIMARY KEY, code TEXT NOT NULL, version INTEGER NOT NULL,"
        " type TEXT NOT NULL, actor TEXT NOT NULL, unit TEXT NOT NULL, occurred_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS hoso_p_actions_actor ON hoso_p_actions (actor, occurred_at)",
        "CREATE INDEX IF NOT EXISTS hoso_p_actions_unit ON hoso_p_actions (unit, occurred_at)",
        "CREATE INDEX IF NOT EXISTS hoso_p_actions_type ON hoso_p_actions (type, occurred_at)",
    ),
}
CLEAR: dict[str, tuple[str, ...]] = {
    "files": (
        "DELETE FROM hoso_p_files",
        "DELETE FROM hoso_p_steps",
        "DELETE FROM hoso_p_holdings",
    ),
    "actions": ("DELETE FROM hoso_p_actions",),
}
STATUS_TABLE = (
    "CREATE TABLE IF NOT EXISTS hoso_projection_status ("
    "name TEXT PRIMARY KEY, failed_position BIGINT, error TEXT, failed_at TEXT)"
)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, tuple):
        return orjson.dumps(list(value)).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def upsert_file(row: FileRow) -> SideWrite:
    cols = ", ".join(FILE_COLUMNS)
    marks = ", ".join("?" for _ in FILE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in FILE_COLUMNS if c != "code")
    return SideWrite(
        f"INSERT INTO hoso_p_files ({cols}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT (code) DO UPDATE SET {updates}",
        tuple(_cell(getattr(row, c)) for c in FILE_COLUMNS),
    )


def file_row(record: dict[str, Any]) -> FileRow:
    """A stored row back into a ``FileRow``."""
    values: dict[str, Any] = {}
    for name in FILE_COLUMNS:
        value = record[name]
        if name.endswith("_at") or name == "holder_since":
            value = parse_instant(value) if value is not None else None
        elif name == "missing_items":
            value = tuple(orjson.loads(value))
        elif name == "fee_paid_online":
            value = bool(value)
        values[name] = value
    return FileRow(**values)


def step(code: str, version: int, type_: str, at: datetime, dept: str, agency: str) -> SideWrite:
    return SideWrite(
        "INSERT INTO hoso_p_steps (code, version, type, occurred_at, department, agency) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (code, version, type_, format_instant(at), dept, agency),
    )


def close_holding(code: str, at: datetime) -> SideWrite:
    return SideWrite(
        "UPDATE hoso_p_holdings SET to_at = ? WHERE code = ? AND to_at IS NULL",
        (format_instant(at), code),
    )


def open_holding(
    code: str, version: int, officer: str, dept: str, agency: str, at: datetime
) -> SideWrite:
    return SideWrite(
        "INSERT INTO hoso_p_holdings (code, version, officer, department, agency, from_at, to_at) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL)",
        (code, version, officer, dept, agency, format_instant(at)),
    )


def action(
    position: int, code: str, version: int, type_: str, actor: str, unit: str, at: datetime
) -> SideWrite:
    return SideWrite(
        "INSERT INTO hoso_p_actions (position, code, version, type, actor, unit, occurred_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (position, code, version, type_, actor, unit, format_instant(at)),
    )


def all_statements(names: Sequence[str]) -> list[str]:
    return [STATUS_TABLE, *(s for n in names for s in TABLES[n])]
