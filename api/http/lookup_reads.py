"""Citizen lookups read together (đọc gộp): one query for every lookup waiting at that moment.

A lookup needs one record from the database: the file's PIN hash joined with its status row
and its steps (``projections.queries.citizen.citizen_records``, for many codes at once). Under
load many lookups wait at once, and each round trip to PostgreSQL costs more than the rows (on
PostgreSQL the lookups read on their own connection, ``projections.models.reader``).
``LookupReads.record(code)`` queues the code (``api.http.gathered``): one query in a worker
thread for every code queued at that moment, again for the codes that arrived meanwhile. A lone
lookup goes at once (no timer, no added wait); under load a query serves many lookups. Reads
only, but for the count of PIN checks (``attempt``), gathered the same way: the checks waiting
at one moment are counted in one transaction, each by its own atomic statement.

Every lookup, for a known code or an unknown one, goes through the same queue and the same
query: neither the work nor the rows' absence tells anything before the PIN check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime

from api.http.gathered import Gathered, each_once
from ledger.store.events import EventStore
from ledger.store.pins import PinFailures
from projections.models.reader import PostgresReader
from projections.queries.citizen import CitizenRecord, citizen_records

MAX_BATCH = 64  # codes per query; a query of 64 codes is still one short index scan


class LookupReads:
    """The queue of lookups waiting for their rows, on one event loop (``Gathered``)."""

    def __init__(
        self,
        store: EventStore,
        *,
        reader: PostgresReader | None = None,
        max_batch: int = MAX_BATCH,
        secrets_of: Callable[[list[str]], Mapping[str, bytes]],
    ) -> None:
        self.store = store
        self.reader = reader
        records = functools.partial(citizen_records, store, reader=reader)
        self._gathered = Gathered(each_once(records), max_batch=max_batch)
        self._attempts = Gathered(PinFailures(store).attempts, max_batch=max_batch)
        self._secrets = Gathered(each_once(secrets_of), max_batch=max_batch)

    async def record(self, code: str) -> CitizenRecord | None:
        """The record of ``code`` (None for an unknown code); raises what the store raised."""
        return await self._gathered(code)

    async def attempt(self, code: str, now: datetime) -> datetime | None:
        """``PinFailures.attempt``, the checks waiting at this moment counted in one commit."""
        return await self._attempts((code, now))

    async def secret(self, applicant_ref: str) -> bytes | None:
        """The applicant's key (None once forgotten), the keys waiting at this moment read
        in one query (``secrets_of``: ``Ledger.applicant_secrets``)."""
        return await self._secrets(applicant_ref)

    @property
    def queries(self) -> int:  # how many queries served how many lookups, for the benchmark
        return self._gathered.batches

    @property
    def lookups(self) -> int:
        return self._gathered.calls

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
