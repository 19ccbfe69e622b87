"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys (văn bản ký).

A signed note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> base64(4-byte key ID || signature)``. A key is named by a *vkey*,
``name+hex(key ID)+base64(key type || public key)``. Opening a note fails closed: it needs at
least one signature by a known key that verifies, every signature from a known key (same name
and key ID) must verify, and signatures from unknown keys are ignored (kept apart, unverified).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import NoteError, VerificationError
from signing.keys import PUBLIC_KEY_SIZE, b64, public_key_raw, unb64, verify_signature

__all__ = [
    "ED25519_KEY_TYPE",
    "KEY_HASH_SIZE",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "SignatureVerifier",
    "format_note",
    "format_vkey",
    "note_key_id",
    "open_note",
    "parse_note",
    "parse_vkey",
    "validate_key_name",
    "validate_text",
]

ED25519_KEY_TYPE = 0x01
KEY_HASH_SIZE = 4
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


def validate_key_name(name: object) -> str:
    """Return ``name`` if it is a valid key name: non-empty, no '+', no (Unicode) spaces."""
    if not isinstance(name, str) or not name:
        raise NoteError("a key name must be a non-empty string")
    if "+" in name:
        raise NoteError(f"key name {name!r} contains '+'")
    if any(ch.isspace() for ch in name) or _CONTROL.search(name):
        raise NoteError(f"key name {name!r} contains spaces or control characters")
    _require_utf8(name)
    return name


def validate_text(text: object) -> str:
    """Return ``text`` if it can be a note text: valid UTF-8, ends in a newline, no controls."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must be a string ending in a newline")
    _check_characters(text)
    return text


def note_key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || key type || public key)[:4]."""
    validate_key_name(name)
    if not isinstance(key_type, int) or not 0 <= key_type <= 0xFF:
        raise NoteError(f"key type must be one byte, got {key_type!r}")
    if not isinstance(public_key, bytes):
        raise NoteError("public key must be bytes")
    material = name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key
    return hashlib.sha256(material).digest()[:KEY_HASH_SIZE]


def format_vkey(name: str, key_type: int, public_key: bytes) -> str:
    """``name+hex(key ID)+base64(key type || public key)``."""
    key_hash = note_key_id(name, key_type, public_key)
    return f"{name}+{key_hash.hex()}+{b64(bytes([key_type]) + public_key)}"


def parse_vkey(vkey: object, key_type: int, key_size: int) -> tuple[str, bytes, bytes]:
    """Split a vkey of ``key_type`` into (name, key ID, public key), checking the key ID."""
    if not isinstance(vkey, str):
        raise NoteError("a verifier key must be a string")
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise NoteError("malformed verifier key: want name+hex(key ID)+base64(key)")
    name, hash_hex, key_b64 = parts
    validate_key_name(name)
    try:
        material = unb64(key_b64)
    except VerificationError as e:
        raise NoteError(f"malformed verifier key: {e}") from e
    if not material or material[0] != key_type:
        raise NoteError(f"verifier key {name!r} is not of key type 0x{key_type:02x}")
    public_key = material[1:]
    if len(public_key) != key_size:
        raise NoteError(f"verifier key {name!r}: public key must be {key_size} bytes")
    key_hash = bytes.fromhex(hash_hex)
    if key_hash != note_key_id(name, key_type, public_key):
        raise NoteError(f"verifier key {name!r}: key ID does not match the key")
    return name, key_hash, public_key


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the key ID."""

    name: str
    key_hash: bytes
    signature: bytes

    def __post_init__(self) -> None:
        validate_key_name(self.name)
        if not isinstance(self.key_hash, bytes) or len(self.key_hash) != KEY_HASH_SIZE:
            raise NoteError(f"a key ID must be {KEY_HASH_SIZE} bytes")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise NoteError("a note signature must be non-empty bytes")

    def line(self) -> str:
        """The signature line, newline included."""
        return f"{SIGNATURE_PREFIX}{self.name} {b64(self.key_hash + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A note's text and signatures.

    From ``parse_note``: every signature, none of them checked. From ``open_note``: the
    signatures that verified (one per key), with those from unknown keys in ``unverified``.
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...] = ()


class SignatureVerifier(Protocol):
    """Anything that checks note signatures of one key (``NoteVerifier``, cosigners, ...)."""

    @property
    def name(self) -> str: ...

    @property
    def key_hash(self) -> bytes: ...

    def verify(self, text: str, sig: NoteSignature) -> object:
        """Return if ``sig`` is this key's valid signature of ``text``; raise ``NoteError``."""
        ...


class NoteSigner:
    """Signs note texts with an Ed25519 key (signature type 0x01) under a key name."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        if not isinstance(key, Ed25519PrivateKey):
            raise NoteError("a note signer needs an Ed25519 private key")
        self._name = validate_key_name(name)
        self._key = key
        self._public_key = public_key_raw(key)
        self._key_hash = note_key_id(name, ED25519_KEY_TYPE, self._public_key)

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
        """The verifier key: ``name+hex(key ID)+base64(0x01 || public key)``."""
        return format_vkey(self._name, ED25519_KEY_TYPE, self._public_key)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self._name, self._public_key)

    def sign(self, text: str) -> NoteSignature:
        """The signature of ``text`` (which must end in a newline)."""
        validate_text(text)
        signature = self._key.sign(text.encode("utf-8"))
        return NoteSignature(self._name, self._key_hash, signature)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, key_hash={self._key_hash.hex()!r})"


class NoteVerifier:
    """Checks Ed25519 (type 0x01) note signatures of one named key."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
            raise NoteError(f"an Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
        self._name = validate_key_name(name)
        self._public_key = public_key
        self._key_hash = note_key_id(name, ED25519_KEY_TYPE, public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hex(key ID)+base64(0x01 || key)``; ``NoteError`` if malformed."""
        name, _key_hash, public_key = parse_vkey(vkey, ED25519_KEY_TYPE, PUBLIC_KEY_SIZE)
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
        return format_vkey(self._name, ED25519_KEY_TYPE, self._public_key)

    def verify(self, text: str, sig: NoteSignature) -> None:
        """None if ``sig`` is this key's valid signature of ``text``; ``NoteError`` otherwise."""
        if sig.name != self._name or sig.key_hash != self._key_hash:
            raise NoteError(f"signature is not by key {self._name}+{self._key_hash.hex()}")
        validate_text(text)
        try:
            verify_signature(self._public_key, text.encode("utf-8"), sig.signature)
        except VerificationError as e:
            raise NoteError(f"signature by {self._name} does not verify: {e}") from e

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"


def format_note(text: str, signatures: Sequence[NoteSignature]) -> str:
    """The signed note: text, a blank line, one line per signature (at least one)."""
    validate_text(text)
    if not signatures:
        raise NoteError("a signed note needs at least one signature")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(sig.line() for sig in signatures)


def parse_note(data: str | bytes) -> Note:
    """Split a signed note into text and signatures, strictly; checks no signature."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise NoteError("a note must be valid UTF-8") from e
    if not isinstance(data, str):
        raise NoteError("a note must be str or bytes")
    _check_characters(data)
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed note: the signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def open_note(data: str | bytes, verifiers: Sequence[SignatureVerifier]) -> Note:
    """Parse and verify a note against known keys; ``NoteError`` unless one of them signed it.

    A signature whose name and key ID match a known key must verify. Signatures from other keys
    are ignored and returned in ``Note.unverified``.
    """
    known: dict[tuple[str, bytes], SignatureVerifier] = {}
    for v in verifiers:
        ident = (v.name, v.key_hash)
        if ident in known:
            raise NoteError(f"two verifiers for key {v.name}+{v.key_hash.hex()}")
        known[ident] = v
    note = parse_note(data)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in note.signatures:
        ident = (sig.name, sig.key_hash)
        verifier = known.get(ident)
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        verifier.verify(note.text, sig)  # raises NoteError
        if ident not in seen:
            seen.add(ident)
            verified.append(sig)
    if not verified:
        raise NoteError("no signature by a known key: the note is not trusted")
    return Note(note.text, tuple(verified), tuple(unverified))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("malformed note: a signature line must start with an em dash and space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not encoded:
        raise NoteError("malformed note: a signature line needs a key name and a signature")
    try:
        raw = unb64(encoded)
    except VerificationError as e:
        raise NoteError(f"malformed note: signature of {name!r} is not base64: {e}") from e
    if len(raw) <= KEY_HASH_SIZE:
        raise NoteError(f"malformed note: signature of {name!r} is too short")
    return NoteSignature(name, raw[:KEY_HASH_SIZE], raw[KEY_HASH_SIZE:])


def _check_characters(data: str) -> None:
    _require_utf8(data)
    if _CONTROL.search(data):
        raise NoteError("a note must not contain control characters other than newline")


def _require_utf8(data: str) -> None:
    try:
        data.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError("not valid UTF-8 (lone surrogate)") from e
