"""Reads over the projections: the inspector's index and the officers' workload (the
citizen's status is ``projections.queries.citizen``; the SQL is ``projections.models.storage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.calendar import WorkingCalendar
from ledger.encoding.canonical import format_instant, parse_instant
from ledger.store.events import EventStore
from projections.models import storage
from projections.models.storage import file_rows as file_rows


@dataclass(frozen=True)
class ActionRow:
    position: int
    code: str
    version: int
    type: str
    actor: str
    unit: str
    occurred_at: datetime
    leaf_index: int | None  # None until the integrator has given the event its leaf


def actions(
    store: EventStore,
    *,
    actor: str | None = None,
    unit: str | None = None,
    type_: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[ActionRow]:
    """The inspector's index: every action, filtered, each pointing at its file and log leaf;
    the first ``limit`` in log order (``count_actions`` says how many there are)."""
    filters, params = _filters(actor, unit, type_, start, end)
    return [
        ActionRow(
            position=int(r["position"]),
            code=str(r["code"]),
            version=int(r["version"]),
            type=str(r["type"]),
            actor=str(r["actor"]),
            unit=str(r["unit"]),
            occurred_at=parse_instant(str(r["occurred_at"])),
            leaf_index=None if r["leaf_index"] is None else int(r["leaf_index"]),
        )
        for r in storage.action_rows(store, filters, params, limit)
    ]


def count_actions(
    store: EventStore,
    *,
    actor: str | None = None,
    unit: str | None = None,
    type_: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """How many actions ``actions`` would list with no limit."""
    return storage.action_count(store, *_filters(actor, unit, type_, start, end))


def _filters(
    actor: str | None,
    unit: str | None,
    type_: str | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[tuple[str, str]], list[Any]]:
    filters: list[tuple[str, str]] = []
    params: list[Any] = []
    for column, value in (("actor", actor), ("unit", unit), ("type", type_)):
        if value is not None:
            filters.append((column, "="))
            params.append(value)
    if start is not None:
        filters.append(("occurred_at", ">="))
        params.append(format_instant(start))
    if end is not None:
        filters.append(("occurred_at", "<"))
        params.append(format_instant(end))
    return filters, params


@dataclass(frozen=True)
class OfficerLoad:
    officer: str
    holding_now: int
    handled: int
    late_files: int
    late_holding_minutes: int  # office time this officer held files that ended (or are) late


def workload(store: EventStore, *, now: datetime, calendar: WorkingCalendar) -> list[OfficerLoad]:
    """Per officer: files held now, files handled, and who held late files the longest."""
    late = storage.late_codes(store, now)
    loads: dict[str, dict[str, Any]] = {}
    for r in storage.holding_rows(store):
        officer = str(r["officer"])
        if not officer:
            continue
        entry = loads.setdefault(officer, {"now": 0, "files": set(), "late": set(), "minutes": 0})
        code = str(r["code"])
        entry["files"].add(code)
        if r["to_at"] is None:
            entry["now"] += 1
        if code in late:
            entry["late"].add(code)
            until = now if r["to_at"] is None else parse_instant(str(r["to_at"]))
            entry["minutes"] += calendar.working_minutes_between(
                parse_instant(str(r["from_at"])), until
            )
    result = [
        OfficerLoad(o, e["now"], len(e["files"]), len(e["late"]), e["minutes"])
        for o, e in loads.items()
    ]
    return sorted(result, key=lambda x: (-x.late_holding_minutes, x.officer))
