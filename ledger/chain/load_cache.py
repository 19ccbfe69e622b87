"""What this process has verified, kept (caches of verified state): the verified prefix of each
file (``Ledger.load``: verify each stored event once per process) and the verified key registry
(``RegistryCache``, brought up to date with the store on every use).

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

Commands read less (``tail``): a command on a file this process knows reads only the file's rows
from its last known one on, in the same single statement as the registry's news. If that row is
byte-identical to the one verified (and the registry generation is the same), only the rows after
it are verified, and the aggregate is a copy of the state kept after the known row with the new
events applied. Anything else (a different last row, a changed registry, an unknown file) falls
back to the full read and check. So a command no longer re-compares a file's earlier rows with
their verified copies each time; the row it builds on is compared, a concurrent writer is still
caught by the store's unique (stream, version) key, and ``Ledger.load`` and the audit still
check every row.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from ledger.chain.verify import ChainVerifier, Checked
from ledger.encoding.envelope import Envelope
from ledger.errors import NotFound
from ledger.store.events import EventStore
from signing.registry import REGISTRY_STREAM, KeyRegistry

T = TypeVar("T")

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


def snapshot(aggregate: T) -> T:
    """A copy of ``aggregate`` with its own (empty) list of pending events. Shallow: safe
    because an ``AdministrativeFile``'s attributes are immutable values (tuples, strings,
    datetimes, enums, frozen dataclasses), replaced and never changed in place by its events;
    an invariant of ``tests/unit/test_file_state_machine.py`` holds the domain to that."""
    copied = type(aggregate).__new__(type(aggregate))
    copied.__dict__.update(aggregate.__dict__)
    copied.__dict__["_pending_events"] = []
    return copied


def replay(rows: Sequence[VerifiedRow], state: Any = None) -> Any:
    """``state`` (None: nothing yet) with the events of ``rows`` applied, in order."""
    for row in rows:
        state = row.event.mutate(state)
    return state


@dataclass(frozen=True)
class Entry:
    """What the cache knows of one file: its verified rows, against registry ``mark``, and the
    aggregate after the last of them (never handed out: callers get a ``snapshot``)."""

    mark: RegistryMark
    rows: tuple[VerifiedRow, ...]
    state: Any

    @property
    def last(self) -> VerifiedRow:
        return self.rows[-1]


class VerifiedPrefixCache:
    def __init__(self, max_files: int = 10_000) -> None:
        self.max_files = max_files
        self._files: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  # rows taken from the cache
        self.misses = 0  # rows verified
        self.tails = 0  # command loads that read and checked only the tail of the file

    def entry(self, stream: str) -> Entry | None:
        """What is known of ``stream`` (whichever registry generation it was verified against)."""
        with self._lock:
            found = self._files.get(stream)
            if found is not None:
                self._files.move_to_end(stream)
            return found

    def rows(self, stream: str, mark: RegistryMark) -> tuple[VerifiedRow, ...]:
        with self._lock:
            entry = self._files.get(stream)
            if entry is None or entry.mark != mark:
                return ()
            self._files.move_to_end(stream)
            return entry.rows

    def put(
        self, stream: str, mark: RegistryMark, rows: tuple[VerifiedRow, ...], state: Any = None
    ) -> None:
        """Keep ``rows`` of ``stream`` and the aggregate after them (``state``; None: replayed
        from the rows here). The caller keeps ``state``: a snapshot of it is kept."""
        state = replay(rows) if state is None else snapshot(state)
        self._keep(stream, Entry(mark, rows, state))

    def _keep(self, stream: str, new: Entry) -> None:
        mark, rows = new.mark, new.rows
        with self._lock:
            old = self._files.get(stream)
            if (
                old is not None
                and old.mark == mark
                and len(old.rows) > len(rows)
                and old.rows[: len(rows)] == rows
            ):
                return  # a concurrent load or write already knows more of this file
            self._files[stream] = new
            self._files.move_to_end(stream)
            while len(self._files) > self.max_files:
                self._files.popitem(last=False)

    def extend(
        self,
        stream: str,
        mark: RegistryMark,
        after: int,
        rows: Sequence[VerifiedRow],
        state: Any = None,
    ) -> None:
        """Rows written or read on top of version ``after``: kept if the cache ends there. The
        kept state is a snapshot of ``state`` (the aggregate after ``rows``, rebuilt from their
        decoded events) or, without one, the old state with those events applied: always what
        the stored bytes give, never a command's in-memory aggregate."""
        with self._lock:
            old = self._files.get(stream)
            if after == 0:
                base: tuple[VerifiedRow, ...] = ()
                base_state = None
            elif (
                old is not None and old.mark == mark and old.rows and old.rows[-1].version == after
            ):
                base = old.rows
                base_state = None if state is not None else snapshot(old.state)
            else:
                return
        kept = replay(rows, base_state) if state is None else snapshot(state)
        self._keep(stream, Entry(mark, base + tuple(rows), kept))

    def count(self, hits: int, misses: int, *, tail: bool = False) -> None:
        with self._lock:
            self.hits += hits
            self.misses += misses
            self.tails += tail

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
    rows = cached[:n]
    if n:
        verifier.heads[stream] = (rows[-1].version, rows[-1].hash)
    fresh = _verified(stored[n:], verifier, stream)
    cache.count(n, len(fresh))
    return rows + fresh, len(fresh)


def _verified(
    stored: Sequence[StoredEvent], verifier: ChainVerifier, stream: str
) -> tuple[VerifiedRow, ...]:
    """``stored`` (rows of ``stream``) checked in order on top of ``verifier``'s head."""
    rows: list[VerifiedRow] = []
    for item in stored:
        checked = verifier.check(item)
        rows.append(VerifiedRow.of(item, checked, verifier.head(stream)[1]))
    return tuple(rows)


def verify_tail(
    stored: Sequence[StoredEvent],
    verifier: ChainVerifier,
    cache: VerifiedPrefixCache,
    known: Entry,
    mark: RegistryMark,
) -> tuple[tuple[VerifiedRow, ...], Any] | None:
    """The rows of a file and a fresh aggregate after them, from ``stored`` = its stored rows
    from ``known``'s last one on; None if ``stored`` does not start with that very row or the
    registry is not the one ``known`` was verified against (the caller then reads and checks
    the whole file). ``verifier`` holds the registry of generation ``mark`` and no head of the
    file: the rows after the known one are verified on top of it, failing as a full
    verification would."""
    last = known.last
    if known.mark != mark or not stored or not last.same(stored[0]):
        return None
    stream = str(stored[0].originator_id)
    verifier.heads[stream] = (last.version, last.hash)
    new = _verified(stored[1:], verifier, stream)
    cache.count(len(known.rows), len(new), tail=True)
    return known.rows + new, replay(new, snapshot(known.state))


class RegistryCache:
    """The verified key registry, brought up to date with the store on every use, and its
    generation (``RegistryMark``: + 1 whenever the registry object changes)."""

    def __init__(self, store: EventStore, *, origin: str, authority_key: bytes | None) -> None:
        self.store = store
        self.origin = origin
        self.authority_key = authority_key
        self._verifier = ChainVerifier(origin, authority_key)
        self._lock = threading.Lock()
        self._generation = 0

    def registry(self) -> KeyRegistry:
        return self.state()[0]

    def state(self) -> tuple[KeyRegistry, RegistryMark]:
        """The registry brought up to date (one SELECT of what is new, outside the lock, so
        concurrent commands do not queue behind each other's round trip) and its generation."""
        last = self.head()
        return self.apply(self.store.stream(REGISTRY_STREAM, gt=last or None))

    def current(self) -> tuple[KeyRegistry, RegistryMark]:
        """The registry as last brought up to date, without reading the store (read once if
        it never was) and its generation."""
        with self._lock:
            registry, mark = self._verifier.registry, self._generation
        return (registry, mark) if registry is not None else self.state()

    def head(self) -> int:
        """The version of the registry's last verified row (0: none yet)."""
        with self._lock:
            return self._verifier.head(REGISTRY_STREAM)[0]

    def apply(self, fresh: Sequence[StoredEvent]) -> tuple[KeyRegistry, RegistryMark]:
        """Apply registry rows read after the head; skip what another thread applied since."""
        with self._lock:
            verifier = self._verifier
            head, _ = verifier.head(REGISTRY_STREAM)
            if fresh and fresh[0].originator_version > head + 1:  # the verifier was rebuilt
                fresh = self.store.stream(REGISTRY_STREAM, gt=head or None)
            for stored in fresh:
                if stored.originator_version <= verifier.head(REGISTRY_STREAM)[0]:
                    continue
                self._generation += 1  # before: a failed check may have mutated it
                verifier.check(stored)
            if verifier.registry is None:
                raise NotFound("the key registry is not established: run `hoso init`")
            return verifier.registry, self._generation

    def unchanged(self, mark: RegistryMark) -> bool:
        with self._lock:
            return self._generation == mark

    def reset(self) -> None:
        """Drop the verified copy: the next use verifies the registry from its first row."""
        with self._lock:
            self._verifier = ChainVerifier(self.origin, self.authority_key)
            self._generation += 1
