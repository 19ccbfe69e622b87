"""The one error tree of the signing package.

Everything this package raises on purpose is a ``SigningError``. Every verification failure is a
``VerificationError``, so callers can fail closed with a single ``except VerificationError``.
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "EncodingError",
    "KeyFileError",
    "MalformedKey",
    "SigningError",
    "VerificationError",
]


class SigningError(Exception):
    """Root of every error raised by ``signing``."""


class KeyFileError(SigningError):
    """A private key file is missing, unreadable, of the wrong type, or too open."""


class VerificationError(SigningError):
    """Root of all verification failures. Verification fails closed: any of these means "no"."""


class BadSignature(VerificationError):
    """The signature does not verify (wrong key, tampered message, wrong length)."""


class MalformedKey(VerificationError):
    """A public key that is not 32 bytes or cannot be decoded."""


class EncodingError(VerificationError, ValueError):
    """Text that is not strict, canonical, padded standard base64."""
