"""The map of file heads, read from the log's leaves (``ledger.log.headmap`` is the math).

At a tree size, each file's head is its last event among the first ``size`` leaves: its version,
its leaf index and its leaf hash. The checkpoint of that size commits to the map's root
(``heads_line``); a bundle carries its file's proof (``head_proof_doc``). The map is rebuilt from
the leaves when asked (O(files · log files) hashes): kept incrementally is the performance
issue's work.
"""

from __future__ import annotations

from typing import Any

from ledger.log.formats import HEADS_PREFIX
from ledger.log.headmap import HeadMap, HeadProof, key_of
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
    return HeadMap.of_files(heads_at(store, size))


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
