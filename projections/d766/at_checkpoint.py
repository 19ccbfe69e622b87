"""Figures that can be reproduced (issue 17): the files' rows as they stood at a signed checkpoint,
rebuilt from the log's entries alone.

The entries (the stored envelopes, exactly the bytes the leaves hash) of leaves ``[0, size)`` are
read in order, their leaf hashes must give the checkpoint's root (else nothing is computed), and
each file's events are folded through the same aggregate code the ledger used; ``row_from_file``
then makes the rows every figure is computed from. Anyone with the entries and the log's key can
do the same and must get the same numbers: ``hoso transparency --at-checkpoint N``.

No read model, no event table: only the log. The registry's entries (keys) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain.calendar import WorkingCalendar
from domain.file import AdministrativeFile
from ledger.encoding.fast.event import decode_event
from ledger.log import merkle
from projections.errors import EntriesDoNotMatch
from projections.models.rows import FileRow, row_from_file
from signing.registry import REGISTRY_STREAM

__all__ = ["Pinned", "rows_at", "rows_from_entries"]

PAGE = 5000


@dataclass(frozen=True)
class Pinned:
    """The checkpoint a figure was computed at: the log's size and root (hex)."""

    size: int
    root: str

    def describe(self) -> str:
        return f"checkpoint {self.size} ({self.root[:16]}…)"


def rows_from_entries(entries: Iterable[bytes], calendar: WorkingCalendar) -> list[FileRow]:
    """Each file's row after the last of ``entries`` that concerns it (entries in log order)."""
    files: dict[str, Any] = {}
    for entry in entries:
        item = decode_event(entry)  # the projections' decoder, proven equal to the reference
        if item.stream == REGISTRY_STREAM:
            continue
        files[item.stream] = item.event.mutate(files.get(item.stream))
    minutes = calendar.working_minutes_between
    return [
        row_from_file(f, calendar, minutes)
        for f in files.values()
        if isinstance(f, AdministrativeFile)
    ]


EntryReader = Callable[[int, int], list[bytes]]  # (start, end) -> entries of leaves [start, end)


def rows_at(
    read: EntryReader,
    size: int,
    root: bytes,
    calendar: WorkingCalendar,
    progress: Callable[[int], None] | None = None,
) -> list[FileRow]:
    """The rows at the checkpoint of ``size`` and ``root``, from the entries ``read`` gives;
    ``ProjectionError`` when they do not hash to that root (a log that does not hold what the
    checkpoint signed gives no figures)."""
    entries: list[bytes] = []
    hashes: list[bytes] = []
    for start in range(0, size, PAGE):
        page = read(start, min(size, start + PAGE))
        entries.extend(page)
        hashes.extend(merkle.leaf_hash(e) for e in page)
        if progress is not None:
            progress(len(entries))
    if merkle.root_of(hashes) != root:
        raise EntriesDoNotMatch(
            f"the log's first {size} entries do not give the root of checkpoint {size}: "
            "no figures are computed from them"
        )
    return rows_from_entries(entries, calendar)
