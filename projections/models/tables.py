"""The read models' tables and their row writes (``?`` placeholders, both dialects).

Every cell a row writes is one the database takes, whatever the ledger holds (issue 16): the
one character a stored event can carry that a column cannot is NUL (JSON allows ``\\u0000``;
PostgreSQL's text refuses it, and the canonical decoder already refuses lone surrogates). It
is written as the six characters ``\\u0000`` on both backends (``safe``), so the read model
follows such an event, shows where the NUL was, and both backends hold the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from ledger.encoding.canonical import format_instant, parse_instant
from projections.models.rows import FileRow

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
        " version INTEGER NOT NULL, processing_ended_at TEXT,"
        " late_by_supplement INTEGER NOT NULL, signed_at TEXT, result_sha256 TEXT)",
        "CREATE INDEX IF NOT EXISTS hoso_p_files_unit ON hoso_p_files (unit, received_at)",
        "CREATE INDEX IF NOT EXISTS hoso_p_files_holder ON hoso_p_files "
        "(holder_agency, holder_department, holder_officer)",
        "CREATE INDEX IF NOT EXISTS hoso_p_files_result ON hoso_p_files (result_sha256)",
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


# What a handler asks for one event: (kind, params). ``projections.engine.batch`` gathers a batch
# of them and writes each kind in one statement (or a COPY); the SQL is in ``models.recorders``.
FILE, STEP, OPEN, CLOSE, ACTION = "file", "step", "open", "close", "action"
TOUCH = "touch"  # (code, version): the file's row, made when the batch is sealed
Write = tuple[str, tuple[Any, ...]]
STEP_COLUMNS = ("code", "version", "type", "occurred_at", "department", "agency")
HOLDING_COLUMNS = ("code", "version", "officer", "department", "agency", "from_at", "to_at")
ACTION_COLUMNS = ("position", "code", "version", "type", "actor", "unit", "occurred_at")
_INTEGERS = {
    "portal_status",
    "apologies",
    "supplements",
    "supplement_wait_minutes",
    "fee_paid_online",
    "processing_minutes",
    "version",
    "late_by_supplement",
}
FILE_TYPES: dict[str, str] = {  # PostgreSQL column types, for array parameters
    c: "bigint" if c in ("fee_due_vnd", "fee_paid_vnd") else "integer" if c in _INTEGERS else "text"
    for c in FILE_COLUMNS
}


NUL_ESCAPE = "\\u0000"


def safe(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` with NUL written as ``\\u0000`` in every text (the same tuple when there is
    none: one scan of each text, in C)."""
    for v in values:
        if v.__class__ is str and "\x00" in v:
            return tuple(x.replace("\x00", NUL_ESCAPE) if x.__class__ is str else x for x in values)
    return values


_TEXTS: dict[datetime, str] = {}


def instant(at: datetime) -> str:
    """``canonical.format_instant``, remembered: a file's row repeats its instants (received,
    due, appointment...) at every event, so most are formatted once."""
    text = _TEXTS.get(at)  # equal instants (whatever their zone) have one text
    if text is None:
        if len(_TEXTS) >= 200_000:
            _TEXTS.clear()
        text = _TEXTS[at] = format_instant(at)
    return text


def cells(v: tuple[Any, ...]) -> tuple[Any, ...]:
    """A file row's values (``rows.row_values``, ``FILE_COLUMNS`` order) as stored cells:
    instants as text, the missing items as a JSON list, the flag as 0/1, no NUL (``safe``)."""
    return safe(
        (
            *v[:9],
            instant(v[9]),
            instant(v[10]),
            instant(v[11]),
            instant(v[12]),
            v[13],
            v[14],
            v[15],
            orjson.dumps(list(v[16])).decode(),
            v[17],
            v[18],
            v[19],
            int(v[20]),
            None if v[21] is None else instant(v[21]),
            *v[22:26],
            None if v[26] is None else instant(v[26]),
            int(v[27]),
            None if v[28] is None else instant(v[28]),
            v[29],
        )
    )


def file_params(r: FileRow) -> tuple[Any, ...]:
    """A file row's cells in ``FILE_COLUMNS`` order."""
    return cells(tuple(getattr(r, c) for c in FILE_COLUMNS))


def upsert_file(row: FileRow) -> Write:
    return (FILE, file_params(row))


def touch_file(code: str, version: int) -> Write:
    """The file's row as it stands after ``version``, made once per batch (``Handler.seal``)."""
    return (TOUCH, (code, version))


def file_row(record: dict[str, Any]) -> FileRow:
    """A stored row back into a ``FileRow``."""
    values: dict[str, Any] = {}
    for name in FILE_COLUMNS:
        value = record[name]
        if name.endswith("_at") or name == "holder_since":
            value = parse_instant(value) if value is not None else None
        elif name == "missing_items":
            value = tuple(orjson.loads(value))
        elif name in ("fee_paid_online", "late_by_supplement"):
            value = bool(value)
        values[name] = value
    return FileRow(**values)


def step(code: str, version: int, type_: str, at: datetime, dept: str, agency: str) -> Write:
    return (STEP, safe((code, version, type_, instant(at), dept, agency)))


def close_holding(code: str, at: datetime) -> Write:
    """Close every open holding of the file (``to_at`` of those without one)."""
    return (CLOSE, (code, instant(at)))


def open_holding(
    code: str, version: int, officer: str, dept: str, agency: str, at: datetime
) -> Write:
    return (OPEN, safe((code, version, officer, dept, agency, instant(at))))


def action(
    position: int, code: str, version: int, type_: str, actor: str, unit: str, at: datetime
) -> Write:
    return (ACTION, safe((position, code, version, type_, actor, unit, instant(at))))


def all_statements(names: Sequence[str]) -> list[str]:
    return [STATUS_TABLE, *(s for n in names for s in TABLES[n])]
