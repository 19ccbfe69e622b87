"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature): timestamped Ed25519 cosignatures.

A witness (bên chứng kiến) cosigns a checkpoint body it has checked to be consistent with
everything it saw before. The note signature type is 0x04; the signed message is

    cosignature/v1
    time <POSIX seconds, decimal>
    <checkpoint body, final newline included>

and the note signature bytes are the 8-byte big-endian timestamp followed by the 64-byte Ed25519
signature. The Ed25519 message does not commit to the cosigner's name, so one key must serve one
cosigner only.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import NoteError, VerificationError
from signing.keys import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, public_key_raw, verify_signature
from signing.note import (
    NoteSignature,
    format_vkey,
    note_key_id,
    parse_vkey,
    validate_key_name,
    validate_text,
)

__all__ = [
    "COSIGNATURE_KEY_TYPE",
    "COSIGNATURE_SIZE",
    "MAX_TIMESTAMP",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosigned_message",
]

COSIGNATURE_KEY_TYPE = 0x04
TIMESTAMP_SIZE = 8
COSIGNATURE_SIZE = TIMESTAMP_SIZE + SIGNATURE_SIZE
MAX_TIMESTAMP = 2**63 - 1
_HEADER = "cosignature/v1\n"


def cosigned_message(checkpoint_body: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header line, time line, then the checkpoint body."""
    _check_timestamp(timestamp)
    validate_text(checkpoint_body)
    return f"{_HEADER}time {timestamp}\n{checkpoint_body}".encode()


class CosignatureSigner:
    """A witness key that cosigns checkpoint bodies (signature type 0x04)."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        if not isinstance(key, Ed25519PrivateKey):
            raise NoteError("a cosigner needs an Ed25519 private key")
        self._name = validate_key_name(name)
        self._key = key
        self._public_key = public_key_raw(key)
        self._key_hash = note_key_id(name, COSIGNATURE_KEY_TYPE, self._public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_hash(self) -> bytes:
        return self._key_hash

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def vkey(self) -> str:
        """``name+hex(key ID)+base64(0x04 || public key)``."""
        return format_vkey(self._name, COSIGNATURE_KEY_TYPE, self._public_key)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public_key)

    def cosign(self, checkpoint_body: str, timestamp: int) -> NoteSignature:
        """The cosignature of ``checkpoint_body`` at ``timestamp`` (POSIX seconds)."""
        message = cosigned_message(checkpoint_body, timestamp)
        signature = timestamp.to_bytes(TIMESTAMP_SIZE, "big") + self._key.sign(message)
        return NoteSignature(self._name, self._key_hash, signature)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, key_hash={self._key_hash.hex()!r})"


class CosignatureVerifier:
    """Checks v1 cosignatures of one named witness key; usable with ``open_note``."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
            raise NoteError(f"an Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
        self._name = validate_key_name(name)
        self._public_key = public_key
        self._key_hash = note_key_id(name, COSIGNATURE_KEY_TYPE, public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``name+hex(key ID)+base64(0x04 || key)``; ``NoteError`` if malformed."""
        name, _key_hash, public_key = parse_vkey(vkey, COSIGNATURE_KEY_TYPE, PUBLIC_KEY_SIZE)
        return cls(name, public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_hash(self) -> bytes:
        return self._key_hash

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def vkey(self) -> str:
        return format_vkey(self._name, COSIGNATURE_KEY_TYPE, self._public_key)

    def verify(self, checkpoint_body: str, sig: NoteSignature) -> int:
        """The cosignature's timestamp if ``sig`` is valid over ``checkpoint_body``.

        Raises ``NoteError``. The timestamp is not compared with any clock: callers may refuse
        cosignatures from the future.
        """
        if sig.name != self._name or sig.key_hash != self._key_hash:
            raise NoteError(f"signature is not by cosigner {self._name}+{self._key_hash.hex()}")
        if len(sig.signature) != COSIGNATURE_SIZE:
            raise NoteError(f"a v1 cosignature must be {COSIGNATURE_SIZE} bytes")
        timestamp = int.from_bytes(sig.signature[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            raise NoteError("cosignature timestamp exceeds 2**63 - 1")
        message = cosigned_message(checkpoint_body, timestamp)
        try:
            verify_signature(self._public_key, message, sig.signature[TIMESTAMP_SIZE:])
        except VerificationError as e:
            raise NoteError(f"cosignature by {self._name} does not verify: {e}") from e
        return timestamp

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"


def _check_timestamp(timestamp: object) -> None:
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise NoteError("a cosignature timestamp must be an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature timestamp must be in [0, 2**63 - 1]")
