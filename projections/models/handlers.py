"""What each projection writes for one event: pure functions of the event and the file's state.

``FilesHandler`` keeps the file row (state, holder, deadlines, figures' inputs), the citizen's
steps and the officers' holding periods; ``ActionsHandler`` keeps the inspector's index of every
action. Handlers never skip an event: one that cannot be applied raises.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.calendar import WorkingCalendar
from domain.codes import parse_file_code
from domain.errors import DomainError
from domain.events import (
    FileHandedOff,
    FileReceived,
    FileRefused,
    FileWithdrawn,
    ProcessingStopped,
    ResultReturned,
    SubmittedForSignature,
)
from domain.file import AdministrativeFile
from domain.working_year import YearDays
from projections.engine.app import LedgerEvent, decode_stored
from projections.engine.batch import Batch
from projections.models import tables
from projections.models.rows import row_values
from signing.registry import REGISTRY_STREAM, WorkingCalendarPublished

CLOSING = (ResultReturned, FileRefused, FileWithdrawn, ProcessingStopped)
StreamReader = Callable[[str, int], Sequence[StoredEvent]]  # (stream, up to version) -> events


class Handler:
    name: str = ""

    def ops(self, item: LedgerEvent, position: int) -> list[tables.Write]:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget cached state (after a rollback or before a rebuild)."""

    def seal(self, batch: Batch, failed: LedgerEvent | None = None) -> None:
        """Make the rows the batch's events asked for (``TOUCH``), from the state after its
        last event; ``failed`` is the event after those, whose failure may have left its file's
        cached state half-changed."""


class FilesHandler(Handler):
    name = "files"

    def __init__(
        self, calendar: WorkingCalendar, read_stream: StreamReader, cache_size: int = 50_000
    ) -> None:
        self.calendar = calendar.lenient()  # a year nobody published never stops a read model
        self.read_stream = read_stream
        self.cache_size = cache_size
        self._files: OrderedDict[str, AdministrativeFile] = OrderedDict()
        self._minutes = lru_cache(maxsize=65_536)(self.calendar.working_minutes_between)

    def reset(self) -> None:
        self._files.clear()  # the calendar stays: what the log published stays published

    def publish(self, days: YearDays) -> None:
        """A year of the working calendar published: the office time of what follows is
        counted with it (a publication changes no day already past, so rows made before it
        and rows made again by a rebuild count the same)."""
        self.calendar = self.calendar.with_year(days)
        self._minutes = lru_cache(maxsize=65_536)(self.calendar.working_minutes_between)

    def seal(self, batch: Batch, failed: LedgerEvent | None = None) -> None:
        if failed is not None:
            self._files.pop(failed.stream, None)
        for code, version in batch.touched.items():
            f = self._files.get(code)
            if f is None or f.version != version:  # evicted, or spoilt by the failed event
                f = self._before(code, version + 1)
                assert f is not None
            batch.files[code] = tables.cells(row_values(f, self.calendar, self._minutes))
        batch.touched.clear()

    def _before(self, code: str, version: int) -> AdministrativeFile | None:
        """The file as it stood before ``version`` (None before its first event)."""
        if version == 1:
            return None
        cached = self._files.get(code)
        if cached is not None and cached.version == version - 1:
            self._files.move_to_end(code)
            return cached
        f: Any = None
        for stored in self.read_stream(code, version - 1):
            f = decode_stored(stored).event.mutate(f)
        if not isinstance(f, AdministrativeFile) or f.version != version - 1:
            raise DomainError(f"file {code}: events before version {version} are missing")
        return f

    def ops(self, item: LedgerEvent, position: int) -> list[tables.Write]:
        if item.stream == REGISTRY_STREAM:
            if isinstance(item.event, WorkingCalendarPublished):
                self.publish(item.event.days())
            return []
        env, event = item, item.event
        f = event.mutate(self._before(env.stream, env.version))
        assert isinstance(f, AdministrativeFile)
        self._files[env.stream] = f
        self._files.move_to_end(env.stream)
        if len(self._files) > self.cache_size:
            self._files.popitem(last=False)
        at = event.timestamp
        out = [
            tables.touch_file(env.stream, env.version),
            tables.step(f.id, env.version, env.type, at, f.holder.department, f.holder.agency),
        ]
        if isinstance(event, FileReceived):
            out.append(
                tables.open_holding(f.id, env.version, env.actor, event.department, f.unit, at)
            )
        elif isinstance(event, FileHandedOff | SubmittedForSignature):
            out.append(tables.close_holding(f.id, at))
            out.append(
                tables.open_holding(
                    f.id, env.version, f.holder.officer, f.holder.department, f.holder.agency, at
                )
            )
        elif isinstance(event, CLOSING):
            out.append(tables.close_holding(f.id, at))
        return out


class ActionsHandler(Handler):
    name = "actions"

    def __init__(self) -> None:
        self._units: dict[str, str] = {}  # file code -> unit (parsing the code is a regex)

    def _unit(self, code: str) -> str:
        unit = self._units.get(code)
        if unit is None:
            if len(self._units) >= 200_000:
                self._units.clear()
            unit = self._units[code] = parse_file_code(code).unit
        return unit

    def ops(self, item: LedgerEvent, position: int) -> list[tables.Write]:
        env = item
        at = item.event.timestamp
        if env.stream == REGISTRY_STREAM:
            unit = str(env.payload.get("unit", "*"))
        else:
            unit = self._unit(env.stream)
        return [tables.action(position, env.stream, env.version, env.type, env.actor, unit, at)]


NAMES = ("files", "actions")
