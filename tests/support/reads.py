"""The real event store, recording the reads of events a ledger makes through it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent

from ledger.store.events import EventStore, KeyRead


class RecordingStore(EventStore):
    """``reads``: how many ``stream`` and ``stream_with`` calls; ``afters``: from which version
    each ``stream_with`` read the file (a command on a known file reads only its tail)."""

    def __init__(self, real: EventStore) -> None:
        super().__init__(real.recorder, real._datastore, real.dialect)
        self.reads: Counter[str] = Counter()
        self.afters: list[int] = []

    def stream(self, stream: str, *, gt: int | None = None) -> Sequence[StoredEvent]:
        self.reads["stream"] += 1
        return super().stream(stream, gt=gt)

    def stream_with(
        self,
        stream: str,
        other: str,
        *,
        other_after: int,
        after: int = 0,
        key: KeyRead | None = None,
    ) -> tuple[list[StoredEvent], list[StoredEvent]]:
        self.reads["stream_with"] += 1
        self.afters.append(after)
        return super().stream_with(stream, other, other_after=other_after, after=after, key=key)
