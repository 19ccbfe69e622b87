"""Writing a catch-up's batches on one background thread while the next page is computed.

A rebuild alternates Python work (decode, handlers) and waiting for the database to take a
batch. With 2 cores the two can overlap: the caller computes page N+1 while this thread writes
page N. Jobs run strictly in order, one at a time, each in its own transaction (rows and
position together), so the stored position of a projection only ever moves forward over rows
that are all there. When a projection's write fails, its later jobs are dropped (their rows
would follow a hole) and the failure is recorded; the caller sees it in ``failed`` and stops
feeding that projection. A short catch-up (one page) writes inline, with no thread.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking

from projections.engine.batch import Batch

Recorder = Callable[[str, int, Exception], None]  # (projection, position, error)


@dataclass
class Job:
    name: str
    view: Any
    batch: Batch
    tracking: Tracking
    first: int  # the first event of the batch (where a failed write stops the projection)
    failure: tuple[int, Exception] | None = None  # a handler failed at this event, after these


class Pipeline:
    def __init__(self, record_failure: Recorder, depth: int = 2) -> None:
        self._record = record_failure
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self.written: dict[str, int] = {}
        self.failed: dict[str, tuple[int, Exception]] = {}

    def start(self) -> bool:
        """From now on, write on the background thread (True the first time)."""
        if self._thread is not None:
            return False
        self._thread = threading.Thread(
            target=self._run, name="hoso-projection-writer", daemon=True
        )
        self._thread.start()
        return True

    def submit(self, job: Job) -> None:
        if self._thread is None:
            self._do(job)
            return
        while True:  # never wait forever on a writer that died
            try:
                self._jobs.put(job, timeout=1.0)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("the projection writer thread stopped") from None

    def close(self) -> None:
        """Wait for every submitted job (or the failures that dropped them)."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._do(job)

    def _do(self, job: Job) -> None:
        if job.name in self.failed:
            return
        if len(job.batch):
            try:
                job.view.write(job.batch, job.tracking)
            except Exception as e:
                self._fail(job.name, job.first, e)
                return
            self.written[job.name] = self.written.get(job.name, 0) + len(job.batch)
        if job.failure is not None:
            self._fail(job.name, *job.failure)

    def _fail(self, name: str, position: int, error: Exception) -> None:
        self.failed[name] = (position, error)
        try:
            self._record(name, position, error)
        except Exception as e:  # the failure stands; why it was not recorded goes with it
            error.add_note(f"(recording this failure failed too: {type(e).__name__}: {e})")


Page = list[tuple[int, bytes]]


class Pages:
    """The pages of a catch-up, from ``start``: read one by one as asked, or, once ``ahead()``
    is called (a long catch-up on PostgreSQL), read ahead on a background thread, so that
    page N+1 arrives from the database while page N is decoded and handled. Each page starts
    after the last position of the one before; the reading ends at the first empty page. A
    read that fails raises in the caller, at the page it would have given."""

    def __init__(self, read: Callable[[int], Page], start: int, depth: int = 2) -> None:
        self._read, self._next = read, start
        self._pages: queue.Queue[Page | BaseException] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def ahead(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hoso-page-reader", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                page = self._read(self._next)
            except BaseException as e:
                self._put(e)
                return
            self._put(page)
            if not page:
                return
            self._next = page[-1][0] + 1

    def _put(self, item: Page | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._pages.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def next(self) -> Page:
        if self._thread is None:
            page = self._read(self._next)
            if page:
                self._next = page[-1][0] + 1
            return page
        item = self._pages.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop reading ahead (the caller stopped early, or is done)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """A long catch-up allocates millions of short-lived objects and no cycles, while the
    handlers keep tens of thousands of files alive: pause the cyclic collector meanwhile
    (reference counting still frees everything; the collector resumes afterwards)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
