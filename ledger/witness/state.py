"""The witness's state file (trạng thái bên chứng kiến): one JSON document, written atomically.

Per log origin the state holds the log's verifier key and the last checkpoint the witness
cosigned: ``{"vkey", "size", "root" (base64), "note"}``; size 0 with an empty root means none yet.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ledger.log.merkle import HASH_SIZE
from ledger.witness.errors import WitnessStateError
from signing.errors import VerificationError
from signing.keys import b64, unb64
from signing.note import NoteVerifier

STATE_FORMAT = "hoso-witness-state/v1"


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
