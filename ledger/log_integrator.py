"""One integrator batch of the Merkle log (nhật ký Merkle): read, hash, write in one transaction.

``MerkleLog.integrate`` calls ``integrate_batch`` until the event store is exhausted. A batch:

1. reads where the log ends (its size and the last integrated notification id) and the hashes
   of the perfect subtrees that make up the stored tree (its *frontier*, at most log2(size) of
   them, in one query per table);
2. reads the next events in notification order (only the four columns it needs: on PostgreSQL
   in binary, so the entry bytes are not hex-decoded);
3. hashes each entry into a leaf and every subtree the leaf completes, on a stack started from
   the frontier (``extend``: pure, no store reads);
4. writes the leaves and the new nodes in one transaction: binary ``COPY`` on PostgreSQL,
   ``executemany`` on SQLite. A second integrator that stored the same indexes first makes the
   unique keys refuse the batch (``ConflictError``) and nothing of it is written.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.rows import tuple_row

from ledger.errors import LedgerError
from ledger.store import EVENTS_TABLE, EventStore

MAX_ENTRY = 0xFFFF  # tlog-tiles entry bundles prefix each entry with a big-endian uint16 length

_LEAVES_SQL = (
    "INSERT INTO hoso_log_leaves (leaf_index, position, stream, version, leaf_hash) "
    "VALUES (?, ?, ?, ?, ?)"
)
_NODES_SQL = "INSERT INTO hoso_log_nodes (level, idx, hash) VALUES (?, ?, ?)"
_COPY_LEAVES = (
    "COPY hoso_log_leaves (leaf_index, position, stream, version, leaf_hash) "
    "FROM STDIN (FORMAT BINARY)"
)
_COPY_NODES = "COPY hoso_log_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"
_PG_EVENTS = (
    f"SELECT notification_id, originator_id, originator_version, state FROM {EVENTS_TABLE} "  # noqa: S608
    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
_ENDS = (
    "SELECT (SELECT MAX(leaf_index) FROM hoso_log_leaves) AS m, "
    "(SELECT MAX(position) FROM hoso_log_leaves) AS p"
)

# PostgreSQL binary COPY: signature, flags, header extension length; a tuple is a field count
# then (length, bytes) per field; the stream ends with a field count of -1.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_LEAF_HEAD = struct.Struct(">hiqiqi").pack  # 5 fields: leaf_index, position, stream length
_LEAF_TAIL = struct.Struct(">iii").pack  # version (int4), leaf_hash length
_NODE_ROW = struct.Struct(">hiiiqi").pack  # 3 fields: level (int4), idx (int8), hash length


class LogError(LedgerError):
    """The stored tree is missing a hash it should have, or a request is out of range."""


@dataclass(frozen=True)
class Entry:
    """One stored event as the integrator needs it."""

    position: int
    stream: str
    version: int
    state: bytes


Leaf = tuple[int, int, str, int, bytes]  # leaf_index, position, stream, version, leaf_hash
Node = tuple[int, int, bytes]  # level, idx, hash


def frontier(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the perfect subtrees that make up the tree of ``size`` leaves,
    largest (leftmost) first: one per set bit of ``size``."""
    out: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def extend(
    size: int, frontier_hashes: Sequence[bytes], entries: Sequence[Entry]
) -> tuple[list[Leaf], list[Node]]:
    """Append ``entries`` to the tree of ``size`` leaves whose frontier hashes are given
    (largest first). Returns the new leaf rows and every newly complete subtree (level >= 1).

    Pure: the stack of perfect subtree hashes is all the state appending needs."""
    if len(frontier_hashes) != size.bit_count():
        raise LogError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
    sha256 = hashlib.sha256
    stack = list(frontier_hashes)
    leaves: list[Leaf] = []
    nodes: list[Node] = []
    index = size
    for e in entries:
        if len(e.state) > MAX_ENTRY:
            raise LogError(f"event {e.stream} v{e.version} is too large for the log")
        h = sha256(b"\x00" + e.state).digest()
        leaves.append((index, e.position, e.stream, e.version, h))
        level, i = 0, index
        while i & 1:  # this leaf completes subtrees: fold the stack into each new parent
            h = sha256(b"\x01" + stack.pop() + h).digest()
            level, i = level + 1, i >> 1
            nodes.append((level, i, h))
        stack.append(h)
        index += 1
    return leaves, nodes


def copy_leaves(leaves: Sequence[Leaf]) -> bytes:
    """The PostgreSQL binary COPY stream of ``hoso_log_leaves`` rows."""
    parts = [_COPY_HEADER]
    append = parts.append
    for index, position, stream, version, h in leaves:
        s = stream.encode()
        append(_LEAF_HEAD(5, 8, index, 8, position, len(s)))
        append(s)
        append(_LEAF_TAIL(4, version, len(h)))
        append(h)
    append(_COPY_TRAILER)
    return b"".join(parts)


def copy_nodes(nodes: Sequence[Node]) -> bytes:
    """The PostgreSQL binary COPY stream of ``hoso_log_nodes`` rows."""
    parts = [_COPY_HEADER]
    append = parts.append
    for level, idx, h in nodes:
        append(_NODE_ROW(3, 4, level, 8, idx, len(h)))
        append(h)
    append(_COPY_TRAILER)
    return b"".join(parts)


# ------------------------------------------------------------------------------ storage
def log_ends(store: EventStore) -> tuple[int, int]:
    """(size, last integrated notification id) of the stored log, in one query."""
    row = store.query(_ENDS)[0]
    size = 0 if row["m"] is None else int(row["m"]) + 1
    return size, int(row["p"] or 0)


_PG_HASHES = (
    "SELECT 0 AS level, leaf_index AS idx, leaf_hash AS h FROM hoso_log_leaves "
    "WHERE leaf_index = ANY(%s::bigint[]) UNION ALL "
    "SELECT n.level, n.idx, n.hash FROM unnest(%s::int[], %s::bigint[]) AS w(level, idx) "
    "JOIN hoso_log_nodes n ON n.level = w.level AND n.idx = w.idx"
)


def fetch_hashes(
    store: EventStore, coordinates: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the complete subtrees (level, index) among ``coordinates``, in one
    query (on PostgreSQL one prepared statement whatever their number); missing ones are absent.
    """
    leaves = sorted({i for lv, i in coordinates if lv == 0})
    nodes = sorted({(lv, i) for lv, i in coordinates if lv > 0})
    if not leaves and not nodes:
        return {}
    if store.dialect == "postgresql":
        params: tuple[Any, ...] = (leaves, [lv for lv, _ in nodes], [i for _, i in nodes])
        with store._cursor(commit=False) as curs:
            raw = curs.connection.cursor(row_factory=tuple_row)
            raw.execute(_PG_HASHES, params, prepare=True)
            return {(lv, i): h for lv, i, h in raw.fetchall()}
    parts: list[str] = []
    if leaves:
        marks = ", ".join("?" for _ in leaves)
        parts.append(
            "SELECT 0 AS level, leaf_index AS idx, leaf_hash AS h "  # noqa: S608
            f"FROM hoso_log_leaves WHERE leaf_index IN ({marks})"
        )
    if nodes:
        where = " OR ".join("(level = ? AND idx = ?)" for _ in nodes)
        parts.append(f"SELECT level, idx, hash AS h FROM hoso_log_nodes WHERE {where}")  # noqa: S608
    rows = store.query(" UNION ALL ".join(parts), (*leaves, *(x for pair in nodes for x in pair)))
    return {(int(r["level"]), int(r["idx"])): bytes(r["h"]) for r in rows}


def frontier_hashes(store: EventStore, size: int) -> list[bytes]:
    """The stored hashes of ``frontier(size)``; a missing one is a ``LogError``."""
    coords = frontier(size)
    found = fetch_hashes(store, coords)
    missing = [c for c in coords if c not in found]
    if missing:
        raise LogError(f"the stored tree of size {size} lacks subtrees {missing}")
    return [found[c] for c in coords]


def read_entries(store: EventStore, after: int, limit: int) -> list[Entry]:
    """Up to ``limit`` stored events after notification id ``after``, in order."""
    if store.dialect != "postgresql":
        return [
            Entry(n.id, str(n.originator_id), n.originator_version, n.state)
            for n in store.notifications(after + 1, limit)
        ]
    with store._cursor(commit=False) as curs:
        raw = curs.connection.cursor(row_factory=tuple_row)
        raw.execute(_PG_EVENTS, (after, limit), binary=True, prepare=True)
        return [Entry(p, s, v, st) for p, s, v, st in raw.fetchall()]


def write_batch(store: EventStore, leaves: Sequence[Leaf], nodes: Sequence[Node]) -> None:
    """Store a batch's leaves and nodes in one transaction (all of them or none)."""
    with store._cursor(commit=True) as curs:
        write_leaves(curs, store.dialect, leaves)
        write_nodes(curs, store.dialect, nodes)


def write_leaves(curs: Any, dialect: str, leaves: Sequence[Leaf]) -> None:
    if dialect != "postgresql":
        curs.executemany(_LEAVES_SQL, leaves)
        return
    with curs.copy(_COPY_LEAVES) as copy:
        copy.write(copy_leaves(leaves))


def write_nodes(curs: Any, dialect: str, nodes: Sequence[Node]) -> None:
    if not nodes:
        return
    if dialect != "postgresql":
        curs.executemany(_NODES_SQL, nodes)
        return
    with curs.copy(_COPY_NODES) as copy:
        copy.write(copy_nodes(nodes))


def integrate_batch(store: EventStore, limit: int) -> int:
    """Integrate up to ``limit`` events; returns how many leaves were added."""
    size, position = log_ends(store)
    entries = read_entries(store, position, limit)
    if not entries:
        return 0
    leaves, nodes = extend(size, frontier_hashes(store, size), entries)
    write_batch(store, leaves, nodes)
    return len(leaves)
