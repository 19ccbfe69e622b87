"""Evidence bundles (hồ sơ chứng cứ): everything an inspector needs to prove a file's history
offline, with nothing but the bundle and the log's public key.

A bundle holds the signed checkpoint, every event of the file and every event of the key
registry up to that checkpoint, each as the exact leaf bytes with its leaf index and inclusion
proof. The checkpoint carries the registry's head as an extension line, so a bundle cannot hide a
revocation by leaving the registry's last events out.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import NotFound
from ledger.log.formats import BUNDLE_FORMAT
from ledger.log.storage import LogError, MerkleLog, StoredCheckpoint
from signing import b64
from signing.registry import REGISTRY_STREAM


def _stream_entries(log: MerkleLog, stream: str, size: int) -> list[dict[str, Any]]:
    rows = log.store.query(
        "SELECT l.leaf_index AS leaf_index, e.state AS state FROM hoso_log_leaves l "
        "JOIN hoso_events e ON e.originator_id = l.stream AND e.originator_version = l.version "
        "WHERE l.stream = ? AND l.leaf_index < ? ORDER BY l.version",
        (stream, size),
    )
    return [
        {
            "leaf_index": int(r["leaf_index"]),
            "entry": b64(bytes(r["state"])),
            "inclusion_proof": [b64(h) for h in log.inclusion_proof(int(r["leaf_index"]), size)],
        }
        for r in rows
    ]


def build_bundle(log: MerkleLog, code: str, checkpoint: StoredCheckpoint) -> dict[str, Any]:
    """The bundle of one file at one checkpoint (its events must all be inside it)."""
    entries = _stream_entries(log, code, checkpoint.size)
    if not entries:
        raise NotFound(f"no event of file {code} is in the log's first {checkpoint.size} leaves")
    pending = log.store.query(
        "SELECT COUNT(*) AS n FROM hoso_events WHERE originator_id = ?", (code,)
    )
    if int(pending[0]["n"]) != len(entries):
        raise LogError(
            f"file {code} has events not yet covered by checkpoint {checkpoint.size}: "
            "integrate and checkpoint first"
        )
    return {
        "format": BUNDLE_FORMAT,
        "origin": log.origin,
        "file": code,
        "checkpoint": log.cosigned_note(checkpoint.size),
        "entries": entries,
        "registry": _stream_entries(log, REGISTRY_STREAM, checkpoint.size),
    }
