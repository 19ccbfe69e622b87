"""The audit's check of the map of file heads: the latest checkpoint's ``hoso-heads`` root is the
root of the heads the log's leaves give at its size (the leaves themselves are checked against the
events by ``log_checks``). Earlier checkpoints were checked when they were the latest: each
rebuild of the map costs O(files · log files) hashes."""

from __future__ import annotations

from ledger.errors import BundleError
from ledger.log.heads import head_map_at
from ledger.log.heads_verify import heads_root
from ledger.log.storage import MerkleLog
from signing.errors import VerificationError
from signing.note import NoteVerifier


def map_failures(log: MerkleLog, verifier: NoteVerifier | None) -> list[str]:
    """What is wrong with the latest checkpoint's map of file heads (empty: nothing)."""
    latest = log.latest_checkpoint()
    if latest is None or verifier is None:
        return []
    try:
        signed = log.verified_checkpoint(latest, verifier)
        committed = heads_root(signed.extensions)
    except BundleError as e:
        return [f"checkpoint of size {latest.size}: {'; '.join(e.failures)}"]
    except (VerificationError, ValueError):
        return []  # the log half names a checkpoint that does not verify
    if head_map_at(log.store, latest.size).root != committed:
        return [
            f"checkpoint of size {latest.size}: the map of file heads it commits to is not the "
            "one the log's leaves give (a file's head was changed or a leaf removed)"
        ]
    return []
