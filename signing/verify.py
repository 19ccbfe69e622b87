"""Ed25519 signature checks. Fail closed: ``None`` means valid, anything else raises.

Backed by OpenSSL through ``cryptography``, which rejects non-canonical ``S`` (S >= L), so a valid
signature cannot be mutated into a second valid one.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature

from signing.errors import BadSignature, VerificationError
from signing.keys import load_public_key

__all__ = ["SIGNATURE_SIZE", "signature_ok", "verify_signature"]

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
