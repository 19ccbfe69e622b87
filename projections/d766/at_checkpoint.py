"""Figures that can be reproduced (issue 17): the files' rows as they stood at a signed checkpoint,
rebuilt from the log's entries alone.

The entries (the stored envelopes, exactly the bytes the leaves hash) of leaves ``[0, size)`` are
read in order, their leaf hashes must give the checkpoint's root (else nothing is computed), and
each file's events are folded through the same aggregate code the ledger used; ``row_from_file``
then makes the rows every figure is computed from. Anyone with the entries and the log's key can
do the same and must get the same numbers: ``hoso transparency --at-checkpoint N``.

No read model, no event table: only the log. Of the registry's entries, the years of the working
calendar published are put in force over the calendar given (keys play no part in a figure).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.calendar import WorkingCalendar
from domain.file import AdministrativeFile
from domain.working_year import YearDays
from ledger.encoding.fast.event import decode_event
from ledger.errors import LedgerError
from ledger.log import merkle
from projections.errors import EntriesDoNotMatch
from projections.models.rows import FileRow, row_from_file
from signing.registry import REGISTRY_STREAM, WorkingCalendarPublished

__all__ = ["rows_at"]

PAGE = 5000


Files = dict[str, Any]  # file code -> the file as its entries so far leave it
Published = dict[int, YearDays]  # year -> its days, as the entries so far published them


def _fold(files: Files, published: Published, entry: bytes) -> None:
    item = decode_event(entry)  # the projections' decoder, proven equal to the reference
    if item.stream != REGISTRY_STREAM:
        files[item.stream] = item.event.mutate(files.get(item.stream))
    elif isinstance(item.event, WorkingCalendarPublished):
        published[item.event.year] = item.event.days()


def _rows(files: Files, calendar: WorkingCalendar) -> list[FileRow]:
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
    """The rows at the checkpoint of ``size`` and ``root``, from the entries ``read`` gives,
    a page at a time (only the files and the leaf hashes are kept); ``EntriesDoNotMatch`` when
    they do not hash to that root (a log that does not hold what the checkpoint signed gives no
    figures)."""
    files: Files = {}
    published: Published = {}
    hashes: list[bytes] = []
    unreadable: LedgerError | None = None  # reported only once the root is known to match
    for start in range(0, size, PAGE):
        for entry in read(start, min(size, start + PAGE)):
            hashes.append(merkle.leaf_hash(entry))
            if unreadable is None:
                try:
                    _fold(files, published, entry)
                except LedgerError as e:
                    unreadable = e
        if progress is not None:
            progress(len(hashes))
    if merkle.root_of(hashes) != root:
        raise EntriesDoNotMatch(
            f"the log's first {size} entries do not give the root of checkpoint {size}: "
            "no figures are computed from them"
        )
    if unreadable is not None:
        raise unreadable
    calendar = calendar.lenient()
    for days in published.values():
        calendar = calendar.with_year(days)
    return _rows(files, calendar)
