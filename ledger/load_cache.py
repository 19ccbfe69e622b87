"""The verified-prefix cache of ``Ledger.load``: verify each stored event once per process.

A file load still reads every row of the file from the store (one query) and checks it; what is
cached is the *result* of checking a row: its decoded envelope and event, and the chain head
after it. A row is taken from the cache only if its stream, version, topic and stored bytes are
identical to a row this process verified before, with the same prefix before it, against the
same key registry (one generation of the ``Ledger``'s registry object, unchanged during the
check). ``ChainVerifier.check`` is a pure function of exactly those inputs (and of the ledger's
origin and authority key, fixed per ``Ledger``), so the answer is the one a full verification
would give. Rows from the first one that differs
(edited, inserted, reordered) are verified as they always were, and fail the same way.

The aggregate is rebuilt for every load by re-applying the cached events (frozen dataclasses),
so no caller ever shares a mutable aggregate with another. Bounded (least recently used files
are dropped) and thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from ledger.envelope import Envelope
from ledger.verify import ChainVerifier, Checked

RegistryMark = int
"""The key registry a row was verified against: the ``Ledger``'s registry generation, which
changes whenever its registry object changes (a new registry event applied, or rebuilt)."""


@dataclass(frozen=True)
class VerifiedRow:
    """One stored row as it was verified, and what verifying it produced."""

    version: int
    topic: str
    state: bytes
    envelope: Envelope
    event: CanMutateAggregate[str]
    hash: str  # the chain head after this row

    @classmethod
    def of(cls, stored: StoredEvent, checked: Checked, head: str) -> VerifiedRow:
        return cls(
            stored.originator_version,
            stored.topic,
            bytes(stored.state),
            checked.envelope,
            checked.event,
            head,
        )

    def same(self, stored: StoredEvent) -> bool:
        return (
            stored.originator_version == self.version
            and stored.topic == self.topic
            and stored.state == self.state
        )


@dataclass(frozen=True)
class _Entry:
    mark: RegistryMark
    rows: tuple[VerifiedRow, ...]


class VerifiedPrefixCache:
    def __init__(self, max_files: int = 10_000) -> None:
        self.max_files = max_files
        self._files: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  # rows taken from the cache
        self.misses = 0  # rows verified

    def rows(self, stream: str, mark: RegistryMark) -> tuple[VerifiedRow, ...]:
        with self._lock:
            entry = self._files.get(stream)
            if entry is None or entry.mark != mark:
                return ()
            self._files.move_to_end(stream)
            return entry.rows

    def put(self, stream: str, mark: RegistryMark, rows: tuple[VerifiedRow, ...]) -> None:
        with self._lock:
            old = self._files.get(stream)
            if (
                old is not None
                and old.mark == mark
                and len(old.rows) > len(rows)
                and old.rows[: len(rows)] == rows
            ):
                return  # a concurrent load or write already knows more of this file
            self._files[stream] = _Entry(mark, rows)
            self._files.move_to_end(stream)
            while len(self._files) > self.max_files:
                self._files.popitem(last=False)

    def extend(
        self, stream: str, mark: RegistryMark, after: int, rows: Sequence[VerifiedRow]
    ) -> None:
        """Rows just written on top of version ``after``: kept if the cache ends there."""
        with self._lock:
            old = self._files.get(stream)
            if after == 0:
                base: tuple[VerifiedRow, ...] = ()
            elif (
                old is not None and old.mark == mark and old.rows and old.rows[-1].version == after
            ):
                base = old.rows
            else:
                return
        self.put(stream, mark, base + tuple(rows))

    def count(self, hits: int, misses: int) -> None:
        with self._lock:
            self.hits += hits
            self.misses += misses

    def clear(self) -> None:
        with self._lock:
            self._files.clear()


def verify_rows(
    stored: Sequence[StoredEvent],
    verifier: ChainVerifier,
    cache: VerifiedPrefixCache,
    stream: str,
    mark: RegistryMark,
) -> tuple[tuple[VerifiedRow, ...], int]:
    """Every row of ``stream`` checked, and how many were verified now: the cached prefix is
    reused, the rest verified by ``verifier`` (which holds the registry of generation ``mark``
    and no head of ``stream``). Raises ``TamperError`` exactly where a full verification would.
    The caller puts the result in the cache if the registry did not change meanwhile."""
    cached = cache.rows(stream, mark)
    n = 0
    for row, known in zip(stored, cached, strict=False):
        if str(row.originator_id) != stream or not known.same(row):
            break
        n += 1
    rows = list(cached[:n])
    if n:
        verifier.heads[stream] = (rows[-1].version, rows[-1].hash)
    for item in stored[n:]:
        checked = verifier.check(item)
        rows.append(VerifiedRow.of(item, checked, verifier.head(stream)[1]))
    cache.count(n, len(stored) - n)
    return tuple(rows), len(stored) - n
