"""Jobs on the Merkle log (việc định kỳ của sổ nhật ký): integrate and checkpoint when due, and
the JSON proof documents (inclusion and consistency, RFC 9162) for inspectors.

Shared by the HTTP service's background loop, ``hoso serve``'s leader and the CLI. They take the
log, its signing key and the checkpoint policy as values: the api's bootstrap builds those from
the settings.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.errors import ConflictError, NotFound, OutOfRange
from ledger.log.storage import MerkleLog, StoredCheckpoint
from signing.note import NoteSigner

log = logging.getLogger("hoso.log")


@dataclass(frozen=True)
class CheckpointPolicy:
    """A new checkpoint at most every ``every_seconds`` or ``every_entries`` new leaves."""

    every_seconds: float
    every_entries: int


def integrate_and_checkpoint(
    merkle_log: MerkleLog,
    signer: NoteSigner,
    policy: CheckpointPolicy,
    *,
    now: datetime | None = None,
    force: bool = False,
) -> StoredCheckpoint | None:
    """Give every stored event its leaf, then sign a checkpoint if one is due (or ``force``).

    Returns the new checkpoint, the unchanged latest one when ``force`` finds nothing new,
    or None when no checkpoint was due.
    """
    merkle_log.integrate()
    at = now or datetime.now(UTC)
    if not force and not merkle_log.checkpoint_due(
        at, every_seconds=policy.every_seconds, every_entries=policy.every_entries
    ):
        return None
    if merkle_log.size() == 0:
        return None
    try:
        return merkle_log.make_checkpoint(signer, at)
    except ConflictError:
        return merkle_log.latest_checkpoint()  # another process signed this size first: theirs


def integrate_logged(
    merkle_log: MerkleLog, signer: NoteSigner, policy: CheckpointPolicy, *, failing: bool
) -> bool:
    """``integrate_and_checkpoint`` for a service's background loop: a new checkpoint logged, a
    failure logged once until it recovers (the service keeps serving). True if it failed."""
    try:
        made = integrate_and_checkpoint(merkle_log, signer, policy)
    except Exception as e:
        if not failing:
            log.warning("integrating the log failed: %s", e)
        return True
    if made is not None:
        log.info("checkpoint of size %d signed", made.size)
    return False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def default_size(log: MerkleLog) -> int:
    """The size proofs refer to when none is given: the latest signed checkpoint's."""
    latest = log.latest_checkpoint()
    if latest is None:
        raise NotFound("the log has no checkpoint yet: give a tree size")
    return latest.size


def inclusion_document(log: MerkleLog, index: int, size: int | None = None) -> dict[str, Any]:
    """``{"leaf_index", "tree_size", "root", "proof"}`` with base64 hashes (RFC 9162 2.1.3)."""
    tree_size = default_size(log) if size is None else size
    current = log.size()
    if tree_size < 1 or tree_size > current:
        raise OutOfRange(f"tree size {tree_size} is not in 1..{current} (the log's size)")
    if index < 0 or index >= tree_size:
        raise OutOfRange(f"leaf index {index} is not in 0..{tree_size - 1}")
    try:
        proof = log.inclusion_proof(index, tree_size)
        root = log.root(tree_size)
    except ValueError as e:
        raise OutOfRange(str(e)) from e
    return {
        "leaf_index": index,
        "tree_size": tree_size,
        "root": _b64(root),
        "proof": [_b64(h) for h in proof],
    }


def consistency_document(log: MerkleLog, size1: int, size2: int | None = None) -> dict[str, Any]:
    """``{"size1", "size2", "root1", "root2", "proof"}`` with base64 hashes (RFC 9162 2.1.4)."""
    second = default_size(log) if size2 is None else size2
    current = log.size()
    if second < 1 or second > current:
        raise OutOfRange(f"tree size {second} is not in 1..{current} (the log's size)")
    if size1 < 1 or size1 > second:
        raise OutOfRange(f"the first tree size {size1} is not in 1..{second}")
    try:
        proof = log.consistency_proof(size1, second)
        root1, root2 = log.root(size1), log.root(second)
    except ValueError as e:
        raise OutOfRange(str(e)) from e
    return {
        "size1": size1,
        "size2": second,
        "root1": _b64(root1),
        "root2": _b64(root2),
        "proof": [_b64(h) for h in proof],
    }
