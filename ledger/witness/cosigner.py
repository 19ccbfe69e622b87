"""A witness (bên chứng kiến) per C2SP tlog-witness: it cosigns what extends what it saw.

The witness keeps, per log origin, the last checkpoint it cosigned, in one JSON state file
(``ledger.witness.state``; its errors in ``ledger.witness.errors``). It cosigns a new checkpoint
only if the log's key signed it and it extends what it cosigned before (RFC 9162 consistency
proof): never a smaller tree (rollback), never a second root for one size (split view), across
restarts too. The check and the durable write of the new state happen under
one lock (threads and processes) *before* the cosignature is returned; a lost state file must not
be recreated silently, so opening a witness without its state fails.

No HTTP here: ``api.http.witness`` serves ``add-checkpoint``; the log's side of asking is
``ledger.witness.client``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import CheckpointError
from ledger.log.checkpoint import Checkpoint, parse_checkpoint
from ledger.log.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from ledger.witness.errors import (
    WitnessBadProof,
    WitnessBadSignature,
    WitnessConflict,
    WitnessError,
    WitnessMalformed,
    WitnessRollback,
    WitnessSplitView,
    WitnessStateError,
    WitnessUnknownLog,
)
from ledger.witness.state import LogRecord, WitnessState
from signing.cosignature import MAX_TIMESTAMP, CosignatureSigner, CosignatureVerifier
from signing.errors import NoteError, VerificationError
from signing.keys import b64, unb64
from signing.note import NoteSignature, NoteVerifier, format_note, open_note, parse_note

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"
SIZE_LINE = re.compile(r"0|[1-9][0-9]{0,18}")
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


# -------------------------------------------------------------------------------- witness
class Witness:
    """The cosigner: checks add-checkpoint requests against its state and cosigns them."""

    def __init__(
        self, name: str, key: Ed25519PrivateKey, state_path: Path, *, create: bool = False
    ) -> None:
        try:
            self._signer = CosignatureSigner(name, key)
        except NoteError as e:
            raise WitnessError(f"witness name or key refused: {e}") from e
        self._path = Path(state_path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._mutex = threading.Lock()
        with self._locked():
            if create and not self._path.exists():
                WitnessState(name, self._signer.vkey()).save(self._path)
            self._load()

    @classmethod
    def from_state(cls, key: Ed25519PrivateKey, state_path: Path) -> Witness:
        """Open an existing witness; its name is the one in its state file."""
        return cls(WitnessState.load(state_path).name, key, state_path)

    @property
    def name(self) -> str:
        return self._signer.name

    @property
    def state_path(self) -> Path:
        return self._path

    def vkey(self) -> str:
        """The cosignature verifier key (type 0x04) that logs and auditors configure."""
        return self._signer.vkey()

    def verifier(self) -> CosignatureVerifier:
        return self._signer.verifier()

    def state(self) -> WitnessState:
        with self._locked():
            return self._load()

    def add_log(self, origin: str, log_vkey: str) -> None:
        """Follow a log; adding it again with the same key changes nothing."""
        try:
            Checkpoint(origin, 0, EMPTY_ROOT)  # a valid origin line
            vkey = NoteVerifier.from_vkey(log_vkey).vkey()
        except VerificationError as e:
            raise WitnessMalformed(f"cannot follow log {origin!r}: {e}") from e
        with self._locked():
            state = self._load()
            known = state.logs.get(origin)
            if known is not None:
                if known.vkey != vkey:
                    raise WitnessError(f"log {origin!r} is already followed with another key")
                return
            replace(state, logs={**state.logs, origin: LogRecord(vkey)}).save(self._path)

    def add_checkpoint(
        self, old_size: int, proof: Sequence[bytes], note: str, now: int
    ) -> NoteSignature:
        """Check a checkpoint as tlog-witness says, persist it, and return the cosignature."""
        if not isinstance(old_size, int) or isinstance(old_size, bool) or old_size < 0:
            raise WitnessMalformed("the old size must be a non-negative integer")
        if isinstance(proof, bytes | str) or len(proof) > MAX_PROOF_LINES:
            raise WitnessMalformed(f"a proof is a list of at most {MAX_PROOF_LINES} hashes")
        if not isinstance(now, int) or isinstance(now, bool) or not 0 < now <= MAX_TIMESTAMP:
            # tlog-witness: a cosignature's timestamp MUST NOT be zero
            raise WitnessMalformed("the cosignature time must be POSIX seconds in [1, 2**63 - 1]")
        try:
            checkpoint = parse_checkpoint(parse_note(note).text)
        except (NoteError, CheckpointError) as e:
            raise WitnessMalformed(f"not a signed checkpoint: {e}") from e
        with self._locked():
            state = self._load()
            record = state.logs.get(checkpoint.origin)
            if record is None:
                raise WitnessUnknownLog(f"unknown log {checkpoint.origin!r}")
            try:
                opened = open_note(note, [NoteVerifier.from_vkey(record.vkey)])
            except NoteError as e:
                raise WitnessBadSignature(
                    f"not signed by the key of {checkpoint.origin}: {e}"
                ) from e
            _check_growth(record, old_size, proof, checkpoint)
            cosignature = self._signer.cosign(checkpoint.body(), now)
            # kept as served for monitors: the log's verified signatures and this cosignature
            kept = format_note(opened.text, [*opened.signatures, cosignature])
            updated = LogRecord(record.vkey, checkpoint.size, checkpoint.root, kept)
            replace(state, logs={**state.logs, checkpoint.origin: updated}).save(self._path)
        return cosignature

    def latest_cosigned(self, origin_hash: str) -> str | None:
        """The last checkpoint cosigned for the log whose origin's SHA-256 is ``origin_hash``
        (lowercase hex), with the log's signature and this witness's cosignature; None if none
        (tlog-witness, the monitoring API)."""
        for origin, record in self.state().logs.items():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash and record.size:
                return record.note
        return None

    # ---------------------------------------------------------------- internals
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One check-and-write at a time: a thread lock, then an flock for other processes."""
        with self._mutex:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as e:
                raise WitnessStateError(f"{self._lock_path}: cannot open the lock: {e}") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def _load(self) -> WitnessState:
        state = WitnessState.load(self._path)
        if (state.name, state.vkey) != (self.name, self.vkey()):
            raise WitnessStateError(
                f"{self._path} belongs to witness {state.vkey}, not to {self.vkey()}"
            )
        return state


def _check_growth(
    record: LogRecord, old_size: int, proof: Sequence[bytes], checkpoint: Checkpoint
) -> None:
    """Raise unless ``checkpoint`` extends ``record`` (tlog-witness order of checks)."""
    size = checkpoint.size
    if old_size > size:
        if size < record.size:
            raise WitnessRollback(
                f"rollback: checkpoint of size {size} is smaller than the size {record.size} "
                "already cosigned"
            )
        raise WitnessMalformed(f"old size {old_size} is larger than the checkpoint size {size}")
    if old_size != record.size:
        raise WitnessConflict(
            record.size, f"old size {old_size}, but the witness last cosigned size {record.size}"
        )
    if record.size == 0:
        if proof:
            raise WitnessBadProof("the consistency proof from size 0 must be empty")
        if size == 0 and checkpoint.root != EMPTY_ROOT:
            raise WitnessBadProof("a tree of size 0 has the empty root")
        return
    if size == record.size and checkpoint.root != record.root:
        raise WitnessSplitView(
            record.size,
            f"split view: a different root for size {size}, which the witness already cosigned",
        )
    try:
        verify_consistency(record.size, size, list(proof), record.root, checkpoint.root)
    except VerificationError as e:
        raise WitnessBadProof(f"consistency proof from size {record.size} fails: {e}") from e


# ------------------------------------------------------------------------- wire format
def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint request body: ``old N``, base64 proof lines, a blank line, the note."""
    lines = [f"old {old_size}", *(b64(h) for h in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + note).encode("utf-8")


def parse_add_checkpoint_body(body: bytes) -> tuple[int, list[bytes], str]:
    """Split a request body strictly; ``WitnessMalformed`` (400) if it is not well formed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WitnessMalformed("the request body is not UTF-8") from e
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise WitnessMalformed("the request needs an old size line, proof lines, a blank line")
    first, *proof_lines = head.split("\n")
    match = _OLD.fullmatch(first)
    if match is None:
        raise WitnessMalformed("the first line must be `old <size>` (decimal, no leading zeros)")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise WitnessMalformed(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof: list[bytes] = []
    for i, line in enumerate(proof_lines):
        try:
            h = unb64(line)
        except VerificationError as e:
            raise WitnessMalformed(f"proof line {i + 1} is not base64: {e}") from e
        if len(h) != HASH_SIZE:
            raise WitnessMalformed(f"proof line {i + 1} is not a {HASH_SIZE}-byte hash")
        proof.append(h)
    return int(match.group(1)), proof, note
