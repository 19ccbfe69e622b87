"""Citizen lookups read together (đọc gộp): one query for every lookup waiting at that moment.

A lookup needs one record from the database: the file's PIN hash joined with its status row
and its steps (``projections.queries.citizen.citizen_records``, for many codes at once). Under
load many lookups wait at once, and each round trip to PostgreSQL costs more than the rows (on
PostgreSQL the lookups read on their own connection, ``projections.models.reader``).
``LookupReads.record(code)`` queues the code; one drain task runs one query for every queued
code in a worker thread, answers each waiting request, and runs again for the codes that
arrived meanwhile. A lone lookup goes at once (no timer, no added
wait); under load a query serves many lookups. Reads only: nothing here writes.

Every lookup, for a known code or an unknown one, goes through the same queue and the same
query: neither the work nor the rows' absence tells anything before the PIN check.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread

from ledger.store.events import EventStore
from projections.models.reader import PostgresReader
from projections.queries.citizen import CitizenRecord, citizen_records

MAX_BATCH = 64  # codes per query; a query of 64 codes is still one short index scan


class LookupReads:
    """The queue of lookups waiting for their rows, on one event loop."""

    def __init__(
        self,
        store: EventStore,
        *,
        reader: PostgresReader | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.store = store
        self.reader = reader
        self.max_batch = max_batch
        self.loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[str, asyncio.Future[CitizenRecord | None]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        self.queries = 0  # how many queries served how many lookups, for the benchmark
        self.lookups = 0

    async def record(self, code: str) -> CitizenRecord | None:
        """The record of ``code`` (None for an unknown code); raises what the store raised."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new loop (tests start one per client): start afresh
            self.loop, self._waiting, self._draining = loop, [], False
        future: asyncio.Future[CitizenRecord | None] = loop.create_future()
        self._waiting.append((code, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                codes = list(dict.fromkeys(code for code, _ in batch))
                try:
                    found = await anyio.to_thread.run_sync(
                        citizen_records, self.store, codes, self.reader
                    )
                except Exception as e:  # each waiting lookup gets the store's error (503)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(e)
                    continue
                except BaseException:  # cancelled: the loop is closing
                    for _, future in batch + self._waiting:
                        future.cancel()
                    raise
                self.queries += 1
                self.lookups += len(batch)
                for code, future in batch:
                    if not future.done():  # the client may have gone away meanwhile
                        future.set_result(found.get(code))
        finally:
            self._draining = False

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
