"""The witness's error tree and its state file (one JSON document, written atomically).

Per log origin the state holds the log's verifier key and the last checkpoint the witness
cosigned: ``{"vkey", "size", "root" (base64), "note"}``; size 0 with an empty root means none yet.
``ledger.witness`` re-exports everything here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ledger.audit.log_checks import WitnessView
from ledger.errors import LedgerError
from ledger.log.merkle import HASH_SIZE
from signing.errors import VerificationError
from signing.keys import b64, unb64
from signing.note import NoteVerifier

STATE_FORMAT = "hoso-witness-state/v1"


# --------------------------------------------------------------------------------- errors
class WitnessError(LedgerError):
    """Root of the witness's errors; ``status`` is the tlog-witness HTTP status to answer."""

    status = 400


class WitnessMalformed(WitnessError):
    """A request that is not an add-checkpoint request (400)."""


class WitnessStateError(WitnessError):
    """The state file is missing, unreadable, corrupt, or not this witness's."""

    status = 500


class WitnessRequestError(WitnessError):
    """The log's side: the witness could not be reached or did not cosign."""

    status = 502


class WitnessRefused(WitnessError):
    """The witness will not cosign this checkpoint."""

    status = 403


class WitnessUnknownLog(WitnessRefused):
    """The checkpoint's origin is not a log this witness follows (404, as tlog-witness says)."""

    status = 404


class WitnessBadSignature(WitnessRefused):
    """No signature by the log's known key verifies (403)."""


class WitnessRollback(WitnessRefused):
    """The checkpoint is smaller than the tree already cosigned (400: old size > its size)."""

    status = 400


class WitnessBadProof(WitnessRefused):
    """The consistency proof does not verify (422)."""

    status = 422


class WitnessConflict(WitnessError):
    """The old size is not the size the witness last cosigned (409, with that size)."""

    status = 409

    def __init__(self, current_size: int, message: str | None = None) -> None:
        super().__init__(message or f"the witness last cosigned size {current_size}")
        self.current_size = current_size


class WitnessSplitView(WitnessRefused):
    """A second root for the size already cosigned (409, as tlog-witness says)."""

    status = 409

    def __init__(self, current_size: int, message: str) -> None:
        super().__init__(message)
        self.current_size = current_size


# ---------------------------------------------------------------------------------- state
@dataclass(frozen=True)
class LogRecord:
    """One followed log: its key, and the last checkpoint cosigned (size 0, root b"": none)."""

    vkey: str
    size: int = 0
    root: bytes = b""
    note: str = ""

    def to_doc(self) -> dict[str, Any]:
        return {"vkey": self.vkey, "size": self.size, "root": b64(self.root), "note": self.note}

    @classmethod
    def from_doc(cls, doc: Any) -> LogRecord:
        if not isinstance(doc, dict) or set(doc) != {"vkey", "size", "root", "note"}:
            raise ValueError("a log record has exactly vkey, size, root and note")
        vkey, size, root, note = doc["vkey"], doc["size"], unb64(doc["root"]), doc["note"]
        if not isinstance(vkey, str) or not isinstance(note, str):
            raise ValueError("vkey and note must be strings")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("size must be a non-negative integer")
        if len(root) != HASH_SIZE and not (size == 0 and root == b""):
            raise ValueError(f"root must be {HASH_SIZE} bytes (or empty at size 0)")
        NoteVerifier.from_vkey(vkey)
        return cls(vkey, size, root, note)


@dataclass(frozen=True)
class WitnessState:
    """The whole state file: who the witness is and what it cosigned last, per log origin."""

    name: str
    vkey: str
    logs: dict[str, LogRecord] = field(default_factory=dict)

    def to_json(self) -> bytes:
        doc = {
            "format": STATE_FORMAT,
            "name": self.name,
            "vkey": self.vkey,
            "logs": {origin: rec.to_doc() for origin, rec in sorted(self.logs.items())},
        }
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def load(cls, path: Path) -> WitnessState:
        try:
            raw = path.read_bytes()
        except FileNotFoundError as e:
            raise WitnessStateError(
                f"{path}: no witness state (run `hoso witness init`; a witness whose state is "
                "lost must get a new key, not an empty state)"
            ) from e
        except OSError as e:
            raise WitnessStateError(f"{path}: cannot read the witness state: {e}") from e
        try:
            doc = orjson.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
                raise ValueError(f"not a {STATE_FORMAT} document")
            logs = doc["logs"]
            if not isinstance(logs, dict):
                raise ValueError("logs must be an object")
            return cls(
                str(doc["name"]),
                str(doc["vkey"]),
                {str(o): LogRecord.from_doc(rec) for o, rec in logs.items()},
            )
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError, VerificationError) as e:
            raise WitnessStateError(f"{path}: corrupt witness state: {e}") from e

    def save(self, path: Path) -> None:
        """Atomic and durable: temp file, fsync, rename over, fsync the directory."""
        directory = path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(self.to_json())
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as e:
            raise WitnessStateError(f"{path}: cannot write the witness state: {e}") from e


def load_witness_view(state_path: Path, origin: str) -> WitnessView:
    """What the witness cosigned last for ``origin``, for ``full_audit_report(witness=...)``."""
    state = WitnessState.load(state_path)
    record = state.logs.get(origin)
    if record is None:
        known = ", ".join(sorted(state.logs)) or "none"
        raise WitnessError(f"{state_path}: the witness does not follow log {origin!r} ({known})")
    if record.size == 0:
        raise WitnessError(f"{state_path}: the witness has cosigned no checkpoint of {origin!r}")
    return WitnessView(record.size, record.root)
