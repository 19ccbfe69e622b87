"""The ledger's side tables beside the events: daily code counters, PIN hashes, applicant keys.

Each is a small repository over one table. Rows that must be written in the same transaction
as a file's first events (its PIN hash, a new applicant's key) are given as ``SideWrite``s for
``EventStore.append``; the rest are written at once. Nothing here touches an event.
"""

from __future__ import annotations

from ledger.store.events import EventStore, SideWrite

_ADD_PIN = "INSERT INTO hoso_file_pins (file_code, pin_hash) VALUES (?, ?)"


class CodeCounters:
    """The daily file-code counter of each unit (``hoso_code_counters``): numbers are never
    reissued, and two counters never share a number."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def next(self, unit: str, day: str) -> int:
        """The unit's next number of ``day`` (from 1): one atomic increment."""
        found = self.store._execute(
            "INSERT INTO hoso_code_counters (unit, day, last) VALUES (?, ?, 1) "
            "ON CONFLICT (unit, day) DO UPDATE SET last = hoso_code_counters.last + 1 "
            "RETURNING last",
            (unit, day),
        )
        return int(found[0]["last"])

    def last(self, unit: str, day: str) -> int:
        """The last number issued to the unit on ``day`` (0 if none)."""
        found = self.store._query(
            "SELECT last FROM hoso_code_counters WHERE unit = ? AND day = ?",
            (unit, day),
        )
        return int(found[0]["last"]) if found else 0


class FilePins:
    """Each file's lookup PIN as its salted hash (``hoso_file_pins``; ``ledger.store.pins``)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    @staticmethod
    def adding(code: str, pin_hash: str) -> SideWrite:
        """The write that stores a new file's PIN hash, for the file's first transaction."""
        return SideWrite(_ADD_PIN, (code, pin_hash))

    def pin_hash(self, code: str) -> str | None:
        found = self.store._query(
            "SELECT pin_hash FROM hoso_file_pins WHERE file_code = ?", (code,)
        )
        return str(found[0]["pin_hash"]) if found else None

    @staticmethod
    def replacing(code: str, pin_hash: str) -> SideWrite:
        """The write that puts a reissued PIN's hash in place of the old one."""
        return SideWrite(
            "UPDATE hoso_file_pins SET pin_hash = ? WHERE file_code = ?", (pin_hash, code)
        )


class Meta:
    """Facts about the ledger itself (``hoso_meta``: key -> text), each written once."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def get(self, key: str) -> str | None:
        found = self.store._query("SELECT value FROM hoso_meta WHERE key = ?", (key,))
        return str(found[0]["value"]) if found else None

    def put_new(self, key: str, value: str) -> None:
        """Write ``key`` if it is not there yet (a second writer's value is ignored)."""
        self.store._execute(
            "INSERT INTO hoso_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key, value),
        )
