"""A result document's proof (xác thực kết quả): whoever holds a result (the citizen, a bank
clerk) scans the SHA-256 on its QR code and gets the event that signed it, that event's leaf
index and inclusion proof, and the signed checkpoint they lead to. Checked here offline (and in
the browser by ``api/pages/static/verify-result.js``, the same steps): the checkpoint's note is
signed by the log's key, the entry hashes up to its root, and the entry is a ``ResultSigned``
of that very document. Only what this check passes is shown to the holder.

The document (``RESULT_FORMAT``)::

    {"format": "hoso-result-proof/v1", "document_sha256": <hex>, "entry": <base64>,
     "leaf_index": n, "tree_size": N, "inclusion_proof": [<base64>...], "checkpoint": <note>}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.encoding.envelope import Envelope, decode
from ledger.errors import LedgerError, ProofError
from ledger.log import merkle
from ledger.log.checkpoint import open_checkpoint
from ledger.log.formats import RESULT_FORMAT
from signing import b64, unb64
from signing.errors import VerificationError
from signing.note import NoteVerifier

__all__ = ["ResultProof", "result_proof_doc", "verify_result_proof"]

FIELDS = frozenset(
    {"format", "document_sha256", "entry", "leaf_index", "tree_size", "inclusion_proof",
     "checkpoint"}
)  # fmt: skip


@dataclass(frozen=True)
class ResultProof:
    """What a verified proof shows: the file, when and by whom the result was signed."""

    code: str
    signed_at: datetime
    signer: str
    leaf_index: int
    tree_size: int


def result_proof_doc(
    sha256: str, entry: bytes, leaf_index: int, tree_size: int, proof: list[bytes], note: str
) -> dict[str, Any]:
    return {
        "format": RESULT_FORMAT,
        "document_sha256": sha256,
        "entry": b64(entry),
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "inclusion_proof": [b64(h) for h in proof],
        "checkpoint": note,
    }


def verify_result_proof(doc: Any, log_vkey: str, sha256: str) -> ResultProof:
    """The proof's facts once every check passes; ``ProofError`` naming the first that fails."""
    if not isinstance(doc, dict) or set(doc) != FIELDS or doc["format"] != RESULT_FORMAT:
        raise ProofError(f"not a {RESULT_FORMAT} document")
    if doc["document_sha256"] != sha256:
        raise ProofError("the proof is for another document")
    index, size = doc["leaf_index"], doc["tree_size"]
    try:
        checkpoint, _note = open_checkpoint(
            str(doc["checkpoint"]), NoteVerifier.from_vkey(log_vkey)
        )
        entry = unb64(str(doc["entry"]))
        proof = [unb64(str(h)) for h in doc["inclusion_proof"]]
    except (VerificationError, TypeError) as e:
        raise ProofError(f"the checkpoint or the proof does not verify: {e}") from e
    if checkpoint.size != size:
        raise ProofError(f"the checkpoint is of size {checkpoint.size}, not {size}")
    if not merkle.inclusion_ok(merkle.leaf_hash(entry), index, size, proof, checkpoint.root):
        raise ProofError("the inclusion proof does not lead to the checkpoint's root")
    env = _signing_event(entry, sha256)
    return ResultProof(env.stream, env.occurred_at, env.actor, index, size)


def _signing_event(entry: bytes, sha256: str) -> Envelope:
    try:
        env = decode(entry)
    except LedgerError as e:
        raise ProofError(f"the entry is not a ledger event: {e}") from e
    if env.type != "ResultSigned" or env.payload.get("document_sha256") != sha256:
        raise ProofError("the entry is not the signature of this document")
    return env
