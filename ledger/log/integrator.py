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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.rows import tuple_row

from ledger.errors import ConflictError, LogError, StoreError
from ledger.store import sql
from ledger.store.events import EVENTS_TABLE, EventStore

PIPELINE = True  # PostgreSQL: read and hash the next batch while the writer thread stores one
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


Entry = tuple[int, str, int, bytes]  # notification id (position), stream, version, state
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
) -> tuple[list[Leaf], list[Node], list[bytes]]:
    """Append ``entries`` to the tree of ``size`` leaves whose frontier hashes are given
    (largest first). Returns the new leaf rows, every newly complete subtree (level >= 1), and
    the frontier hashes of the extended tree.

    Pure: the stack of perfect subtree hashes is all the state appending needs."""
    if len(frontier_hashes) != size.bit_count():
        raise LogError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
    sha256 = hashlib.sha256
    stack = list(frontier_hashes)
    leaves: list[Leaf] = []
    nodes: list[Node] = []
    index = size
    for position, stream, version, state in entries:
        if len(state) > MAX_ENTRY:
            raise LogError(f"event {stream} v{version} is too large for the log")
        h = sha256(b"\x00" + state).digest()
        leaves.append((index, position, stream, version, h))
        level, i = 0, index
        while i & 1:  # this leaf completes subtrees: fold the stack into each new parent
            h = sha256(b"\x01" + stack.pop() + h).digest()
            level, i = level + 1, i >> 1
            nodes.append((level, i, h))
        stack.append(h)
        index += 1
    return leaves, nodes, stack


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
def pg_rows(store: EventStore, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """One read on PostgreSQL as one prepared statement (binary, tuple rows) outside a
    transaction block: the pool's connections are in autocommit mode, and a read inside
    ``sql.rows``' transaction pays BEGIN and ROLLBACK round trips, and the ROLLBACK
    makes psycopg forget every statement the connection had prepared."""
    try:
        with store._datastore.get_connection() as conn:
            curs = conn.cursor(row_factory=tuple_row)
            curs.execute(sql, params, binary=True, prepare=True)
            rows: list[Any] = curs.fetchall()
            return rows
    except (PersistenceError, psycopg.Error) as e:
        raise StoreError(f"database error: {e}") from e


def log_ends(store: EventStore) -> tuple[int, int]:
    """(size, last integrated notification id) of the stored log, in one query."""
    if store.dialect == "postgresql":
        m, p = pg_rows(store, _ENDS, ())[0]
    else:
        row = sql.rows(store, _ENDS)[0]
        m, p = row["m"], row["p"]
    return (0 if m is None else int(m) + 1), int(p or 0)


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
        return {(lv, i): h for lv, i, h in pg_rows(store, _PG_HASHES, params)}
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
    rows = sql.rows(
        store, " UNION ALL ".join(parts), (*leaves, *(x for pair in nodes for x in pair))
    )
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
            (n.id, str(n.originator_id), n.originator_version, n.state)
            for n in store.notifications(after + 1, limit)
        ]
    rows: list[Entry] = pg_rows(store, _PG_EVENTS, (after, limit))
    return rows


def encode_batch(dialect: str, leaves: Sequence[Leaf], nodes: Sequence[Node]) -> tuple[Any, Any]:
    """What ``write_batch`` sends: the binary COPY streams on PostgreSQL (encoded by the caller's
    thread, so the writer thread only waits on the database), the rows on SQLite."""
    if dialect == "postgresql":
        return copy_leaves(leaves), copy_nodes(nodes) if nodes else b""
    return leaves, nodes


def write_batch(store: EventStore, leaves: Any, nodes: Any) -> None:
    """Store a batch's leaves and nodes (as ``encode_batch`` gives them) in one transaction:
    all of them or none."""
    with sql.transaction(store) as curs:
        write_leaves(curs, store.dialect, leaves)
        write_nodes(curs, store.dialect, nodes)


def write_leaves(curs: Any, dialect: str, leaves: Any) -> None:
    if dialect != "postgresql":
        curs.executemany(_LEAVES_SQL, leaves)
        return
    with curs.copy(_COPY_LEAVES) as copy:
        copy.write(leaves)


def write_nodes(curs: Any, dialect: str, nodes: Any) -> None:
    if not nodes:
        return
    if dialect != "postgresql":
        curs.executemany(_NODES_SQL, nodes)
        return
    with curs.copy(_COPY_NODES) as copy:
        copy.write(nodes)


def integrate(store: EventStore, limit: int, on_batch: Callable[[int], None] | None = None) -> int:
    """Integrate every stored event not yet in the log, ``limit`` per transaction; returns how
    many leaves were added. ``on_batch(n)`` is called after each committed batch.

    On PostgreSQL the next batch is read and hashed while the previous one is being written (one
    writer thread). Batches still commit one at a time and in order: a batch is handed to the
    writer only after the one before it committed, so a failure stops the integrator with every
    earlier batch whole and nothing of a later one written. A ``ConflictError`` (another
    integrator stored those indexes first) restarts from what is stored."""
    done = [0]
    while True:
        try:
            _integrate_from_store(store, limit, done, on_batch or _ignore)
        except ConflictError:
            continue
        return done[0]


def _integrate_from_store(
    store: EventStore, limit: int, done: list[int], on_batch: Callable[[int], None]
) -> None:
    size, position = log_ends(store)
    stack = frontier_hashes(store, size)
    pipelined = PIPELINE and store.dialect == "postgresql"
    with ThreadPoolExecutor(1, thread_name_prefix="hoso-log-writer") as writer:
        pending: Future[None] | None = None
        pending_count = 0
        while True:
            entries = read_entries(store, position, limit)
            if entries:
                leaves, nodes, stack = extend(size, stack, entries)
                encoded = encode_batch(store.dialect, leaves, nodes)
            if pending is not None:
                pending.result()  # the previous batch's error, if any, stops here
                done[0] += pending_count
                on_batch(pending_count)
                pending = None
            if not entries:
                return
            if pipelined:
                pending = writer.submit(write_batch, store, *encoded)
                pending_count = len(leaves)
            else:
                write_batch(store, *encoded)
                done[0] += len(leaves)
                on_batch(len(leaves))
            size += len(leaves)
            position = entries[-1][0]
            if len(entries) < limit:  # the store is exhausted: finish the last write
                if pending is not None:
                    pending.result()
                    done[0] += pending_count
                    on_batch(pending_count)
                return


def _ignore(_count: int) -> None:
    return None
