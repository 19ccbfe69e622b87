"""Running projections with ``eventsourcing``'s machinery and tracking positions.

Each projection's view is an ``eventsourcing`` tracking recorder: its rows and its position are
written in one transaction, so a position never runs ahead of (or behind) the rows. On
PostgreSQL a projection follows live through the library's ``ProjectionRunner`` (LISTEN/NOTIFY);
on SQLite, which cannot subscribe, the same code polls the notification log. A handler that
fails stops its projection loudly: the position stays at the last good event and the failure
(position and error) is recorded for ``hoso projections status``. Nothing is ever skipped.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.persistence import (
    InfrastructureFactory,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL

from domain.calendar import WorkingCalendar
from ledger.errors import LedgerError
from ledger.store import EventStore, SideWrite
from ledger.timefmt import format_instant
from projections import tables
from projections.app import APP_NAME, Hoso, decode_stored, environment
from projections.handlers import NAMES, ActionsHandler, FilesHandler, Handler

BATCH = 2000


class ProjectionFailed(LedgerError):
    def __init__(self, name: str, position: int, error: str) -> None:
        super().__init__(f"projection {name} stopped at event {position}: {error}")
        self.name, self.position, self.error = name, position, error


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag: int
    failed_position: int | None
    error: str | None


class _View:
    """Shared by both dialects: rows + tracking in one transaction."""

    tracking_name: str
    projection: ClassVar[str] = ""

    def _sql(self, sql: str) -> str:
        return sql

    def apply(self, ops: Sequence[SideWrite], tracking: Tracking) -> None:
        """The rows and the position, in one transaction; runs of one statement go together."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            start = 0
            while start < len(ops):
                end = start + 1
                while end < len(ops) and ops[end].sql == ops[start].sql:
                    end += 1
                if end - start == 1:
                    curs.execute(self._sql(ops[start].sql), ops[start].params)
                else:
                    curs.executemany(self._sql(ops[start].sql), [w.params for w in ops[start:end]])
                start = end
            self._insert_tracking(curs, tracking)  # type: ignore[attr-defined]

    def reset(self, tracking_table: str) -> None:
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for statement in tables.CLEAR[self.projection]:
                curs.execute(self._sql(statement))
            curs.execute(
                self._sql(f"DELETE FROM {tracking_table} WHERE application_name = ?"),  # noqa: S608
                (self.tracking_name,),
            )


class SQLiteView(_View, SQLiteTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_name = f"{APP_NAME}:{self.projection}"

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + tables.all_statements(
            [self.projection]
        )


class PostgresView(_View, PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_name = APP_NAME  # the library's runner tracks under the application name
        for statement in tables.all_statements([self.projection]):
            self.sql_create_statements.append(SQL(self._qualify(statement)))  # type: ignore[arg-type]

    def _qualify(self, sql: str) -> str:
        """The library's pool does not set a search path: name the schema in every statement."""
        schema = f'"{self.datastore.schema}".'
        sql = _OUR_TABLES.sub(lambda m: schema + m.group(1), sql)
        return sql.replace("INDEX IF NOT EXISTS " + schema, "INDEX IF NOT EXISTS ")

    def _sql(self, sql: str) -> str:
        return self._qualify(sql).replace("?", "%s")

    def reset(self, tracking_table: str) -> None:
        super().reset(f'"{self.datastore.schema}".{tracking_table}')


_OUR_TABLES = re.compile(r"\b(hoso_p_\w+|hoso_projection_status)\b")


def _view_class(base: type[_View], name: str) -> type[Any]:
    return type(f"{name.title()}{base.__name__}", (base,), {"projection": name})


class LedgerProjection(Projection[Any]):
    """The library's projection interface around one handler (used by ``ProjectionRunner``)."""

    handler: ClassVar[Handler]
    on_failure: ClassVar[Callable[[int, BaseException], None]]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        try:
            ops = self.handler.ops(domain_event, tracking.notification_id)
            self.view.apply(ops, tracking)
        except BaseException as e:
            self.handler.reset()
            type(self).on_failure(tracking.notification_id, e)
            raise


class ProjectionHost:
    """All projections of one ledger database."""

    def __init__(
        self, store: EventStore, db: str | None, sqlite_path: str, calendar: WorkingCalendar
    ) -> None:
        self.store = store
        self.env = environment(db, sqlite_path)
        self.postgres = store.dialect == "postgresql"
        self.app = Hoso(env=self.env)
        self.handlers: dict[str, Handler] = {
            "files": FilesHandler(calendar, self._read_stream),
            "actions": ActionsHandler(),
        }
        base: type[_View] = PostgresView if self.postgres else SQLiteView
        self.view_classes = {name: _view_class(base, name) for name in NAMES}
        self.views: dict[str, Any] = {}
        for name in NAMES:
            env = Environment(name, {**self.env, "CREATE_TABLE": "true"})
            view: Any = InfrastructureFactory.construct(env=env).tracking_recorder(
                self.view_classes[name]
            )
            _retry_busy(view.create_table)
            self.views[name] = view
        store.execute(tables.STATUS_TABLE)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.app.close()
        for view in self.views.values():
            view.datastore.close()

    def _read_stream(self, code: str, upto: int) -> Sequence[StoredEvent]:
        return self.app.recorder.select_events(code, lte=upto)

    def _tracking_table(self, name: str) -> str:
        view = self.views[name]
        return getattr(view, "tracking_table_name", "tracking")

    # ------------------------------------------------------------------ status
    def position(self, name: str) -> int:
        view = self.views[name]
        return int(view.max_tracking_id(view.tracking_name) or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.store.max_position()
        id_col = "notification_id" if self.postgres else "rowid"
        rows = {
            str(r["name"]): r
            for r in self.store.query(
                "SELECT name, failed_position, error FROM hoso_projection_status"
            )
        }
        out = []
        for name in NAMES:
            pos = self.position(name)
            lag = self.store.query(
                f"SELECT COUNT(*) AS n FROM hoso_events WHERE {id_col} > ?",  # noqa: S608
                (pos,),
            )
            failed = rows.get(name)
            out.append(
                ProjectionStatus(
                    name=name,
                    position=pos,
                    head=head,
                    lag=int(lag[0]["n"]),
                    failed_position=int(failed["failed_position"]) if failed else None,
                    error=str(failed["error"]) if failed else None,
                )
            )
        return out

    def _record_failure(self, name: str, position: int, error: BaseException) -> None:
        self.store.execute(
            "INSERT INTO hoso_projection_status (name, failed_position, error, failed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET failed_position = "
            "excluded.failed_position, error = excluded.error, failed_at = excluded.failed_at",
            (name, position, f"{type(error).__name__}: {error}", format_instant(datetime.now(UTC))),
        )

    def _clear_failure(self, name: str) -> None:
        self.store.execute("DELETE FROM hoso_projection_status WHERE name = ?", (name,))

    # --------------------------------------------------------------- catching up
    def catch_up(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Apply every event after the projection's position, in batches; returns how many."""
        with self._lock:
            handler, view = self.handlers[name], self.views[name]
            position, done = self.position(name), 0
            while page := self.app.recorder.select_notifications(position + 1, BATCH):
                ops: list[SideWrite] = []
                last_good = position
                for n in page:
                    try:
                        ops.extend(handler.ops(decode_stored(n), n.id))
                    except Exception as e:
                        handler.reset()
                        if last_good > position:
                            view.apply(ops_until(ops), Tracking(view.tracking_name, last_good))
                        self._record_failure(name, n.id, e)
                        raise ProjectionFailed(name, n.id, f"{type(e).__name__}: {e}") from e
                    last_good = n.id
                    _mark(ops)
                try:
                    view.apply(strip(ops), Tracking(view.tracking_name, page[-1].id))
                except Exception as e:
                    handler.reset()
                    self._record_failure(name, page[0].id, e)
                    raise ProjectionFailed(name, page[0].id, f"{type(e).__name__}: {e}") from e
                position = page[-1].id
                done += len(page)
                if progress is not None:
                    progress(len(page))
            self._clear_failure(name) if done else None
            return done

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Drop the projection's rows and position, and replay every event from the start."""
        with self._lock:
            self.handlers[name].reset()
            self.views[name].reset(self._tracking_table(name))
            self._clear_failure(name)
        return self.catch_up(name, progress)

    # --------------------------------------------------------------- following
    def runner(self, name: str) -> ProjectionRunner[Any, Any]:
        """PostgreSQL: the library's live runner (LISTEN/NOTIFY) for one projection."""
        if not self.postgres:
            raise LedgerError("SQLite cannot subscribe: follow() polls instead")
        host = self
        projection_class = type(
            f"{name.title()}Projection",
            (LedgerProjection,),
            {
                "name": name,
                "handler": self.handlers[name],
                "on_failure": staticmethod(lambda pos, e: host._record_failure(name, pos, e)),
            },
        )
        return ProjectionRunner(
            application_class=Hoso,
            projection_class=projection_class,
            view_class=self.view_classes[name],
            env=self.env,
        )


def _retry_busy(action: Callable[[], None], attempts: int = 5) -> None:
    """SQLite refuses at once (no busy wait) a transaction that read, then writes, while another
    connection wrote in between: creating the tables does that, so try again a few times."""
    for attempt in range(attempts):
        try:
            action()
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


_MARK = SideWrite("-- event boundary", ())


def _mark(ops: list[SideWrite]) -> None:
    ops.append(_MARK)


def strip(ops: Sequence[SideWrite]) -> list[SideWrite]:
    """A batch's writes in an order that gives the same rows with fewer round trips: a file's
    row only once (its last state), the steps together; holdings keep their relative order."""
    files: dict[object, SideWrite] = {}
    steps: list[SideWrite] = []
    rest: list[SideWrite] = []
    for w in ops:
        if w is _MARK:
            continue
        if w.sql.startswith("INSERT INTO hoso_p_files "):
            files.pop(w.params[0], None)
            files[w.params[0]] = w
        elif w.sql.startswith("INSERT INTO hoso_p_steps "):
            steps.append(w)
        else:
            rest.append(w)
    return [*rest, *steps, *files.values()]


def ops_until(ops: Sequence[SideWrite]) -> list[SideWrite]:
    """The ops of the events before the failing one (up to the last boundary mark)."""
    last = max((i for i, w in enumerate(ops) if w is _MARK), default=-1)
    return strip(ops[: last + 1])
