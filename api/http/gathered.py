"""Calls of one blocking function gathered (gộp): every call waiting at one moment goes to a
worker thread together, as one batch.

Under load many requests wait for the database at once, and each round trip (and each hand-off
to a worker thread) costs more than the rows. ``Gathered(run)`` queues each call's item; one
drain task hands every queued item (up to ``max_batch``) to ``run`` in a worker thread, answers
each waiting call with its own result, and runs again for the items that arrived meanwhile. A
lone call goes at once (no timer, no added wait); under load one ``run`` serves many calls. If
``run`` raises, every call of that batch raises the same exception.

Used by the citizen lookup: its reads (``api.http.lookup_reads``) and its count of PIN checks
(``PinFailures.attempts``, one commit for the checks waiting together).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

import anyio.to_thread

Item = TypeVar("Item")
Result = TypeVar("Result")


Key = TypeVar("Key")
Found = TypeVar("Found")


def each_once(
    find: Callable[[list[Key]], Mapping[Key, Found]],
) -> Callable[[list[Key]], list[Found | None]]:
    """A batch's ``run`` from a lookup by keys: each distinct key asked once, and each call
    answered with its own key's value (None for a key not found)."""

    def run(keys: list[Key]) -> list[Found | None]:
        found = find(list(dict.fromkeys(keys)))
        return [found.get(key) for key in keys]

    return run


class Gathered(Generic[Item, Result]):
    """The queue of calls waiting for ``run`` (results in the order of the items), on one
    event loop."""

    def __init__(
        self, run: Callable[[list[Item]], Sequence[Result]], *, max_batch: int = 64
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.run = run
        self.max_batch = max_batch
        self.loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None  # held: the loop keeps only weak refs
        self.batches = 0  # how many runs served how many calls (the benchmarks read them)
        self.calls = 0

    async def __call__(self, item: Item) -> Result:
        """``run``'s result for ``item``; raises what ``run`` raised."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new loop (tests start one per client): start afresh
            self.loop, self._waiting, self._draining = loop, [], False
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    found = await anyio.to_thread.run_sync(self.run, [x for x, _ in batch])
                except Exception as e:  # each waiting call gets the error (a 503 for a store's)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(e)
                    continue
                except BaseException:  # cancelled: the loop is closing
                    for _, future in batch + self._waiting:
                        future.cancel()
                    raise
                self.batches += 1
                self.calls += len(batch)
                for (_, future), result in zip(batch, found, strict=True):
                    if not future.done():  # the client may have gone away meanwhile
                        future.set_result(result)
        finally:
            self._draining = False
