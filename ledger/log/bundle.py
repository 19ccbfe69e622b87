"""Evidence bundles (hồ sơ chứng cứ): everything an inspector needs to prove a file's history
offline, with nothing but the bundle and the log's public key.

A bundle holds the signed checkpoint, every event of the file and every event of the key
registry up to that checkpoint, each as the exact leaf bytes with its leaf index and inclusion
proof. The checkpoint carries the registry's head as an extension line, so a bundle cannot hide a
revocation by leaving the registry's last events out, and the root of the map of file heads, so
the bundle's proof of its file's head shows nothing of the file comes after its last entry.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import LogError, NotFound
from ledger.log.formats import BUNDLE_FORMAT
from ledger.log.heads import head_proof_doc
from ledger.log.storage import MerkleLog, StoredCheckpoint
from signing import b64
from signing.registry import REGISTRY_STREAM


def _stream_entries(log: MerkleLog, stream: str, size: int) -> list[dict[str, Any]]:
    return [
        {
            "leaf_index": index,
            "entry": b64(entry),
            "inclusion_proof": [b64(h) for h in log.inclusion_proof(index, size)],
        }
        for index, entry in log.stream_entries(stream, size)
    ]


def build_bundle(log: MerkleLog, code: str, checkpoint: StoredCheckpoint) -> dict[str, Any]:
    """The bundle of one file at one checkpoint (its events must all be inside it)."""
    entries = _stream_entries(log, code, checkpoint.size)
    if not entries:
        raise NotFound(f"no event of file {code} is in the log's first {checkpoint.size} leaves")
    stored = log.store.stream_length(code)
    if stored < len(entries):
        raise LogError(
            f"the store holds {stored} events of file {code} but the log covers {len(entries)}: "
            "events were deleted from the store"
        )
    if stored > len(entries):
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
        "head": head_proof_doc(log.heads.at(checkpoint.size), code),
    }
