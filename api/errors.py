"""The api's own errors, and the one table that says how every known error is answered: over
HTTP as RFC 9457 problem details (status, ``type`` kind, title), on the command line as one line
and an exit code. ``api.http.problems`` and ``api.cli.main`` both read ``answer_for``; neither
keeps a mapping of its own (they never import each other)::

    ApiError
    ├── Problem     raised by a route to answer with a given problem (HTTP)
    └── CliError    a user-facing failure of a command: printed as one line (CLI)

The table is searched in order and the first row whose class matches wins, so a subclass is
listed before its base. The HTTP framework's own errors (no such route, a body that does not
validate) are answered in ``api.http.problems``, with kinds and titles from ``status_kind``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.persistence import IntegrityError as StoreIntegrityError

from domain.errors import CalendarNotPublished, DomainError, IllegalTransition
from ledger.errors import (
    BadTilePath,
    CanonicalError,
    ConfigurationError,
    ConflictError,
    LedgerError,
    LogError,
    MalformedEnvelope,
    NotFound,
    OutOfRange,
    PermissionRefused,
    ProofRequestError,
    Refused,
    StoreError,
)
from ledger.store.outages import DATABASE_OUTAGES
from ledger.witness.errors import (
    WitnessBadProof,
    WitnessBadSignature,
    WitnessError,
    WitnessRollback,
    WitnessSplitView,
    WitnessUnknownLog,
)
from projections.errors import EntriesDoNotMatch, ProjectionFailed
from signing.errors import KeyNotValid, SigningError, VerificationError

__all__ = [
    "ANSWERS",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "INTERNAL",
    "RETRY_AFTER_SECONDS",
    "Answer",
    "ApiError",
    "CliError",
    "Problem",
    "answer_for",
    "status_kind",
    "witness_answer",
]

EXIT_FAILED = 1  # the command ran and failed (the ledger refused, a check failed)
EXIT_USAGE = 2  # the command was given something wrong (a rule, a key, an argument)
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """Root of the errors the api raises itself."""


class Problem(ApiError):
    """Raised by a route to answer with a given problem (kind is the last part of the type URI)."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class CliError(ApiError):
    """A user-facing failure: printed as one line."""


@dataclass(frozen=True)
class Answer:
    """How one kind of error is answered.

    ``detail`` replaces the exception's text when that text must not reach the client;
    ``exit_code`` None means the CLI does not know the error either: its last line of defence
    prints it as unexpected. ``retry_after`` (seconds) is sent as the ``Retry-After`` header.
    """

    status: int
    kind: str
    title: str
    exit_code: int | None
    detail: str | None = None
    retry_after: int | None = None


INTERNAL = Answer(
    500, "internal", "Internal server error", None, detail="an unexpected error occurred"
)
_UNAVAILABLE = Answer(
    503,
    "unavailable",
    "Service unavailable",
    EXIT_FAILED,
    detail="the ledger database is unavailable; try again shortly",
    retry_after=RETRY_AFTER_SECONDS,
)
_REFUSED = Answer(400, "refused", "Request refused", EXIT_FAILED)
_KEY_NOT_VALID = Answer(403, "key-not-valid", "Key not valid", None)
_BAD_SIGNATURE = Answer(403, "bad-signature", "Bad signature", None)

Match = type[BaseException] | tuple[type[BaseException], ...]

ANSWERS: Sequence[tuple[Match, Answer]] = (
    ((OutOfRange, ProofRequestError), Answer(400, "out-of-range", "Out of range", EXIT_FAILED)),
    ((NotFound, LogError), Answer(404, "not-found", "Not found", EXIT_FAILED)),
    (
        StoreIntegrityError,
        Answer(409, "conflict", "Conflict", None, "another write got there first; try again"),
    ),
    (StoreError, _UNAVAILABLE),
    (DATABASE_OUTAGES, replace(_UNAVAILABLE, exit_code=None)),  # the drivers' own
    (ConfigurationError, Answer(503, "misconfigured", "Service misconfigured", EXIT_FAILED)),
    (IllegalTransition, Answer(409, "illegal-transition", "Illegal transition", EXIT_USAGE)),
    (
        CalendarNotPublished,
        Answer(409, "calendar-not-published", "Working calendar not published", EXIT_FAILED),
    ),
    (DomainError, Answer(422, "invalid-value", "Invalid value", EXIT_USAGE)),
    (ConflictError, Answer(409, "conflict", "Conflict", EXIT_FAILED)),  # and StaleHead
    # these two are refined by their causes: a key not valid, or a signature that fails
    (PermissionRefused, Answer(403, "permission-refused", "Permission refused", EXIT_FAILED)),
    (VerificationError, Answer(403, "bad-signature", "Bad signature", EXIT_USAGE)),
    (Refused, Answer(422, "refused", "Request refused", EXIT_FAILED)),
    (MalformedEnvelope, Answer(422, "malformed-envelope", "Malformed envelope", EXIT_FAILED)),
    # escaped from the server's own encoding or paths (routes answer the client's): our fault
    ((CanonicalError, BadTilePath), INTERNAL),
    (LedgerError, _REFUSED),
    (ProjectionFailed, _REFUSED),
    (EntriesDoNotMatch, Answer(409, "log-mismatch", "Log does not match", EXIT_FAILED)),
    (SigningError, replace(INTERNAL, exit_code=EXIT_USAGE)),  # a key file, a registry rule
    (CliError, replace(INTERNAL, exit_code=EXIT_USAGE)),
)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    at: BaseException | None = exc
    while at is not None and at not in chain:
        chain.append(at)
        at = at.__cause__
    return chain


def _by_cause(exc: BaseException, answer: Answer) -> Answer:
    """A refused permission or a failed verification says which: the key, or the signature."""
    chain = _causes(exc)
    if any(isinstance(c, KeyNotValid) for c in chain):
        return replace(_KEY_NOT_VALID, exit_code=answer.exit_code)
    if any(isinstance(c, VerificationError) for c in chain):
        return replace(_BAD_SIGNATURE, exit_code=answer.exit_code)
    return answer


def answer_for(exc: BaseException) -> Answer | None:
    """The answer to ``exc``: the first row of ``ANSWERS`` it matches, or None if it is not a
    known error (HTTP then answers ``INTERNAL``; the CLI prints it as unexpected)."""
    for match, answer in ANSWERS:
        if isinstance(exc, match):
            if match is PermissionRefused or match is VerificationError:
                return _by_cause(exc, answer)
            return answer
    return None


# ------------------------------------------------------------------------------- the witness

_WITNESS_KINDS: Sequence[tuple[type[WitnessError], str, str]] = (
    (WitnessUnknownLog, "witness-unknown-log", "Unknown log"),
    (WitnessBadSignature, "witness-bad-signature", "Checkpoint signature not verified"),
    (WitnessBadProof, "witness-bad-proof", "Consistency proof does not verify"),
    (WitnessSplitView, "witness-split-view", "Another root for a size already cosigned"),
    (WitnessRollback, "witness-rollback", "Checkpoint older than the one cosigned"),
)


def witness_answer(exc: WitnessError) -> Answer:
    """A witness's answer (C2SP tlog-witness): the status each ``WitnessError`` carries."""
    for cls, kind, title in _WITNESS_KINDS:
        if isinstance(exc, cls):
            return Answer(exc.status, kind, title, EXIT_FAILED)
    if exc.status >= 500:
        return Answer(
            500,
            "witness-state",
            "Witness unavailable",
            EXIT_FAILED,
            detail="the witness state is unusable",
        )
    return Answer(exc.status, "bad-request", "Bad request", EXIT_FAILED)


# ------------------------------------------------------------- the HTTP framework's statuses

_STATUS_KINDS: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
}


def status_kind(status: int) -> tuple[str, str]:
    """The problem kind and title for an HTTP status the framework answers by itself."""
    return _STATUS_KINDS.get(status, ("http-" + str(status), "HTTP error " + str(status)))
