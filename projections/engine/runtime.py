"""Running projections with ``eventsourcing``'s machinery and tracking positions.

Each projection's view is an ``eventsourcing`` tracking recorder: its rows and its position are
written in one transaction, so a position never runs ahead of (or behind) the rows. On
PostgreSQL a projection follows live through the library's ``ProjectionRunner`` (LISTEN/NOTIFY);
on SQLite, which cannot subscribe, the same code polls the notification log. A handler that
fails stops its projection loudly: the position stays at the last good event and the failure
(position and error) is recorded for ``hoso projections status``. Nothing is ever skipped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, ClassVar

from eventsourcing.persistence import (
    InfrastructureFactory,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

from domain.calendar import WorkingCalendar
from ledger.encoding.fast.event import decode_event
from ledger.errors import LedgerError
from ledger.store.events import EventStore
from projections.engine.app import POOL_SIZE, Hoso, LedgerEvent, environment
from projections.engine.aside import rebuild_aside
from projections.engine.batch import Batch
from projections.engine.partitions import default_workers, rebuild_partitioned
from projections.engine.pipeline import Job, Pages, Pipeline, collector_paused
from projections.errors import ProjectionFailed
from projections.models import storage
from projections.models.handlers import NAMES, ActionsHandler, FilesHandler, Handler
from projections.models.recorders import base_view, view_class

BATCH = 5000


ANALYZE_AFTER = 20_000  # events applied in one catch-up after which the planner's statistics
# of the projection's tables are refreshed (a rebuild, a long catch-up)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag: int
    failed_position: int | None
    error: str | None


class LedgerProjection(Projection[Any]):
    """The library's projection interface around one handler (used by ``ProjectionRunner``)."""

    handler: ClassVar[Handler]
    on_failure: ClassVar[Callable[[int, BaseException], None]]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        try:
            batch = Batch()
            batch.add(self.handler.ops(domain_event, tracking.notification_id))
            self.handler.seal(batch)
            self.view.write(batch, tracking)
        except BaseException as e:
            self.handler.reset()
            type(self).on_failure(tracking.notification_id, e)
            raise


class ProjectionHost:
    """All projections of one ledger database."""

    def __init__(
        self,
        store: EventStore,
        db: str | None,
        sqlite_path: str,
        calendar: WorkingCalendar,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.store = store
        self.db = db
        self.calendar = calendar
        self.env = environment(db, sqlite_path, pool_size)
        self.postgres = store.dialect == "postgresql"
        self.app = Hoso(env=self.env)
        self.handlers: dict[str, Handler] = {name: self.fresh_handler(name) for name in NAMES}
        base = base_view(self.postgres)
        self.view_classes = {name: view_class(base, name) for name in NAMES}
        self.views: dict[str, Any] = {}
        for name in NAMES:
            env = Environment(name, {**self.env, "CREATE_TABLE": "true"})
            view: Any = InfrastructureFactory.construct(env=env).tracking_recorder(
                self.view_classes[name]
            )
            _retry_busy(view.create_table)
            self.views[name] = view
            if view.outdated():  # written by an older version: rebuilt from the first event
                view.renew(self.tracking_table(name))
                _retry_busy(view.create_table)
        storage.ensure_status_table(store)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.app.close()
        for view in self.views.values():
            view.datastore.close()

    def _page(self, start: int, limit: int) -> list[tuple[int, bytes]]:
        """(position, stored bytes) of up to ``limit`` events from ``start``. PostgreSQL: one
        plain query of the two columns a projection reads (the library's page builds a dict
        and a ``Notification`` per row)."""
        if not self.postgres:
            return [(n.id, n.state) for n in self.app.recorder.select_notifications(start, limit)]
        datastore: Any = self.app.factory.datastore  # type: ignore[attr-defined]
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        return storage.notification_page(datastore, table, start, limit)

    def _read_stream(self, code: str, upto: int) -> Sequence[StoredEvent]:
        return self.app.recorder.select_events(code, lte=upto)

    def tracking_table(self, name: str) -> str:
        view = self.views[name]
        return getattr(view, "tracking_table_name", "tracking")

    # ------------------------------------------------------------------ status
    def position(self, name: str) -> int:
        view = self.views[name]
        return int(view.max_tracking_id(view.tracking_name) or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.store.max_position()
        failures = storage.failures(self.store)
        out = []
        for name in NAMES:
            pos = self.position(name)
            failed = failures.get(name)
            out.append(
                ProjectionStatus(
                    name=name,
                    position=pos,
                    head=head,
                    lag=self.store.count_after(pos),
                    failed_position=failed[0] if failed else None,
                    error=failed[1] if failed else None,
                )
            )
        return out

    def _record_failure(self, name: str, position: int, error: BaseException) -> None:
        storage.record_failure(self.store, name, position, f"{type(error).__name__}: {error}")

    def clear_failure(self, name: str) -> None:
        storage.clear_failure(self.store, name)

    # --------------------------------------------------------------- catching up
    def catch_up(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Apply every event after the projection's position, in batches; returns how many."""
        return self.catch_up_all([name], progress)[name]

    def catch_up_all(
        self,
        names: Sequence[str] = NAMES,
        progress: Callable[[int], None] | None = None,
        batch: int = BATCH,
    ) -> dict[str, int]:
        """Bring every projection in ``names`` to the head, reading and decoding each event once
        for all of them; returns how many events each applied.

        Pages of ``batch`` events; each projection writes a page's rows and its new position in
        one transaction (on a background thread while the next page is computed, once there is
        more than one page). A projection whose handler or write fails stops at the event
        before it (the earlier events of that page are written) and records the failure; the
        others go on to the head; then ``ProjectionFailed`` is raised for the first failure."""
        with self._lock:
            return self.catch_up_unlocked(names, progress, batch, live=True)

    def catch_up_unlocked(
        self,
        names: Sequence[str],
        progress: Callable[[int], None] | None,
        batch: int,
        *,
        live: bool,
    ) -> dict[str, int]:
        """``catch_up_all`` under the lock; ``live`` False (a rebuild aside): failures are not
        recorded against the live read models, which the rebuild does not touch."""
        with ExitStack() as stack:
            pipe = Pipeline(self._record_failure if live else lambda _n, _p, _e: None)
            stack.callback(pipe.close)
            positions = {name: self.position(name) for name in names}
            stopped: set[str] = set()
            start = min(positions.values(), default=0)
            pages = Pages(lambda first: self._page(first, batch), start + 1)
            stack.callback(pages.close)
            while len(stopped) < len(names) and (page := pages.next()):
                items = [(pos, _decoded(state)) for pos, state in page]
                for name in names:
                    if name in pipe.failed and name not in stopped:
                        self.handlers[name].reset()  # its state ran ahead of the stored rows
                        stopped.add(name)
                    if name in stopped:
                        continue
                    job = self._page_job(name, positions[name], items)
                    if job is None:
                        continue
                    pipe.submit(job)
                    positions[name] = job.tracking.notification_id
                    if job.failure is not None:
                        stopped.add(name)
                if progress is not None:
                    progress(len(page))
                if len(page) == batch and pipe.start():
                    stack.enter_context(collector_paused())
                    if self.postgres:  # SQLite: one connection, nothing to overlap
                        pages.ahead()
            pipe.close()
            for name in names:
                if name in pipe.failed:
                    self.handlers[name].reset()
                elif pipe.written.get(name):
                    if live:
                        self.clear_failure(name)
                    if pipe.written[name] >= ANALYZE_AFTER:
                        self.views[name].analyze()
            if pipe.failed:
                name, (position, error) = next(iter(pipe.failed.items()))
                failed = ProjectionFailed(name, position, f"{type(error).__name__}: {error}")
                raise failed from error
            return {name: pipe.written.get(name, 0) for name in names}

    def _page_job(
        self, name: str, position: int, items: Sequence[tuple[int, LedgerEvent | Exception]]
    ) -> Job | None:
        """One projection's share of a page (the events after ``position``), as a job for the
        writer: a batch of whole events, and the failure of the event after them, if any."""
        handler, view = self.handlers[name], self.views[name]
        pending = Batch()
        last, first = position, 0
        for pos, item in items:
            if pos <= position:
                continue
            first = first or pos
            try:
                if isinstance(item, Exception):
                    raise item
                pending.add(handler.ops(item, pos))
            except Exception as e:
                return self._failed_job(name, pending, position, last, first, pos, e, item)
            last = pos
        if not first:
            return None
        try:
            handler.seal(pending)
        except Exception as e:  # which event's row failed is not known: stop before them all
            handler.reset()
            return Job(
                name, view, Batch(), Tracking(view.tracking_name, position), first, (first, e)
            )
        return Job(name, view, pending, Tracking(view.tracking_name, last), first)

    def _failed_job(
        self,
        name: str,
        pending: Batch,
        position: int,
        last: int,
        first: int,
        pos: int,
        error: Exception,
        item: LedgerEvent | Exception,
    ) -> Job:
        """The job of the events before the failing one at ``pos``, and the failure."""
        handler, view = self.handlers[name], self.views[name]
        try:
            handler.seal(pending, None if isinstance(item, Exception) else item)
        except Exception:  # then write none of this page's events, and stop before them
            pending, last, pos = Batch(), position, first
        handler.reset()
        return Job(name, view, pending, Tracking(view.tracking_name, last), first, (pos, error))

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Replay every event from the start into new tables, then swap them in (``aside``)."""
        return self.rebuild_all([name], progress)[name]

    def rebuild_all(
        self,
        names: Sequence[str] = NAMES,
        progress: Callable[[int], None] | None = None,
        batch: int = BATCH,
        workers: int | None = None,
    ) -> dict[str, int]:
        """Every projection in ``names`` rebuilt aside from all the events (each read once for
        all) and swapped in atomically; until then, and for good if the rebuild fails, the live
        read models serve unchanged (``projections.engine.aside``). ``workers`` > 1 (on
        PostgreSQL; default ``rebuild_workers()``): the files shared out over that many
        processes (``projections.engine.partitions``)."""
        with self._lock:
            workers = self.rebuild_workers() if workers is None else workers
            if workers > 1 and self.postgres and self.db:
                return rebuild_partitioned(self, names, progress, batch, workers)
            return rebuild_aside(self, names, progress, batch, ANALYZE_AFTER)

    def rebuild_workers(self) -> int:
        """How many processes a rebuild takes by default (``partitions.default_workers``)."""
        events = self.store.max_position()
        return default_workers(postgres=self.postgres, events=events, cores=os.cpu_count() or 1)

    def fresh_handler(self, name: str) -> Handler:
        """A handler with no state, for a rebuild aside."""
        if name == "files":
            return FilesHandler(self.calendar, self._read_stream)
        return ActionsHandler()

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


def _decoded(state: bytes) -> LedgerEvent | Exception:
    """The event, or why it does not decode (every projection then stops at it)."""
    try:
        return decode_event(state)
    except Exception as e:
        return e


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
