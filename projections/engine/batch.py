"""A batch of a projection's writes, gathered over many events and written in a few statements.

Writing the handlers' requests one statement per event costs a round trip each (a page of 2,000
events made about 1,500 on PostgreSQL). A ``Batch`` folds them as the database would apply them
in order, so one statement per kind gives the same rows:

- a file's row only once, its last state (an upsert of the whole row: the last one wins);
- steps, holdings and actions are inserts, kept in order;
- closing a file's holdings (``to_at`` of those still open) closes the holdings opened earlier in
  this batch in memory, and, for the holdings stored before the batch, becomes one ``UPDATE`` per
  file with the first closing time (a later close in the same batch finds those already closed).
  The ``UPDATE``s run before the batch's inserts, so they touch only the earlier rows.

A batch holds only whole events: a handler computes all of an event's writes before ``add``, so
an event that fails adds nothing, and the batch up to the event before it can still be written.
A file's row is made once per batch, not once per event: the handler asks for it (``TOUCH``)
and makes the rows of the touched files from their state when the batch is sealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from projections.models import tables


class Writer(Protocol):
    """One dialect's statements, inside the transaction that also records the position."""

    def upsert_files(self, rows: list[tuple[Any, ...]]) -> None: ...
    def close_holdings(self, closes: list[tuple[str, str]]) -> None: ...
    def insert(self, table: str, columns: tuple[str, ...], rows: list[Any]) -> None: ...


class Batch:
    __slots__ = ("actions", "closes", "events", "files", "holdings", "open", "steps", "touched")

    def __init__(self) -> None:
        self.events = 0
        self.files: dict[str, tuple[Any, ...]] = {}
        self.steps: list[tuple[Any, ...]] = []
        self.holdings: list[list[Any]] = []
        self.open: dict[str, list[list[Any]]] = {}  # code -> this batch's holdings still open
        self.closes: dict[str, str] = {}  # code -> when the earlier open holdings close
        self.actions: list[tuple[Any, ...]] = []
        self.touched: dict[str, int] = {}  # code -> version: rows the handler makes at sealing

    def __len__(self) -> int:
        return self.events

    def add(self, writes: Iterable[tables.Write]) -> None:
        """One event's writes (never fails: a handler raises before it returns them)."""
        self.events += 1
        for kind, params in writes:
            if kind == tables.ACTION:
                self.actions.append(params)
            elif kind == tables.STEP:
                self.steps.append(params)
            elif kind == tables.TOUCH:
                self.touched[params[0]] = params[1]
            elif kind == tables.FILE:
                self.files.pop(params[0], None)  # keep first-seen order of the last states
                self.files[params[0]] = params
            elif kind == tables.OPEN:
                holding = [*params, None]
                self.holdings.append(holding)
                self.open.setdefault(params[0], []).append(holding)
            elif kind == tables.CLOSE:
                code, at = params
                for holding in self.open.pop(code, ()):
                    holding[-1] = at
                self.closes.setdefault(code, at)
            else:
                raise ValueError(f"unknown write {kind!r}")

    def write(self, writer: Writer) -> None:
        if self.touched:
            raise RuntimeError("a batch with file rows still to make (Handler.seal) was written")
        if self.closes:
            writer.close_holdings(list(self.closes.items()))
        if self.holdings:
            writer.insert("hoso_p_holdings", tables.HOLDING_COLUMNS, self.holdings)
        if self.steps:
            writer.insert("hoso_p_steps", tables.STEP_COLUMNS, self.steps)
        if self.actions:
            writer.insert("hoso_p_actions", tables.ACTION_COLUMNS, self.actions)
        if self.files:
            writer.upsert_files(list(self.files.values()))
