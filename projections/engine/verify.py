"""Verifying the read models (kiểm tra mô hình đọc): each rebuilt aside, compared with the live.

A read model is only as good as the rows in its tables: an insider who edits one (a late file
marked on time) changes the published figures while the events stay untouched. Here every
projection is replayed from the events with fresh handlers into memory (``_Aside``, the same
``Batch`` a live write applies), up to the position the live one recorded, and compared row by
row and cell by cell with the live tables. Nothing is written: the live read models keep
serving meanwhile, and nothing is left behind on either backend.

The live rows are read between two readings of the positions; if a projection moved meanwhile
(it follows the events live), they are read again, so rows and position belong together.
Memory grows with the read models (they are held once, rebuilt; the live rows one table at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from projections.engine.batch import Batch
from projections.engine.runtime import BATCH, ProjectionHost, _decoded
from projections.errors import ProjectionError
from projections.models import storage
from projections.models.handlers import NAMES, ActionsHandler, FilesHandler, Handler

SHOWN = 20  # differences kept (and shown) per projection; all are counted
ATTEMPTS = 5  # readings of the live rows while the projections keep moving

Cells = tuple[Any, ...]
Table = dict[Cells, Cells]


@dataclass(frozen=True)
class Difference:
    """One cell (or a whole row: ``column`` None) where the live table and the rebuild differ."""

    table: str
    key: Cells
    column: str | None
    live: Any
    rebuilt: Any

    def __str__(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        if self.column is None:
            where = "only in the live table" if self.rebuilt is None else "missing from it"
            return f"{self.table} row ({key}) is {where}"
        return (
            f"{self.table} row ({key}) column {self.column}: live {self.live!r}, "
            f"rebuilt {self.rebuilt!r}"
        )


@dataclass
class ProjectionCheck:
    """One projection compared at the live position: rows compared, differences found."""

    name: str
    position: int
    rows: int = 0
    count: int = 0
    differences: list[Difference] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.count == 0 and self.error is None

    def add(self, difference: Difference) -> None:
        self.count += 1
        if len(self.differences) < SHOWN:
            self.differences.append(difference)

    def findings(self) -> list[str]:
        """One line per finding, for the audit's report."""
        if self.error is not None:
            return [f"read model {self.name}: {self.error}"]
        if not self.count:
            return []
        more = f" (and {self.count - 1} more differences)" if self.count > 1 else ""
        return [
            f"read model {self.name} differs from its rebuild at position {self.position}: "
            f"{self.differences[0]}{more}"
        ]


class _Aside:
    """A ``Batch`` writer into memory: the rows of one projection's tables, by key."""

    def __init__(self, name: str) -> None:
        self.tables: dict[str, Table] = {t: {} for t, _c, _k in storage.READ_MODELS[name]}
        self.keys = {t: k for t, _c, k in storage.READ_MODELS[name]}
        self.open: dict[str, list[list[Any]]] = {}  # code -> its holdings without an end

    def upsert_files(self, rows: list[Cells]) -> None:
        files = self.tables["hoso_p_files"]
        for row in rows:
            files[(row[0],)] = tuple(row)

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        holdings = self.tables["hoso_p_holdings"]
        for code, at in closes:
            for holding in self.open.pop(code, ()):
                holding[-1] = at
                holdings[tuple(holding[:2])] = tuple(holding)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
        rebuilt, key = self.tables[table], self.keys[table]
        for row in rows:
            rebuilt[tuple(row[:key])] = tuple(row)
            if table == "hoso_p_holdings" and row[-1] is None:
                self.open.setdefault(row[0], []).append(list(row))


def verify_projections(
    host: ProjectionHost,
    names: Iterable[str] = NAMES,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[ProjectionCheck]:
    """Each projection in ``names`` rebuilt aside up to its live position and compared with its
    live tables; ``progress(n)`` after each page of ``n`` events replayed."""
    names = list(names)
    positions, live = _live(host, names)
    checks = {name: ProjectionCheck(name, positions[name]) for name in names}
    handlers: dict[str, Handler] = {
        "files": FilesHandler(host.calendar, host._read_stream),
        "actions": ActionsHandler(),
    }
    asides = {name: _Aside(name) for name in names}
    running = [name for name in names if positions[name] > 0]
    start = 1
    while running and (page := host._page(start, BATCH)):
        for name in list(running):
            error = _replay(handlers[name], asides[name], page, positions[name])
            if error is not None:
                checks[name].error = error
                running.remove(name)
            elif page[-1][0] >= positions[name]:
                running.remove(name)
        start = page[-1][0] + 1
        if progress is not None:
            progress(len(page))
    for name in names:
        if checks[name].error is None:
            for table, columns, _key in storage.READ_MODELS[name]:
                _compare(checks[name], table, columns, live[table], asides[name].tables[table])
    return [checks[name] for name in names]


def _replay(
    handler: Handler, aside: _Aside, page: list[tuple[int, bytes]], upto: int
) -> str | None:
    """Apply the page's events up to position ``upto``; why the rebuild fails, if it does (the
    live model then holds rows its events cannot make)."""
    batch = Batch()
    for position, state in page:
        if position > upto:
            break
        item = _decoded(state)
        try:
            if isinstance(item, Exception):
                raise item
            batch.add(handler.ops(item, position))
        except Exception as e:
            return f"the rebuild fails at event {position} ({type(e).__name__}: {e})"
    try:
        handler.seal(batch)
    except Exception as e:
        return f"the rebuild fails before event {position} ({type(e).__name__}: {e})"
    batch.write(aside)
    return None


def _live(host: ProjectionHost, names: list[str]) -> tuple[dict[str, int], dict[str, Table]]:
    """The live positions and every row of the live tables, read while no position moved."""
    for _ in range(ATTEMPTS):
        positions = {name: host.position(name) for name in names}
        live = {
            table: storage.table_cells(host.store, table, columns, key)
            for name in names
            for table, columns, key in storage.READ_MODELS[name]
        }
        if positions == {name: host.position(name) for name in names}:
            return positions, live
    raise ProjectionError(
        f"the read models kept moving while they were read ({ATTEMPTS} attempts): "
        "verify them when the projections are idle"
    )


def _compare(
    check: ProjectionCheck, table: str, columns: tuple[str, ...], live: Table, rebuilt: Table
) -> None:
    check.rows += len(live)
    for key in sorted(live.keys() | rebuilt.keys(), key=_order):
        have, want = live.get(key), rebuilt.get(key)
        if have is None or want is None:
            check.add(Difference(table, key, None, have, want))
            continue
        for column, a, b in zip(columns, have, want, strict=True):
            if a != b:
                check.add(Difference(table, key, column, a, b))


def _order(key: Cells) -> tuple[str, ...]:
    return tuple(f"{k:020d}" if isinstance(k, int) else str(k) for k in key)
