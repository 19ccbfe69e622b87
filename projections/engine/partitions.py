"""A rebuild spread over processes (dựng lại song song; issue 19): the files partitioned.

One process replays every event on one core, and the database takes its writes on the other
core only part of the time. On PostgreSQL a long rebuild (``PARALLEL_FROM`` events or more, on
``PARALLEL_CORES`` cores or more, or when told: ``hoso projections rebuild --workers``) is
therefore shared out: each of ``workers`` processes replays the files of its partition (a hash
of the file's code, in SQL, so the others' events are never read) and the key registry's events
(every partition counts office time with the working calendar they publish; the inspector's
index lists each of them once, in partition 0). Each writes into the same aside tables of the
rebuild (``projections.engine.aside``), its rows and its own position (``<aside>:<k>``)
committed together, up to the head as it stood when the rebuild began.

When every partition has reached that head, the partitions' positions give way to one aside
position, the head, and the aside tables are swapped in as a sequential rebuild's are: one
transaction a projection. If any partition fails (an event, the database, a process killed) the
aside tables are dropped and the live read models serve on unchanged; ``ProjectionFailed``
names the event. Live followers then go on from the head of the rebuild, as after any rebuild.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from domain.calendar import WorkingCalendar
from ledger.store.opening import open_postgres
from projections.engine.aside import AsideView
from projections.engine.batch import Batch
from projections.errors import ProjectionFailed
from projections.models import storage
from projections.models.handlers import ActionsHandler
from signing.registry import REGISTRY_STREAM

if TYPE_CHECKING:
    from projections.engine.app import LedgerEvent
    from projections.engine.runtime import ProjectionHost
    from projections.models import tables

PARALLEL_FROM = 100_000  # events: below this, starting processes costs more than it saves
PARALLEL_CORES = 4  # cores: on 2, two partitions took as long as one process, with more CPU
POOL_SIZE = 2  # connections a partition keeps (its page reader and its writer)


def default_workers(*, postgres: bool, events: int, cores: int) -> int:
    """How many processes a rebuild takes unless told: every core on PostgreSQL with a long
    log (``PARALLEL_FROM``) and cores to spare (``PARALLEL_CORES``); else one. Measured on 2
    cores (issue 19): the partitions' own reading and PostgreSQL's writes left no idle core
    to win, so there one process is as fast and costs less."""
    if not postgres or events < PARALLEL_FROM or cores < PARALLEL_CORES:
        return 1
    return cores


_progress: Any = None  # in a partition's process: the queue its progress goes to


class PartView:
    """An aside view under a partition's own position (``<aside>:<k>``)."""

    def __init__(self, aside: AsideView, part: int) -> None:
        self.aside = aside
        self.tracking_name = f"{aside.tracking_name}:{part}"

    def write(self, batch: Batch, tracking: Any) -> None:
        self.aside.write(batch, tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.aside.max_tracking_id(application_name)

    def analyze(self) -> None:
        """Nothing: the statistics are refreshed under the live names after the swap."""


class PartActions(ActionsHandler):
    """The inspector's index in a partition other than 0: the registry's events are listed by
    partition 0 alone."""

    def ops(self, item: LedgerEvent, position: int) -> list[tables.Write]:
        if item.stream == REGISTRY_STREAM:
            return []
        return super().ops(item, position)


def rebuild_partitioned(
    host: ProjectionHost,
    names: Sequence[str],
    progress: Callable[[int], None] | None,
    batch: int,
    workers: int,
) -> dict[str, int]:
    """Every projection in ``names`` replayed into its aside tables by ``workers`` processes,
    then swapped in; the caller holds the host's lock and has checked it is PostgreSQL."""
    head = host.store.max_position()
    asides = {name: AsideView(host.views[name], host.tracking_table(name)) for name in names}
    for aside in asides.values():
        aside.prepare()
        storage.drop_part_positions(host.store, aside.tracking_table, aside.tracking_name)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pool
    done: Any = context.Queue()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start, initargs=(done,)
        ) as pool:
            args = (host.db or "", host.calendar, tuple(names), workers, head, batch)
            futures = [pool.submit(replay_part, *args, part) for part in range(workers)]
            _follow(futures, done, progress, expected=head)
            for future in futures:
                future.result()
        for aside in asides.values():
            storage.drop_part_positions(
                host.store, aside.tracking_table, aside.tracking_name, head=head
            )
    except BaseException as e:
        for aside in asides.values():
            aside.discard()
            storage.drop_part_positions(host.store, aside.tracking_table, aside.tracking_name)
        if isinstance(e, ProjectionFailed) or not isinstance(e, Exception):
            raise  # a partition's failure as it is; an interrupt as an interrupt
        raise ProjectionFailed(names[0], 0, f"the parallel rebuild failed: {e}") from e
    for name, aside in asides.items():
        aside.swap()
        host.handlers[name] = host.fresh_handler(name)
        host.clear_failure(name)
        host.views[name].analyze()
    # Every event applied once, by its file's partition (the registry's by each, which writes
    # its rows in one): as a rebuild in one process counts them.
    return dict.fromkeys(names, head)


def _follow(
    futures: list[Future[dict[str, int]]],
    done: Any,
    progress: Callable[[int], None] | None,
    *,
    expected: int,
) -> None:
    """Until every partition is finished (or one failed): their progress passed on."""
    pending: set[Future[dict[str, int]]] = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
        for future in finished:
            if future.exception() is not None:
                for other in pending:
                    other.cancel()
                future.result()  # raises it
        _passed_on(done, progress, expected)
    _passed_on(done, progress, expected)  # what the last pages reported


def _passed_on(done: Any, progress: Callable[[int], None] | None, expected: int) -> None:
    try:
        while True:
            n = done.get(timeout=0.05)
            if progress is not None:
                progress(min(n, expected))
    except queue.Empty:
        pass


def _start(done: Any) -> None:
    global _progress
    _progress = done


def replay_part(
    db: str,
    calendar: WorkingCalendar,
    names: tuple[str, ...],
    parts: int,
    head: int,
    batch: int,
    part: int,
) -> dict[str, int]:
    """In a partition's process: its files (and the registry) up to ``head`` into the aside
    tables, under its own positions; how many events each projection applied."""
    from projections.engine.runtime import ProjectionHost

    store = open_postgres(db, pool_size=POOL_SIZE)
    host = ProjectionHost(store, db, "", calendar, pool_size=POOL_SIZE)
    live = host.views
    try:
        host.views = {
            name: PartView(AsideView(host.views[name], host.tracking_table(name)), part)
            for name in names
        }
        host.handlers = {name: host.fresh_handler(name) for name in names}
        if part and "actions" in names:
            host.handlers["actions"] = PartActions()
        datastore: Any = host.app.factory.datastore  # type: ignore[attr-defined]
        table = host.app.recorder.events_table_name  # type: ignore[attr-defined]

        def page(start: int, limit: int) -> list[tuple[int, bytes]]:
            return storage.notification_page(
                datastore, table, start, limit, part=(head, parts, part)
            )

        host._page = page  # type: ignore[method-assign]
        report = _progress.put if _progress is not None else None
        return host.catch_up_unlocked(names, report, batch, live=False)
    finally:
        host.views = live  # what close() closes
        host.close()
        store.close()
