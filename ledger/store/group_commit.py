"""Group commit: concurrent single-event commands stored together, one transaction per group.

Every caller hands its stored events and side rows to ``GroupCommit.append`` and blocks. One
writer thread takes what has arrived (at most ``max_batch`` submissions, waiting at most
``max_wait`` seconds for callers known to be on their way) and stores the whole group with one
``EventStore.append``: on PostgreSQL one table lock, one insert and one commit instead of one
per command. A caller is answered only once its own events are committed (durable), or with its
own exception.

Order: within a group, submissions are stored in arrival order, so the notification (log)
order is the commit order. Two submissions for the same (stream, version) never share a group:
the later one waits for the next group, and if the first one committed it is refused with
``ConflictError`` without a round trip, exactly what the database would answer. If a group's
combined write fails (a conflict with an earlier writer, a side row that breaks a constraint,
...), the group is written again one submission at a time, so only the bad one fails, with the
same exception the direct path (``EventStore.append``) raises.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from ledger.errors import ConflictError, StoreError
from ledger.store.events import EventStore, SideWrite

Key = tuple[str, int]


@dataclass(eq=False)
class _Submission:
    events: Sequence[StoredEvent]
    side_writes: Sequence[SideWrite]
    keys: frozenset[Key]
    done: threading.Event = field(default_factory=threading.Event)
    ids: Sequence[int] | None = None
    error: BaseException | None = None

    def answer(self, ids: Sequence[int] | None = None, error: BaseException | None = None) -> None:
        self.ids, self.error = ids, error
        self.done.set()


@dataclass
class GroupStats:
    groups: int = 0
    submissions: int = 0
    fallbacks: int = 0  # groups written again one by one after their combined write failed
    largest: int = 0


class GroupCommit:
    """One writer thread that stores concurrent submissions together (see the module doc)."""

    def __init__(
        self,
        store: EventStore,
        *,
        max_batch: int = 64,
        max_wait: float = 0.002,
        name: str = "hoso-group-commit",
    ) -> None:
        if max_batch < 1 or max_wait < 0:
            raise ValueError("max_batch must be >= 1 and max_wait >= 0")
        self.store = store
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.stats = GroupStats()
        self._queue: deque[_Submission] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._expected = 0  # callers inside ``expecting()``: submissions on their way
        self.received = 0  # submissions accepted so far
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ callers
    def append(
        self, events: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()
    ) -> Sequence[int] | None:
        """Store ``events`` and ``side_writes`` atomically (in some group); block until durable.

        Raises what ``EventStore.append`` would raise for this submission alone
        (``ConflictError`` for a duplicate (stream, version) or side-table key,
        ``StoreError`` when the database fails), or ``StoreError`` once closed.
        """
        keys = frozenset((str(e.originator_id), e.originator_version) for e in events)
        sub = _Submission(events, side_writes, keys)
        with self._cond:
            if self._closed:
                raise StoreError("the ledger's writer is closed")
            self._queue.append(sub)
            self.received += 1
            self._wake_if_ready()
        while not sub.done.wait(1.0):
            if not self._thread.is_alive() and not sub.done.is_set():
                raise StoreError("the ledger's writer stopped")
        if sub.error is not None:
            raise sub.error
        return sub.ids

    @property
    def pending(self) -> int:
        """Submissions waiting for a group (not the one being written)."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Mark a caller that is about to submit: the writer waits (up to ``max_wait``) for
        such callers before it commits a group, and never waits for nobody."""
        with self._cond:
            self._expected += 1
        try:
            yield
        finally:
            with self._cond:
                self._expected -= 1
                self._wake_if_ready()

    def _wake_if_ready(self) -> None:
        """Wake the writer only when it has something to do: a first submission after an
        empty queue, or a queue that reached what the writer waits for (every submission
        waking it to re-check, and to sleep again, cost the callers' CPU). Holds ``_cond``."""
        queued = len(self._queue)
        if queued == 1 or (queued and queued >= min(self.max_batch, self._expected)):
            self._cond.notify_all()

    def close(self) -> None:
        """Refuse new submissions, store every queued one, stop the writer."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    # ------------------------------------------------------------------ writer
    def _run(self) -> None:
        committed: frozenset[Key] = frozenset()
        while True:
            group = self._gather(committed)
            if group is None:
                return
            try:
                committed = self._commit(group)
            except BaseException as e:  # never leave a caller waiting, never die silently
                for sub in group:
                    if not sub.done.is_set():
                        sub.answer(error=StoreError(f"the ledger's writer failed: {e!r}"))
                committed = frozenset()

    def _gather(self, committed: frozenset[Key]) -> list[_Submission] | None:
        """The next group, in arrival order; None once closed and drained."""
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            deadline = time.monotonic() + self.max_wait
            while (
                not self._closed
                and len(self._queue) < min(self.max_batch, self._expected)
                and (remaining := deadline - time.monotonic()) > 0
            ):
                self._cond.wait(remaining)
            group: list[_Submission] = []
            keys: set[Key] = set()
            later: list[_Submission] = []
            while self._queue and len(group) < self.max_batch:
                sub = self._queue.popleft()
                if sub.keys & committed:  # the previous group stored this (stream, version)
                    sub.answer(error=ConflictError("another write reached the same file first"))
                elif sub.keys & keys:  # same (stream, version) as one in this group: next one
                    later.append(sub)
                else:
                    keys |= sub.keys
                    group.append(sub)
            self._queue.extendleft(reversed(later))
            return group

    def _commit(self, group: list[_Submission]) -> frozenset[Key]:
        """Store the group in one transaction (or one by one if that fails); the keys stored."""
        self.stats.groups += 1
        self.stats.submissions += len(group)
        self.stats.largest = max(self.stats.largest, len(group))
        if not group:
            return frozenset()
        if len(group) > 1:
            events = [e for sub in group for e in sub.events]
            writes = [w for sub in group for w in sub.side_writes]
            try:
                ids = self.store.append(events, writes)
            except Exception:
                self.stats.fallbacks += 1
            else:
                at = 0
                for sub in group:
                    n = len(sub.events)
                    part = ids[at : at + n] if ids is not None and len(ids) == len(events) else None
                    sub.answer(part)
                    at += n
                return frozenset().union(*(sub.keys for sub in group))
        stored: set[Key] = set()
        for sub in group:
            try:
                sub.answer(self.store.append(sub.events, sub.side_writes))
            except Exception as e:
                sub.answer(error=e)
            else:
                stored |= sub.keys
        return frozenset(stored)
