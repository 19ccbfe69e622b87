"""Verify before signing (kiểm tra trước khi ký): the events a new checkpoint would newly cover.

A checkpoint signs every leaf of the log. The rows behind the leaves since the last checkpoint
were never covered by a signature of the log's key: a row forged into the store (written behind
the ledger's back) would be signed over, and the forgery would then carry the log's word. So a
command that signs a checkpoint on request (``hoso bundle``, ``hoso log checkpoint``) first
verifies those events, and signs nothing if one fails.

The cheapest correct check: the key registry from its genesis (small: every key event, each
verified once), then the new events in log order through one ``ChainVerifier``, each file's
chain picked up at the stored event before its first new one (that event is covered by the
earlier checkpoint, and a new event that does not link to it fails). Signatures, keys valid at
the time, roles and chain links are checked exactly as the audit checks them.
"""

from __future__ import annotations

from eventsourcing.persistence import Notification

from ledger.chain.verify import ChainVerifier
from ledger.encoding.envelope import decode
from ledger.errors import LedgerError, Refused, TamperError
from ledger.log.storage import MerkleLog
from signing.registry import REGISTRY_STREAM

PAGE = 1000


def verify_uncovered(log: MerkleLog, authority_key: bytes | None) -> int:
    """Verify the events of the leaves after the latest checkpoint (integrate first); returns
    how many were verified. Raises ``Refused`` naming the first event that fails."""
    store = log.store
    latest = log.latest_checkpoint()
    start, size = (latest.size if latest else 0), log.size()
    if size <= start:
        return 0
    first, last = log.leaf_rows(start, 1), log.leaf_rows(size - 1, 1)
    if not first or not last:
        raise Refused(f"the log's leaves {start}..{size - 1} are not all stored")
    begin, end = first[0].position, last[0].position
    verifier = ChainVerifier(log.origin, authority_key)
    try:
        registry_leaves = log.leaves_of(REGISTRY_STREAM)
        for stored in store.stream(REGISTRY_STREAM):
            if registry_leaves.get(stored.originator_version, size) >= start:
                break  # the registry as it stood where the new leaves begin
            verifier.check(stored)
        verified, position = 0, begin
        while position <= end and (page := store.notifications(position, PAGE)):
            rows = [n for n in page if n.id <= end]
            _pick_up_chains(log, verifier, rows)
            for row in rows:
                verifier.check(row)
                verified += 1
            position = page[-1].id + 1
    except TamperError as e:
        raise Refused(
            f"refusing to sign a checkpoint over unverified rows: file {e.stream} version "
            f"{e.version}: {e.reason}"
        ) from e
    except LedgerError as e:
        raise Refused(f"refusing to sign a checkpoint: {e}") from e
    return verified


def _pick_up_chains(log: MerkleLog, verifier: ChainVerifier, rows: list[Notification]) -> None:
    """Each file first met here, at a version after its first, continues from its stored event
    before: the head the new event must link to."""
    met: dict[str, int] = {}  # each stream's first version in ``rows``
    for row in rows:
        met.setdefault(str(row.originator_id), row.originator_version)
    wanted = {
        stream: version - 1
        for stream, version in met.items()
        if version > 1 and stream != REGISTRY_STREAM and stream not in verifier.heads
    }
    if not wanted:
        return
    found = log.store.streams(list(wanted))
    for stream, version in wanted.items():
        before = [e for e in found.get(stream, ()) if e.originator_version == version]
        if not before:
            raise TamperError(stream, version + 1, f"version {version} is missing from the store")
        verifier.heads[stream] = (version, decode(before[0].state).hash())
