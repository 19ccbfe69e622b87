"""The Merkle log (sổ nhật ký Merkle): every stored envelope is one RFC 9162 leaf, in order.

The integrator reads the event store in notification order and gives each event the next dense
leaf index; gaps in notification ids never become holes. Leaves and every newly complete subtree
hash are written in one transaction per batch, a batch only after the one before it committed,
and every run (and every restart after a conflict) starts from what is stored, so a crash
neither skips nor repeats an index (unique keys refuse a second integrator's duplicate).
Complete subtrees are stored, so appending and proving read O(log n) hashes, never the tree.
The batch mechanics (binary COPY on PostgreSQL, the writer thread) are in ``log_integrator``;
a proof reads all its hashes in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ledger.encoding.canonical import format_instant, parse_instant
from ledger.errors import LogError, NotFound, ProofRequestError
from ledger.log import merkle
from ledger.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.log.heads import HeadMaps, heads_line
from ledger.log.integrator import fetch_hashes, integrate
from ledger.store import sql
from ledger.store.events import EventStore
from signing.note import NoteSigner, NoteVerifier
from signing.registry import REGISTRY_STREAM

T = TypeVar("T")
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
BATCH = 10_000
REGISTRY_HEAD_PREFIX = "hoso-keys "


@dataclass(frozen=True)
class StoredLeaf:
    leaf_index: int
    position: int  # the event's notification id in the store
    stream: str
    version: int
    leaf_hash: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


class MerkleLog:
    """The log of one ledger, stored beside its events (tables ``hoso_log_*``)."""

    def __init__(self, store: EventStore, origin: str) -> None:
        self.store = store
        self.origin = origin
        self.heads = HeadMaps(store, self.root)  # the map of file heads, kept as the log grows

    # ------------------------------------------------------------------ reading
    def size(self) -> int:
        # Leaf indices are dense from 0, so the largest one (read from the index) gives the size.
        rows = sql.rows(self.store, "SELECT MAX(leaf_index) AS m FROM hoso_log_leaves")
        return 0 if rows[0]["m"] is None else int(rows[0]["m"]) + 1

    def last_position(self) -> int:
        rows = sql.rows(self.store, "SELECT MAX(position) AS p FROM hoso_log_leaves")
        return int(rows[0]["p"] or 0)

    def size_through(self, position: int) -> int:
        """Leaves of the events stored at or before ``position`` (the log size a read model
        that followed the events up to ``position`` stands at, once they are integrated)."""
        rows = sql.rows(
            self.store, "SELECT COUNT(*) AS n FROM hoso_log_leaves WHERE position <= ?", (position,)
        )
        return int(rows[0]["n"])

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree (level, index): a ``merkle.HashReader``."""
        if level == 0:
            rows = sql.rows(
                self.store,
                "SELECT leaf_hash AS h FROM hoso_log_leaves WHERE leaf_index = ?",
                (index,),
            )
        else:
            rows = sql.rows(
                self.store,
                "SELECT hash AS h FROM hoso_log_nodes WHERE level = ? AND idx = ?",
                (level, index),
            )
        if not rows:
            raise LogError(f"the log has no complete subtree at level {level}, index {index}")
        return bytes(rows[0]["h"])

    def hashes(self, level: int, start: int, count: int) -> list[bytes]:
        """``count`` consecutive complete-subtree hashes of one level (for tiles)."""
        if level == 0:
            rows = sql.rows(
                self.store,
                "SELECT leaf_hash AS h FROM hoso_log_leaves WHERE leaf_index >= ? "
                "AND leaf_index < ? ORDER BY leaf_index",
                (start, start + count),
            )
        else:
            rows = sql.rows(
                self.store,
                "SELECT hash AS h FROM hoso_log_nodes WHERE level = ? AND idx >= ? AND idx < ? "
                "ORDER BY idx",
                (level, start, start + count),
            )
        if len(rows) != count:
            raise LogError(f"level {level} has no {count} complete hashes from index {start}")
        return [bytes(r["h"]) for r in rows]

    def root(self, size: int | None = None) -> bytes:
        size = self.size() if size is None else size
        return self._prefetched(lambda reader: merkle.root_at(reader, size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._prefetched(lambda r: merkle.inclusion_proof(r, index, size), check=size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self._prefetched(lambda r: merkle.consistency_proof(r, size1, size2), check=size2)

    def _prefetched(self, compute: Callable[[merkle.HashReader], T], check: int = 0) -> T:
        """Run ``compute`` twice: first to learn which subtrees it reads (which depends only on
        indices and sizes, never on hash values), then on those hashes fetched in one query.

        ``check``: a tree size that must be stored; its last leaf is fetched in the same query
        (leaf indices are dense, so that leaf exists exactly when the log is that large)."""
        wanted = _Wanted()
        try:
            compute(wanted)
        except ProofRequestError:
            self._check_size(check)  # a too large size is reported first, as a LogError
            raise
        coordinates = wanted.coordinates
        if check > 0:
            coordinates.append((0, check - 1))
        fetched = _Fetched(self, coordinates)
        if check > 0 and (0, check - 1) not in fetched.hashes:
            self._check_size(check)
        return compute(fetched)

    def _check_size(self, size: int) -> None:
        if size > self.size():
            raise LogError(f"the log has {self.size()} leaves, not {size}")

    def entries(self, start: int, end: int) -> list[bytes]:
        """The exact leaf bytes (stored envelopes) of leaves [start, end)."""
        rows = sql.rows(
            self.store,
            "SELECT e.state AS state FROM hoso_log_leaves l JOIN hoso_events e "
            "ON e.originator_id = l.stream AND e.originator_version = l.version "
            "WHERE l.leaf_index >= ? AND l.leaf_index < ? ORDER BY l.leaf_index",
            (start, end),
        )
        if len(rows) != end - start:
            raise LogError(f"entries {start}..{end - 1} are not all stored")
        return [bytes(r["state"]) for r in rows]

    def leaf_index_of(self, stream: str, version: int) -> int | None:
        rows = sql.rows(
            self.store,
            "SELECT leaf_index FROM hoso_log_leaves WHERE stream = ? AND version = ?",
            (stream, version),
        )
        return int(rows[0]["leaf_index"]) if rows else None

    def leaves_of(self, stream: str) -> dict[int, int]:
        """The leaf index of each integrated event of ``stream``, by version."""
        rows = sql.rows(
            self.store,
            "SELECT version, leaf_index FROM hoso_log_leaves WHERE stream = ?",
            (stream,),
        )
        return {int(r["version"]): int(r["leaf_index"]) for r in rows}

    def stream_entries(self, stream: str, size: int) -> list[tuple[int, bytes]]:
        """(leaf index, entry) of every event of ``stream`` among the first ``size`` leaves,
        in version order."""
        rows = sql.rows(
            self.store,
            "SELECT l.leaf_index AS leaf_index, e.state AS state FROM hoso_log_leaves l "
            "JOIN hoso_events e ON e.originator_id = l.stream AND e.originator_version = l.version "
            "WHERE l.stream = ? AND l.leaf_index < ? ORDER BY l.version",
            (stream, size),
        )
        return [(int(r["leaf_index"]), bytes(r["state"])) for r in rows]

    def coverage(self, stream: str, size: int) -> tuple[int, int]:
        """(how many events of ``stream`` the first ``size`` leaves hold, how many it has
        stored): a checkpoint of that size covers the file when the two are equal."""
        covered = sql.rows(
            self.store,
            "SELECT COUNT(*) AS n FROM hoso_log_leaves WHERE stream = ? AND leaf_index < ?",
            (stream, size),
        )
        return int(covered[0]["n"]), self.store.stream_length(stream)

    def feed(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        """(leaf index, entry) of up to ``limit`` leaves after leaf ``after``, in log order."""
        rows = sql.rows(
            self.store,
            "SELECT l.leaf_index AS leaf_index, e.state AS state FROM hoso_log_leaves l "
            "JOIN hoso_events e ON e.originator_id = l.stream AND e.originator_version = l.version "
            "WHERE l.leaf_index > ? ORDER BY l.leaf_index LIMIT ?",
            (after, limit),
        )
        return [(int(r["leaf_index"]), bytes(r["state"])) for r in rows]

    def leaf_rows(self, start: int, limit: int) -> list[StoredLeaf]:
        """Up to ``limit`` stored leaves from index ``start``, in order (for the audit)."""
        rows = sql.rows(
            self.store,
            "SELECT leaf_index, position, stream, version, leaf_hash FROM hoso_log_leaves "
            "WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?",
            (start, limit),
        )
        return [
            StoredLeaf(
                int(r["leaf_index"]),
                int(r["position"]),
                str(r["stream"]),
                int(r["version"]),
                bytes(r["leaf_hash"]),
            )
            for r in rows
        ]

    def node_rows(self, level: int, start: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` stored (index, hash) of ``level`` from ``start``, in order (audit)."""
        rows = sql.rows(
            self.store,
            "SELECT idx, hash FROM hoso_log_nodes WHERE level = ? AND idx >= ? "
            "ORDER BY idx LIMIT ?",
            (level, start, limit),
        )
        return [(int(r["idx"]), bytes(r["hash"])) for r in rows]

    def node_counts(self) -> dict[int, int]:
        """How many nodes are stored at each level (the audit: none missing, none extra)."""
        rows = sql.rows(
            self.store, "SELECT level, COUNT(*) AS n FROM hoso_log_nodes GROUP BY level"
        )
        return {int(r["level"]): int(r["n"]) for r in rows}

    # --------------------------------------------------------------- integrating
    def integrate(self, batch: int = BATCH, on_batch: Callable[[int], None] | None = None) -> int:
        """Give every not yet integrated event its leaf; returns how many were added.

        ``batch`` events per transaction; ``on_batch(n)`` after each committed batch."""
        return integrate(self.store, batch, on_batch)

    # --------------------------------------------------------------- checkpoints
    def checkpoints(self) -> list[StoredCheckpoint]:
        rows = sql.rows(
            self.store,
            "SELECT size, root, note, created_at FROM hoso_log_checkpoints ORDER BY size",
        )
        return [self._checkpoint(r) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = sql.rows(
            self.store,
            "SELECT size, root, note, created_at FROM hoso_log_checkpoints "
            "ORDER BY size DESC LIMIT 1",
        )
        return self._checkpoint(rows[0]) if rows else None

    def checkpoint_at(self, size: int) -> StoredCheckpoint:
        rows = sql.rows(
            self.store,
            "SELECT size, root, note, created_at FROM hoso_log_checkpoints WHERE size = ?",
            (size,),
        )
        if not rows:
            raise NotFound(f"no checkpoint of size {size}")
        return self._checkpoint(rows[0])

    @staticmethod
    def _checkpoint(row: dict[str, Any]) -> StoredCheckpoint:
        return StoredCheckpoint(
            size=int(row["size"]),
            root=bytes(row["root"]),
            note=str(row["note"]),
            created_at=parse_instant(str(row["created_at"])),
        )

    def checkpoint_due(self, now: datetime, *, every_seconds: float, every_entries: int) -> bool:
        """A new checkpoint at most every N seconds or M entries (whichever comes first)."""
        size = self.size()
        last = self.latest_checkpoint()
        if last is None:
            return size > 0
        if size <= last.size:
            return False
        return (
            size - last.size >= every_entries
            or (now - last.created_at).total_seconds() >= every_seconds
        )

    def make_checkpoint(self, signer: NoteSigner, now: datetime) -> StoredCheckpoint:
        """Sign the current tree head (kept forever); return the existing one if unchanged."""
        size = self.size()
        last = self.latest_checkpoint()
        if last is not None and last.size == size:
            return last
        root = self.root(size)
        head = registry_head_line(self.store, size)
        heads = heads_line(self.heads.at(size))
        note = sign_checkpoint(Checkpoint(self.origin, size, root, (head, heads)), signer)
        sql.run(
            self.store,
            "INSERT INTO hoso_log_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
            (size, root, note, format_instant(now)),
        )
        return StoredCheckpoint(size, root, note, now)

    def verified_checkpoint(self, stored: StoredCheckpoint, verifier: NoteVerifier) -> Checkpoint:
        checkpoint, _note = open_checkpoint(stored.note, verifier, origin=self.origin)
        if (checkpoint.size, checkpoint.root) != (stored.size, stored.root):
            raise LogError(f"checkpoint row of size {stored.size} disagrees with its signed note")
        return checkpoint

    # --------------------------------------------------------------- cosignatures
    def add_cosignature(self, size: int, witness: str, signature_line: str) -> None:
        self.checkpoint_at(size)
        sql.run(
            self.store,
            "INSERT INTO hoso_log_cosignatures (size, witness, signature_line) VALUES (?, ?, ?) "
            "ON CONFLICT (size, witness) DO NOTHING",
            (size, witness, signature_line),
        )

    def cosigned_note(self, size: int) -> str:
        """The checkpoint note with every witness cosignature line appended."""
        stored = self.checkpoint_at(size)
        rows = sql.rows(
            self.store,
            "SELECT signature_line FROM hoso_log_cosignatures WHERE size = ? ORDER BY witness",
            (size,),
        )
        return stored.note + "".join(str(r["signature_line"]) for r in rows)

    def last_cosigned_size(self, witness: str) -> int:
        """The largest checkpoint size ``witness`` cosigned, as stored here (0 if none)."""
        rows = sql.rows(
            self.store,
            "SELECT MAX(size) AS s FROM hoso_log_cosignatures WHERE witness = ?",
            (witness,),
        )
        return int(rows[0]["s"] or 0) if rows else 0


class _Wanted:
    def __init__(self) -> None:
        self.coordinates: list[tuple[int, int]] = []

    def subtree(self, level: int, index: int) -> bytes:
        self.coordinates.append((level, index))
        return bytes(merkle.HASH_SIZE)


class _Fetched:
    def __init__(self, log: MerkleLog, coordinates: Sequence[tuple[int, int]]) -> None:
        self.log = log
        self.hashes = fetch_hashes(log.store, coordinates)

    def subtree(self, level: int, index: int) -> bytes:
        found = self.hashes.get((level, index))
        if found is None:
            return self.log.subtree(level, index)  # raises LogError when it does not exist
        return found


def leaf_hashes_of(entries: Sequence[bytes]) -> list[bytes]:
    return [merkle.leaf_hash(e) for e in entries]


def registry_head_line(store: EventStore, size: int) -> str:
    """Checkpoint extension ``hoso-keys <version> <sha256 hex>``: the key registry's last event
    inside the first ``size`` leaves (``0`` and 64 zeros when there is none). A bundle's registry
    must end exactly there, so leaving out a revocation is caught offline."""
    rows = sql.rows(
        store,
        "SELECT l.version AS version, e.state AS state FROM hoso_log_leaves l "
        "JOIN hoso_events e ON e.originator_id = l.stream AND e.originator_version = l.version "
        "WHERE l.stream = ? AND l.leaf_index < ? ORDER BY l.version DESC LIMIT 1",
        (REGISTRY_STREAM, size),
    )
    if not rows:
        return f"{REGISTRY_HEAD_PREFIX}0 {'0' * 64}"
    digest = hashlib.sha256(bytes(rows[0]["state"])).hexdigest()
    return f"{REGISTRY_HEAD_PREFIX}{int(rows[0]['version'])} {digest}"
