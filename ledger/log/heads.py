"""The map of file heads, read from the log's leaves (``ledger.log.headmap`` is the math).

At a tree size, each file's head is its last event among the first ``size`` leaves: its version,
its leaf index and its leaf hash. The checkpoint of that size commits to the map's root
(``heads_line``); a bundle carries its file's proof (``head_proof_doc``). The map is rebuilt from
the leaves once per process (O(files · log files) hashes), then kept up to date from the leaves
each new checkpoint adds (``HeadMaps``): a checkpoint rehashes only the paths of the files that
changed since the last one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ledger.log.formats import HEADS_PREFIX
from ledger.log.headmap import HeadMap, HeadProof, key_of, value_of
from ledger.store import sql
from ledger.store.events import EventStore
from signing import b64
from signing.registry import REGISTRY_STREAM

_HEADS = (
    "SELECT l.stream AS stream, l.version AS version, l.leaf_index AS leaf_index, "
    "l.leaf_hash AS leaf_hash FROM hoso_log_leaves l JOIN ("
    "SELECT stream, MAX(version) AS version FROM hoso_log_leaves "
    "WHERE leaf_index < ? AND stream <> ? GROUP BY stream"
    ") m ON l.stream = m.stream AND l.version = m.version"
)


def heads_at(store: EventStore, size: int) -> list[tuple[str, int, int, bytes]]:
    """Each file's head among the first ``size`` leaves: (code, version, leaf index, leaf hash)."""
    return [
        (str(r["stream"]), int(r["version"]), int(r["leaf_index"]), bytes(r["leaf_hash"]))
        for r in sql.rows(store, _HEADS, (size, REGISTRY_STREAM))
    ]


def head_map_at(store: EventStore, size: int) -> HeadMap:
    """The map at ``size``, built afresh from the leaves (the audit's independent view)."""
    return HeadMap.of_files(heads_at(store, size))


_CHANGED = (
    "SELECT stream, version, leaf_index, leaf_hash FROM hoso_log_leaves "
    "WHERE leaf_index >= ? AND leaf_index < ? AND stream <> ?"
)


def heads_between(store: EventStore, start: int, end: int) -> list[tuple[str, int, int, bytes]]:
    """The heads of the files with a leaf in [start, end): each one's last leaf there."""
    last: dict[str, tuple[str, int, int, bytes]] = {}
    for r in sql.rows(store, _CHANGED, (start, end, REGISTRY_STREAM)):
        code, version = str(r["stream"]), int(r["version"])
        if code not in last or last[code][1] < version:
            last[code] = (code, version, int(r["leaf_index"]), bytes(r["leaf_hash"]))
    return list(last.values())


class HeadMaps:
    """The map of file heads at the log's latest size, kept up to date as the log grows (one per
    ``MerkleLog``); the map at an older size is built afresh. The kept map is used only while
    the log's tree at its size is still the one it was built from (``root_of``): a log whose
    tables were rebuilt gets a map built afresh too."""

    def __init__(self, store: EventStore, root_of: Callable[[int], bytes]) -> None:
        self.store = store
        self.root_of = root_of
        self._latest: tuple[int, bytes, HeadMap] | None = None
        self._lock = threading.Lock()

    def at(self, size: int) -> HeadMap:
        with self._lock:
            latest = self._latest
            if latest is not None and (latest[0] > size or self.root_of(latest[0]) != latest[1]):
                if latest[0] > size:
                    return head_map_at(self.store, size)  # an older size: the latest stays kept
                latest = None  # the tree it was built from is gone
            if latest is not None and latest[0] == size:
                return latest[2]
            if latest is not None:
                known, _root, head_map = latest
                changed = heads_between(self.store, known, size)
                head_map.update([(key_of(c), value_of(v, i, h)) for c, v, i, h in changed])
            else:
                head_map = head_map_at(self.store, size)
            self._latest = (size, self.root_of(size), head_map)
            return head_map


def heads_line(head_map: HeadMap) -> str:
    """The checkpoint extension ``hoso-heads <base64 root>``."""
    return HEADS_PREFIX + b64(head_map.root)


def proof_doc(proof: HeadProof) -> dict[str, Any]:
    """A head proof as JSON (base64 bytes), as bundles and ``hoso log head`` carry it."""
    doc: dict[str, Any] = {"end": proof.end, "siblings": [b64(s) for s in proof.siblings]}
    if proof.value:
        doc["value"] = b64(proof.value)
    if proof.other_key:
        doc["other_key"] = b64(proof.other_key)
    return doc


def head_proof_doc(head_map: HeadMap, code: str) -> dict[str, Any]:
    return proof_doc(head_map.proof(key_of(code)))
