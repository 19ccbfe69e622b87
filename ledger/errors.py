"""The ledger's one error tree. Foreign exceptions (database, crypto, JSON) are wrapped at the edge.

Every error the ledger raises on purpose is a ``LedgerError``. The verification failures of the
log (proofs, checkpoints, bundles) are also ``signing.errors.VerificationError``, so a verifier
fails closed with one ``except VerificationError``; errors that callers have always caught as
``ValueError`` keep it as a second base::

    LedgerError
    ├── TamperError
    ├── MalformedEnvelope
    ├── CanonicalError (also ValueError)               encoding
    ├── Declined                                       encoding (fast decoders' fallback)
    ├── ConflictError
    │   └── StaleHead                                  chain (intake)
    ├── NotFound
    ├── PermissionRefused
    ├── Refused                                        chain (intake)
    ├── SealError                                      chain (personal data)
    ├── StoreError
    ├── ConfigurationError
    ├── LogError                                       log
    │   └── OutOfRange
    ├── ProofRequestError (also ValueError)            log (Merkle math)
    ├── BadTilePath (also ValueError)                  log (tiles)
    ├── ProofError (also VerificationError)            log (Merkle math)
    ├── CheckpointError (also VerificationError, ValueError)
    ├── BundleError (also VerificationError)           log (offline verifier)
    └── WitnessError                                   the witness's tree: ledger/witness/errors.py

Pure modules (``ledger.encoding``, the Merkle math) may import this module: it does no I/O.
"""

from __future__ import annotations

from signing.errors import VerificationError

__all__ = [
    "BadTilePath",
    "BundleError",
    "CanonicalError",
    "CheckpointError",
    "ConfigurationError",
    "ConflictError",
    "LedgerError",
    "LogError",
    "MalformedEnvelope",
    "NotFound",
    "OutOfRange",
    "PermissionRefused",
    "ProofError",
    "ProofRequestError",
    "Refused",
    "SealError",
    "StaleHead",
    "StoreError",
    "TamperError",
]


class LedgerError(Exception):
    """Root of every error the ledger raises."""


# ---------------------------------------------------------------------------- events and chain


class TamperError(LedgerError):
    """A stored event does not verify: its bytes, signature, key or place in the chain is wrong."""

    def __init__(self, stream: str, version: int, reason: str) -> None:
        super().__init__(f"tampered event: {stream} version {version}: {reason}")
        self.stream = stream
        self.version = version
        self.reason = reason


class MalformedEnvelope(LedgerError):
    """Bytes that are not a well-formed canonical envelope."""


class CanonicalError(LedgerError, ValueError):
    """A value that has no canonical encoding, or bytes that are not a canonical encoding."""


class ConflictError(LedgerError):
    """Someone else wrote to the same file first (stale head or duplicate version)."""


class StaleHead(ConflictError):
    """The envelope's prev_hash is not the file's current head: someone acted first."""


class NotFound(LedgerError):
    """No such file, applicant or record."""


class PermissionRefused(LedgerError):
    """The actor's registered role does not allow this action."""


class Refused(LedgerError):
    """A submitted envelope breaks a rule (skew, domain rule, form)."""


class SealError(LedgerError):
    """Sealed personal data that cannot be opened with the applicant's key."""


# ------------------------------------------------------------------------ store and settings


class StoreError(LedgerError):
    """The database refused or failed (unreachable, misconfigured)."""


class ConfigurationError(LedgerError):
    """The data directory or settings are missing or inconsistent."""


# ---------------------------------------------------------------------------- the Merkle log


class LogError(LedgerError):
    """The stored tree is missing a hash it should have, or a request is out of range."""


class OutOfRange(LogError):
    """A proof request names a leaf or a tree size the log cannot answer (the caller's mistake)."""


class ProofRequestError(LedgerError, ValueError):
    """A proof or root was asked for an impossible range (index >= size, size1 > size2, ...)."""


class BadTilePath(LedgerError, ValueError):
    """A tile path that is not the canonical spelling of a tile (C2SP tlog-tiles)."""


class ProofError(VerificationError, LedgerError):
    """An inclusion or consistency proof, or a root, does not verify."""


class CheckpointError(VerificationError, ValueError, LedgerError):
    """A checkpoint body that is malformed, or not the log (origin) we expected."""


class BundleError(VerificationError, LedgerError):
    """The bundle does not prove what it claims; ``failures`` says each thing that failed."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures


class Declined(LedgerError):
    """Internal to the fast decoders (``ledger.encoding.fast``): not sure, so the reference path
    decides. Never an answer to anyone: every caller catches it (or anything) and falls back."""
