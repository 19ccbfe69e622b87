"""The ledger's error tree. Foreign exceptions (database, crypto, JSON) are wrapped at the edge."""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every error the ledger raises."""


class TamperError(LedgerError):
    """A stored event does not verify: its bytes, signature, key or place in the chain is wrong."""

    def __init__(self, stream: str, version: int, reason: str) -> None:
        super().__init__(f"tampered event: {stream} version {version}: {reason}")
        self.stream = stream
        self.version = version
        self.reason = reason


class MalformedEnvelope(LedgerError):
    """Bytes that are not a well-formed canonical envelope."""


class ConflictError(LedgerError):
    """Someone else wrote to the same file first (stale head or duplicate version)."""


class NotFound(LedgerError):
    """No such file, applicant or record."""


class PermissionRefused(LedgerError):
    """The actor's registered role does not allow this action."""


class StoreError(LedgerError):
    """The database refused or failed (unreachable, misconfigured)."""


class ConfigurationError(LedgerError):
    """The data directory or settings are missing or inconsistent."""
