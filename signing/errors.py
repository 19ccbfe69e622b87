"""The one error tree of the signing package.

Everything this package raises on purpose is a ``SigningError``. Every verification failure is a
``VerificationError``, so callers can fail closed with a single ``except VerificationError``::

    SigningError
    ├── KeyFileError
    ├── RegistryRefused
    └── VerificationError
        ├── BadSignature
        ├── MalformedKey
        ├── EncodingError (also ValueError)
        ├── KeyNotValid
        └── NoteError (also ValueError)
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "EncodingError",
    "KeyFileError",
    "KeyNotValid",
    "MalformedKey",
    "NoteError",
    "RegistryRefused",
    "SigningError",
    "VerificationError",
]


class SigningError(Exception):
    """Root of every error raised by ``signing``."""


class KeyFileError(SigningError):
    """A private key file is missing, unreadable, of the wrong type, or too open."""


class RegistryRefused(SigningError):
    """A registry command broke a rule (unauthorised admin, duplicate key, retroactive revoke)."""


class VerificationError(SigningError):
    """Root of all verification failures. Verification fails closed: any of these means "no"."""


class BadSignature(VerificationError):
    """The signature does not verify (wrong key, tampered message, wrong length)."""


class MalformedKey(VerificationError):
    """A public key that is not 32 bytes or cannot be decoded."""


class EncodingError(VerificationError, ValueError):
    """Text that is not strict, canonical, padded standard base64."""


class KeyNotValid(VerificationError):
    """The key is unknown, belongs to someone else, or was not valid at that instant."""


class NoteError(VerificationError, ValueError):
    """A C2SP signed note, note signature or verifier key that is malformed or does not verify."""
