"""The witness's error tree (lỗi của bên chứng kiến): what a witness refuses, and why a request
to one failed. One root, ``WitnessError``, under the ledger's ``LedgerError``."""

from __future__ import annotations

from ledger.errors import LedgerError


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


class WitnessPolicyError(WitnessError):
    """Witness verifier keys or a minimum that cannot make a witness policy."""


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
    """A second root for the size already cosigned (422: tlog-witness since its size-match
    clarification; 409 before it). ``current_size`` is that size."""

    status = 422

    def __init__(self, current_size: int, message: str) -> None:
        super().__init__(message)
        self.current_size = current_size


# ---------------------------------------------------------------------------------- state
