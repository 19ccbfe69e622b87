"""The one table of answers (``api.errors``): what HTTP and the CLI answer for each known error.

The end-to-end answers are checked in ``tests/api``; these pin the table row by row, including
the errors that are both a ledger error and a verification failure (a proof, a checkpoint, a
bundle), which answer as verification failures: 403 and exit code 2.
"""

from __future__ import annotations

import sqlite3

import pytest
from eventsourcing.persistence import IntegrityError as StoreIntegrityError

from api.errors import (
    EXIT_FAILED,
    EXIT_USAGE,
    CliError,
    Problem,
    answer_for,
    status_kind,
    witness_answer,
)
from api.http.problems import as_problem
from domain.errors import DomainError, IllegalTransition, InvalidValue
from ledger.errors import (
    BadTilePath,
    BundleError,
    CanonicalError,
    CheckpointError,
    ConfigurationError,
    LedgerError,
    LogError,
    MalformedEnvelope,
    NotFound,
    OutOfRange,
    PermissionRefused,
    ProofError,
    ProofRequestError,
    Refused,
    StaleHead,
    StoreError,
    TamperError,
)
from ledger.witness.errors import (
    WitnessBadProof,
    WitnessConflict,
    WitnessMalformed,
    WitnessStateError,
    WitnessUnknownLog,
)
from projections.errors import PeriodError, ProjectionFailed
from signing.errors import BadSignature, KeyFileError, KeyNotValid, NoteError, RegistryRefused

CASES: list[tuple[BaseException, int, str, int | None]] = [
    (OutOfRange("x"), 400, "out-of-range", EXIT_FAILED),
    (ProofRequestError("x"), 400, "out-of-range", EXIT_FAILED),
    (NotFound("x"), 404, "not-found", EXIT_FAILED),
    (LogError("x"), 404, "not-found", EXIT_FAILED),
    (StoreIntegrityError("x"), 409, "conflict", None),
    (StoreError("x"), 503, "unavailable", EXIT_FAILED),
    (sqlite3.OperationalError("x"), 503, "unavailable", None),
    (ConfigurationError("x"), 503, "misconfigured", EXIT_FAILED),
    (IllegalTransition("F-1", "returned", "hand_off"), 409, "illegal-transition", EXIT_USAGE),
    (InvalidValue("x"), 422, "invalid-value", EXIT_USAGE),
    (DomainError("x"), 422, "invalid-value", EXIT_USAGE),
    (StaleHead("x"), 409, "conflict", EXIT_FAILED),
    (PermissionRefused("x"), 403, "permission-refused", EXIT_FAILED),
    (BadSignature("x"), 403, "bad-signature", EXIT_USAGE),
    (KeyNotValid("x"), 403, "key-not-valid", EXIT_USAGE),
    (NoteError("x"), 403, "bad-signature", EXIT_USAGE),
    (ProofError("x"), 403, "bad-signature", EXIT_USAGE),
    (CheckpointError("x"), 403, "bad-signature", EXIT_USAGE),
    (BundleError(["x"]), 403, "bad-signature", EXIT_USAGE),
    (Refused("x"), 422, "refused", EXIT_FAILED),
    (MalformedEnvelope("x"), 422, "malformed-envelope", EXIT_FAILED),
    (TamperError("F-1", 1, "x"), 400, "refused", EXIT_FAILED),
    (CanonicalError("x"), 500, "internal", None),  # routes answer the client's own (422, 404)
    (BadTilePath("x"), 500, "internal", None),
    (LedgerError("x"), 400, "refused", EXIT_FAILED),
    (ProjectionFailed("files", 7, "boom"), 400, "refused", EXIT_FAILED),
    (KeyFileError("x"), 500, "internal", EXIT_USAGE),
    (RegistryRefused("x"), 500, "internal", EXIT_USAGE),
    (CliError("x"), 500, "internal", EXIT_USAGE),
    (PeriodError("x"), 500, "internal", None),
    (RuntimeError("x"), 500, "internal", None),
]


@pytest.mark.parametrize(("exc", "status", "kind", "exit_code"), CASES)
def test_each_error_has_one_answer_for_http_and_the_cli(
    exc: BaseException, status: int, kind: str, exit_code: int | None
) -> None:
    problem = as_problem(exc)
    assert (problem.status, problem.kind) == (status, kind)
    answer = answer_for(exc)
    assert (answer.exit_code if answer else None) == exit_code


def test_a_refused_permission_names_its_cause() -> None:
    refused = PermissionRefused("signature check failed")
    refused.__cause__ = KeyNotValid("revoked")
    assert as_problem(refused).kind == "key-not-valid"
    refused.__cause__ = BadSignature("no")
    assert as_problem(refused).kind == "bad-signature"
    answer = answer_for(refused)
    assert answer is not None and answer.exit_code == EXIT_FAILED


def test_internal_details_and_outages_never_leak_the_exception_text() -> None:
    assert as_problem(RuntimeError("secret")).detail == "an unexpected error occurred"
    outage = as_problem(StoreError("psql: password for hoso"))
    assert "password" not in outage.detail
    assert outage.headers == {"Retry-After": "5"}


def test_a_problem_answers_itself() -> None:
    p = Problem(418, "teapot", "Teapot", "short and stout")
    assert as_problem(p) is p


def test_witness_answers_carry_the_witness_status() -> None:
    assert witness_answer(WitnessUnknownLog("x")).status == 404
    assert witness_answer(WitnessBadProof("x")).kind == "witness-bad-proof"
    assert witness_answer(WitnessMalformed("x")).kind == "bad-request"
    assert witness_answer(WitnessConflict(3)).status == 409
    state = witness_answer(WitnessStateError("/secret/path"))
    assert (state.status, state.detail) == (500, "the witness state is unusable")


def test_framework_statuses() -> None:
    assert status_kind(405) == ("method-not-allowed", "Method not allowed")
    assert status_kind(418) == ("http-418", "HTTP error 418")
