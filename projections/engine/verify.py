"""Verifying the read models (kiểm tra mô hình đọc): each rebuilt aside, compared with the live.

A read model is only as good as the rows in its tables: an insider who edits one (a late file
marked on time) changes the published figures while the events stay untouched. Here every
projection is replayed from the events with fresh handlers into memory (``_Aside``, the same
``Batch`` a live write applies), up to the position the live one recorded, and compared row by
row with the live tables. Nothing is written: the live read models keep serving meanwhile, and
nothing is left behind on either backend.

Memory stays small at a million events: the rebuild keeps a 16-byte digest of each row's cells
(BLAKE2b of their JSON), not the row, and the live tables are read a page at a time in key
order. Only when rows differ is the rebuild run a second time, keeping the cells of the first
``SHOWN`` differing rows, so each differing column can be named with both values. The live
rows are compared between two readings of the positions; if a projection moved meanwhile (it
follows the events live), the rebuild goes on to the new position and they are read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from projections.engine.batch import Batch
from projections.engine.runtime import BATCH, ProjectionHost, _decoded
from projections.errors import ProjectionError
from projections.models import storage
from projections.models.handlers import NAMES, ActionsHandler, FilesHandler, Handler

SHOWN = 20  # differing rows named cell by cell per projection; all are counted
ATTEMPTS = 5  # readings of the live rows while the projections keep moving
PAGE = 5000

Cells = tuple[Any, ...]
Progress = Callable[[int], None]


def digest(cells: Iterable[Any]) -> bytes:
    """What the rebuild keeps of a row: equal cells, equal digests (types included)."""
    return hashlib.blake2b(orjson.dumps(list(cells)), digest_size=16).digest()


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
    """One projection compared at the live position: rows compared, rows that differ."""

    name: str
    position: int
    rows: int = 0
    count: int = 0
    """Rows that differ: edited, only in the live table, or missing from it."""
    differences: list[Difference] = field(default_factory=list)
    """The first ``SHOWN`` of them, cell by cell."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.count == 0 and self.error is None

    def findings(self) -> list[str]:
        """One line per finding, for the audit's report."""
        if self.error is not None:
            return [f"read model {self.name}: {self.error}"]
        if not self.count:
            return []
        more = f" (and {self.count - 1} more rows)" if self.count > 1 else ""
        first = self.differences[0] if self.differences else "rows differ"
        return [
            f"read model {self.name} differs from its rebuild at position {self.position}: "
            f"{first}{more}"
        ]


class _Aside:
    """A ``Batch`` writer into memory: each row's digest by table and key, and the cells of
    the rows in ``keep``."""

    def __init__(self, name: str, keep: dict[str, set[Cells]] | None = None) -> None:
        self.keys = {t: k for t, _c, k in storage.READ_MODELS[name]}
        self.digests: dict[str, dict[Cells, bytes]] = {t: {} for t in self.keys}
        self.keep = keep or {}
        self.kept: dict[str, dict[Cells, Cells]] = {t: {} for t in self.keys}
        self.open: dict[str, list[list[Any]]] = {}  # code -> its holdings without an end

    def _put(self, table: str, row: Cells) -> None:
        key = row[: self.keys[table]]
        self.digests[table][key] = digest(row)
        if key in self.keep.get(table, ()):
            self.kept[table][key] = row

    def upsert_files(self, rows: list[Cells]) -> None:
        for row in rows:
            self._put("hoso_p_files", tuple(row))

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        for code, at in closes:
            for holding in self.open.pop(code, ()):
                holding[-1] = at
                self._put("hoso_p_holdings", tuple(holding))

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
        for row in rows:
            self._put(table, tuple(row))
            if table == "hoso_p_holdings" and row[-1] is None:
                self.open.setdefault(row[0], []).append(list(row))


class _Rebuild:
    """Fresh handlers fed the events from the first, each projection up to a position."""

    def __init__(
        self, host: ProjectionHost, names: list[str], keep: dict[str, set[Cells]] | None = None
    ) -> None:
        self.host = host
        self.handlers: dict[str, Handler] = {
            "files": FilesHandler(host.calendar, host._read_stream),
            "actions": ActionsHandler(),
        }
        self.asides = {name: _Aside(name, keep) for name in names}
        self.at = dict.fromkeys(names, 0)
        self.errors: dict[str, str] = {}

    def advance(self, positions: dict[str, int], progress: Progress | None) -> None:
        """Each projection brought from where it is to ``positions[name]``."""
        running = [n for n in positions if positions[n] > self.at[n] and n not in self.errors]
        start = min((self.at[n] for n in running), default=0) + 1
        while running and (page := self.host._page(start, BATCH)):
            for name in list(running):
                events = [(p, s) for p, s in page if self.at[name] < p <= positions[name]]
                error = self._apply(name, events)
                if error is not None:
                    self.errors[name] = error
                    running.remove(name)
                    continue
                self.at[name] = max(self.at[name], events[-1][0] if events else 0)
                if page[-1][0] >= positions[name]:
                    self.at[name] = positions[name]
                    running.remove(name)
            start = page[-1][0] + 1
            if progress is not None:
                progress(len(page))

    def _apply(self, name: str, events: list[tuple[int, bytes]]) -> str | None:
        """The events' rows into the aside; why the rebuild fails, if it does (the live model
        then holds rows its events cannot make)."""
        if not events:
            return None
        handler, batch = self.handlers[name], Batch()
        for position, state in events:
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
            return f"the rebuild fails before event {events[-1][0]} ({type(e).__name__}: {e})"
        batch.write(self.asides[name])
        return None


def verify_projections(
    host: ProjectionHost, names: Iterable[str] = NAMES, *, progress: Progress | None = None
) -> list[ProjectionCheck]:
    """Each projection in ``names`` rebuilt aside up to its live position and compared with its
    live tables; ``progress(n)`` after each page of ``n`` events replayed."""
    names = list(names)
    rebuild = _Rebuild(host, names)
    for _ in range(ATTEMPTS):
        positions = {name: host.position(name) for name in names}
        rebuild.advance(positions, progress)
        checks = {name: ProjectionCheck(name, positions[name]) for name in names}
        differing: dict[str, dict[str, dict[Cells, Cells | None]]] = {}
        for name in names:
            if name in rebuild.errors:
                checks[name].error = rebuild.errors[name]
                continue
            differing[name] = {
                table: _compare(host, checks[name], table, columns, key, rebuild.asides[name])
                for table, columns, key in storage.READ_MODELS[name]
            }
        if positions == {name: host.position(name) for name in names}:
            break
    else:
        raise ProjectionError(
            f"the read models kept moving while they were read ({ATTEMPTS} attempts): "
            "verify them when the projections are idle"
        )
    if any(rows for tables in differing.values() for rows in tables.values()):
        _name_cells(host, checks, positions, differing)
    return [checks[name] for name in names]


def _compare(
    host: ProjectionHost,
    check: ProjectionCheck,
    table: str,
    columns: tuple[str, ...],
    key: int,
    aside: _Aside,
) -> dict[Cells, Cells | None]:
    """Read the live table page by page against the rebuild's digests; the first ``SHOWN``
    differing rows (key -> live cells, None when missing from the live table)."""
    rebuilt = aside.digests[table]
    found: dict[Cells, Cells | None] = {}
    seen = 0
    after: Cells | None = None
    while page := storage.table_page(host.store, table, columns, key, after, PAGE):
        for row in page:
            k = row[:key]
            want = rebuilt.get(k)
            seen += want is not None
            if want != digest(row):
                check.count += 1
                if len(found) < SHOWN:
                    found[k] = row
        check.rows += len(page)
        after = page[-1][:key]
    if seen < len(rebuilt):  # rows the live table lacks: which ones (rare: read the keys again)
        check.count += len(rebuilt) - seen
        live = set(_keys(host, table, columns, key))
        for k in rebuilt.keys() - live:
            if len(found) >= SHOWN:
                break
            found[k] = None
    return found


def _keys(host: ProjectionHost, table: str, columns: tuple[str, ...], key: int) -> Iterable[Cells]:
    after: Cells | None = None
    while page := storage.table_page(host.store, table, columns[:key], key, after, PAGE):
        yield from page
        after = page[-1]


def _name_cells(
    host: ProjectionHost,
    checks: dict[str, ProjectionCheck],
    positions: dict[str, int],
    differing: dict[str, dict[str, dict[Cells, Cells | None]]],
) -> None:
    """Rebuild once more, keeping the cells of the differing rows, and name each differing
    column with its live and rebuilt value."""
    for name, tables in differing.items():
        keep = {table: set(rows) for table, rows in tables.items()}
        again = _Rebuild(host, [name], keep)
        again.advance({name: positions[name]}, None)
        columns = {t: c for t, c, _k in storage.READ_MODELS[name]}
        for table, rows in tables.items():
            kept = again.asides[name].kept[table]
            for k, live in rows.items():
                want = kept.get(k)
                if live is None or want is None:
                    checks[name].differences.append(Difference(table, k, None, live, want))
                    continue
                for column, a, b in zip(columns[table], live, want, strict=True):
                    if a != b:
                        checks[name].differences.append(Difference(table, k, column, a, b))
