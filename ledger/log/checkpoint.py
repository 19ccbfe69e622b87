"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head of the log.

A checkpoint (điểm kiểm tra) body is the note text

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 of the 32-byte RFC 9162 root hash>
    [extension lines, each non-empty]

signed as a C2SP signed note by the log's key; witnesses add cosignature lines to the same note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import CheckpointError
from ledger.log.merkle import HASH_SIZE
from signing.errors import NoteError, VerificationError
from signing.keys import b64, unb64
from signing.note import Note, NoteSigner, NoteVerifier, format_note, open_note, validate_text

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

MAX_TREE_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size, its root hash, and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise CheckpointError("the checkpoint origin must be a non-empty string")
        if "\n" in self.origin:
            raise CheckpointError("the checkpoint origin must be one line")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise CheckpointError("the tree size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} out of range [0, 2**63 - 1]")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"the root hash must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("extensions must be a tuple of lines")
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line:
                raise CheckpointError("an extension line must be a non-empty single line")
        try:
            validate_text(self.body())
        except NoteError as e:
            raise CheckpointError(f"checkpoint cannot be a note text: {e}") from e

    def body(self) -> str:
        """The note text: ``origin\\nsize\\nbase64(root)\\n`` and one line per extension."""
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body strictly; ``CheckpointError`` if anything is off."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("a checkpoint body must be text ending in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint needs origin, tree size and root hash lines")
    origin, size_line, root_line, *extensions = lines
    if not _SIZE.fullmatch(size_line):
        raise CheckpointError(f"tree size {size_line!r} is not a canonical decimal")
    size = int(size_line)
    try:
        root = unb64(root_line)
    except VerificationError as e:
        raise CheckpointError(f"root hash is not canonical base64: {e}") from e
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    if checkpoint.body() != text:
        raise CheckpointError("checkpoint body is not in canonical form")
    return checkpoint


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """The signed note of ``cp``'s body, signed by the log key."""
    body = cp.body()
    return format_note(body, [signer.sign(body)])


def open_checkpoint(
    note: str, verifier: NoteVerifier, *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify the log's signature on a checkpoint note, parse the body, check the origin.

    Other signatures (witness cosignatures, rotated keys) are returned unverified in
    ``Note.unverified``. Raises ``NoteError`` or ``CheckpointError`` (both ``VerificationError``).
    """
    opened = open_note(note, [verifier])
    checkpoint = parse_checkpoint(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, opened
