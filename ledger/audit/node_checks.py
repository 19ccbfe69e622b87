"""The stored interior nodes of the Merkle log (nút trong của cây Merkle), recomputed.

Tiles, proofs and bundles are read from ``hoso_log_nodes``, not recomputed: an edited node
there would break every proof built from it while the leaves still verify. The log half of the
audit folds the verified leaf hashes into a compact range (``log_checks.CompactRange``); every
subtree that folding completes is handed to ``NodeCheck.node``, which compares it with the
stored node of the same level and index. Each level's stored nodes are read in order, a page
at a time, so memory stays bounded (one page per level) and each node is read once.
"""

from __future__ import annotations

from collections import deque

from ledger.log.storage import MerkleLog

PAGE = 4096


class _Level:
    """The stored nodes of one level, read in index order, a page at a time."""

    def __init__(self, log: MerkleLog, level: int) -> None:
        self.log = log
        self.level = level
        self.rows: deque[tuple[int, bytes]] = deque()
        self.next = 0

    def take(self, index: int) -> bytes | None:
        """The stored hash of node ``index`` (None when it is not stored); indexes are asked
        for in increasing order, each once."""
        if not self.rows:
            self.rows.extend(self.log.node_rows(self.level, self.next, PAGE))
            if not self.rows:
                return None
            self.next = self.rows[-1][0] + 1
        stored, h = self.rows[0]
        if stored != index:
            return None
        self.rows.popleft()
        return h


class NodeCheck:
    """Compares every complete subtree of the leaves with the node stored for it."""

    def __init__(self, log: MerkleLog) -> None:
        self.log = log
        self.levels: dict[int, _Level] = {}
        self.failure: str | None = None

    def node(self, level: int, index: int, recomputed: bytes) -> None:
        """The subtree (level, index) as recomputed from the leaves (level >= 1)."""
        if self.failure is not None:
            return
        reader = self.levels.get(level)
        if reader is None:
            reader = self.levels[level] = _Level(self.log, level)
        stored = reader.take(index)
        if stored == recomputed:
            return
        first, last = index << level, ((index + 1) << level) - 1
        what = "is missing" if stored is None else "differs from the hash of its children"
        self.failure = (
            f"stored node level {level} index {index} (leaves {first}..{last}) {what}: "
            "the tiles and proofs built from it are wrong"
        )

    def finish(self, size: int) -> str | None:
        """The first finding, after every leaf of a tree of ``size`` leaves was folded: a node
        that differs or is missing, or nodes stored beyond what the tree has."""
        if self.failure is not None:
            return self.failure
        for level, count in sorted(self.log.node_counts().items()):
            expected = size >> level if level >= 1 else 0
            if count != expected:
                return (
                    f"the log stores {count} nodes at level {level} where a tree of {size} "
                    f"leaves has {expected}: nodes were added outside the integrator"
                )
        return None
