"""Checking a bundle's proof of its file's head, offline: the checkpoint commits to the map of
file heads (``hoso-heads <root>``), and the bundle's last entry must be the head the map holds
for its file. A history with its last events cut off fails here, though every entry in it is
proven in the log. Also reads a head proof document (``hoso log head``)."""

from __future__ import annotations

from typing import Any

from ledger.errors import BundleError, ProofError
from ledger.log import merkle
from ledger.log.checkpoint import open_checkpoint
from ledger.log.formats import HEADS_PREFIX
from ledger.log.headmap import HeadProof, key_of
from signing import unb64
from signing.errors import VerificationError
from signing.note import NoteVerifier


def heads_root(extensions: tuple[str, ...]) -> bytes:
    lines = [line for line in extensions if line.startswith(HEADS_PREFIX)]
    if len(lines) != 1:
        raise BundleError(["the checkpoint does not commit to the map of file heads"])
    try:
        root = unb64(lines[0][len(HEADS_PREFIX) :])
    except VerificationError as e:
        raise BundleError([f"the checkpoint's map of file heads is malformed: {e}"]) from e
    if len(root) != 32:
        raise BundleError(["the checkpoint's map of file heads is not a 32-byte root"])
    return root


def parse_proof(code: str, doc: Any) -> HeadProof:
    """The head proof of ``code`` in a JSON document; ``BundleError`` if malformed."""
    if not isinstance(doc, dict) or not set(doc) <= {"end", "siblings", "value", "other_key"}:
        raise BundleError(["malformed head proof: missing or unknown fields"])
    siblings, end = doc.get("siblings"), doc.get("end")
    if not isinstance(siblings, list) or not all(isinstance(s, str) for s in siblings):
        raise BundleError(["malformed head proof: 'siblings' is not a list of hashes"])
    if not isinstance(end, str):
        raise BundleError(["malformed head proof: 'end' is not text"])
    try:
        return HeadProof(
            key_of(code),
            tuple(unb64(s) for s in siblings),
            end,
            unb64(str(doc.get("value", ""))) if "value" in doc else b"",
            unb64(str(doc.get("other_key", ""))) if "other_key" in doc else b"",
        )
    except VerificationError as e:
        raise BundleError([f"malformed head proof: {e}"]) from e


def check_head(
    code: str, doc: Any, extensions: tuple[str, ...], last: tuple[int, int, bytes]
) -> None:
    """The bundle's last entry (version, leaf index, entry bytes) is the head the checkpoint's
    map holds for ``code``; ``BundleError`` naming what differs."""
    proof = parse_proof(code, doc)
    try:
        head = proof.verify(heads_root(extensions))
    except ProofError as e:
        raise BundleError([f"the proof of file {code}'s head: {e}"]) from e
    version, index, entry = last
    if head is None:
        raise BundleError([f"the checkpoint's map holds no file {code}, yet the bundle has it"])
    want_version, want_index, want_leaf = head
    if (want_version, want_index) != (version, index) or want_leaf != merkle.leaf_hash(entry):
        raise BundleError(
            [
                f"the file's history is truncated: the checkpoint commits to version "
                f"{want_version} (leaf {want_index}) as file {code}'s last event, the bundle "
                f"ends at version {version} (leaf {index})"
            ]
        )


def check_head_document(doc: Any, log_vkey: str) -> tuple[str, int, tuple[int, int, bytes] | None]:
    """A ``hoso log head`` document checked offline: (file code, checkpoint size, its head or
    None when proven absent); ``BundleError`` / ``VerificationError`` otherwise (fails closed)."""
    if not isinstance(doc, dict) or set(doc) != {"file", "checkpoint", "head"}:
        raise BundleError(["not a head proof document (file, checkpoint, head)"])
    code, note = doc["file"], doc["checkpoint"]
    if not isinstance(code, str) or not isinstance(note, str):
        raise BundleError(["malformed head proof document: file and checkpoint must be text"])
    checkpoint, _opened = open_checkpoint(note, NoteVerifier.from_vkey(log_vkey))
    proof = parse_proof(code, doc["head"])
    try:
        return code, checkpoint.size, proof.verify(heads_root(checkpoint.extensions))
    except ProofError as e:
        raise BundleError([f"the proof of file {code}'s head: {e}"]) from e
