"""Ed25519 key material and signature checks: generation, raw encodings, key ids, PEM key files,
base64, and ``verify_signature`` (fails closed: ``None`` means valid, anything else raises;
OpenSSL through ``cryptography`` rejects non-canonical ``S``, so a valid signature cannot be
mutated into a second valid one).

Private key files follow the ssh rules: created with mode 0600 without ever overwriting an existing
file, and refused on load when group or others may read them. Nothing here runs at import time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from signing.errors import (
    BadSignature,
    EncodingError,
    KeyFileError,
    MalformedKey,
    SigningError,
    VerificationError,
)

__all__ = [
    "KEY_ID_DOMAIN",
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "b64",
    "generate_private_key",
    "key_id",
    "load_private_key_pem",
    "load_public_key",
    "public_key_raw",
    "save_private_key_pem",
    "unb64",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
KEY_ID_DOMAIN = b"hoso/key-id/v1\x00"
_KEY_FILE_MODE = 0o600
_KEY_DIR_MODE = 0o700


def generate_private_key(seed: bytes | None = None) -> Ed25519PrivateKey:
    """A new Ed25519 private key: random, or deterministic from exactly 32 seed bytes."""
    if seed is None:
        return Ed25519PrivateKey.generate()
    if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
        raise SigningError(f"an Ed25519 seed must be exactly {SEED_SIZE} bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key (of a private key, its public half)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_public_key(raw: bytes) -> Ed25519PublicKey:
    """Decode 32 raw bytes into a public key; ``MalformedKey`` otherwise."""
    if not isinstance(raw, bytes) or len(raw) != PUBLIC_KEY_SIZE:
        raise MalformedKey(f"an Ed25519 public key must be exactly {PUBLIC_KEY_SIZE} bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise MalformedKey(f"cannot decode Ed25519 public key: {e}") from e


def key_id(public_raw: bytes) -> str:
    """32 hex chars: the first 16 bytes of SHA-256(b"hoso/key-id/v1\\x00" + public key)."""
    if not isinstance(public_raw, bytes) or len(public_raw) != PUBLIC_KEY_SIZE:
        raise MalformedKey(f"an Ed25519 public key must be exactly {PUBLIC_KEY_SIZE} bytes")
    return hashlib.sha256(KEY_ID_DOMAIN + public_raw).digest()[:16].hex()


def save_private_key_pem(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS8 PEM to a new file with mode 0600.

    Never overwrites: an existing ``path`` is a ``KeyFileError``. A missing parent directory is
    created with mode 0700. On any failure the partly written file is removed.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        path.parent.mkdir(mode=_KEY_DIR_MODE, parents=True, exist_ok=True)
    except OSError as e:
        raise KeyFileError(f"{path.parent}: cannot create key directory: {e}") from e
    # O_CREAT|O_EXCL also refuses to follow a symlink at ``path``.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, _KEY_FILE_MODE)
    except FileExistsError as e:
        raise KeyFileError(f"{path}: key file already exists; refusing to overwrite") from e
    except OSError as e:
        raise KeyFileError(f"{path}: cannot create key file: {e}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        with contextlib.suppress(OSError):
            path.unlink()
        raise KeyFileError(f"{path}: cannot write key file: {e}") from e


def load_private_key_pem(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 PKCS8 PEM private key file, refusing files group or others can access."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as e:
        raise KeyFileError(f"{path}: key file not found") from e
    except OSError as e:
        raise KeyFileError(f"{path}: cannot open key file: {e}") from e
    try:
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise KeyFileError(f"{path}: not a regular file")
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                raise KeyFileError(
                    f"{path}: permissions {mode:04o} are too open; a private key file must be "
                    f"accessible only by its owner (fix: chmod 600 {path})"
                )
            data = f.read()
    except OSError as e:
        raise KeyFileError(f"{path}: cannot read key file: {e}") from e
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key ({type(key).__name__})")
    return key


def b64(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Strict inverse of ``b64``: only the canonical padded encoding is accepted.

    Whitespace, missing padding, URL-safe characters and non-zero trailing bits (``"QR=="``
    instead of ``"QQ=="``) are all ``EncodingError``, so each byte string has exactly one text.
    """
    if not isinstance(text, str):
        raise EncodingError("base64 input must be str")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise EncodingError(f"invalid base64: {e}") from e
    if b64(data) != text:
        raise EncodingError("non-canonical base64")
    return data


# ------------------------------------------------------------------ signature checks
SIGNATURE_SIZE = 64


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Return None if ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.

    Raises ``MalformedKey`` for a bad public key and ``BadSignature`` for everything else.
    """
    key = load_public_key(public_key)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"an Ed25519 signature must be exactly {SIGNATURE_SIZE} bytes")
    if not isinstance(message, bytes):
        raise BadSignature("the signed message must be bytes")
    try:
        key.verify(signature, message)
    except InvalidSignature as e:
        raise BadSignature("Ed25519 signature does not verify") from e


def signature_ok(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Report twin of ``verify_signature``: True if valid, False on any verification failure."""
    try:
        verify_signature(public_key, message, signature)
    except VerificationError:
        return False
    return True
