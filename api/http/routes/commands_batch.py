"""``POST /batch``: many client-signed envelopes from an integration client, grouped by file in
order of appearance, each file all or nothing, idempotent; 200 when no file was refused, 207
Multi-Status otherwise. The service keeps one batch intake (its verifying threads and its cache
of verified files) between requests, and closes it at shutdown (``close_batch_intake``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response

from api.errors import Problem
from api.http.auth import authorize, authorize_signers
from api.http.problems import PROBLEMS, as_problem
from api.http.routes.commands_common import Integrator, receipt_writes
from api.http.schemas.envelopes import BatchIn, BatchOut, EventOut, FileResult, SignedEnvelopeIn
from api.http.state import ServiceState, ledger_of, service_state
from api.tokens import Principal
from domain.codes import parse_file_code
from ledger.chain.intake import Intake
from ledger.chain.service import Ledger
from ledger.encoding.canonical import canonical_bytes
from ledger.encoding.envelope import Envelope
from ledger.errors import CanonicalError, MalformedEnvelope, NotFound
from ledger.store.events import SideWrite

log = logging.getLogger("hoso.http")


def _problem_doc(p: Problem) -> dict[str, Any]:
    return {"type": PROBLEMS + p.kind, "title": p.title, "status": p.status, "detail": p.detail}


def _batch_intake(request: Request, ledger: Ledger) -> Intake:
    """The service's batch intake: kept between requests (its verifying threads and its cache of
    verified files); replaced when the ledger or the allowed skew changes."""
    state = service_state(request)
    kept = state.batch_intake
    if kept is None or kept.ledger is not ledger or kept.max_skew != state.max_skew:
        kept = state.batch_intake = Intake(ledger, max_skew=state.max_skew)
    return kept


def close_batch_intake(state: ServiceState) -> None:
    """At shutdown: stop the batch intake's verifying threads (started by its first batch)."""
    kept = state.batch_intake
    if kept is not None:
        state.batch_intake = None
        kept.close()


def _batch_submission(
    ledger: Ledger, who: Principal, code: str, envelopes: Sequence[SignedEnvelopeIn]
) -> list[bytes]:
    """One file's envelopes of a batch, authorized and without repeats (raises on refusal)."""
    authorize(who, parse_file_code(code).unit, None, code)  # integration: its units' files
    try:
        holder: str | None = ledger.load(code).file.holder.officer
    except NotFound:
        holder = None  # a new file: its receipt's signer must be of its unit
    authorize_signers(ledger.registry(), ledger.clock(), code, holder, envelopes)
    unique: dict[bytes, None] = {}
    for e in envelopes:
        try:
            unique.setdefault(canonical_bytes(e.model_dump()), None)
        except CanonicalError as err:
            raise MalformedEnvelope(f"envelope version {e.version}: {err}") from err
    return list(unique)


def batch(request: Request, body: BatchIn, who: Integrator, response: Response) -> BatchOut:
    """For the integration client: up to 1,000 client-signed envelopes of many files. Each file is
    stored all or nothing and gets its own result; 200 when no file was refused, 207 otherwise.
    Resubmitting is safe: what is stored already answers `already-stored`."""
    ledger = ledger_of(request)
    intake = _batch_intake(request, ledger)
    groups: dict[str, list[SignedEnvelopeIn]] = {}
    for e in body.envelopes:
        groups.setdefault(e.stream, []).append(e)
    results: dict[str, FileResult] = {}

    def refused(code: str, e: Exception) -> FileResult:
        problem = as_problem(e)
        if problem.status >= 500:
            log.warning("batch: file %s failed: %s", code, e)
        return FileResult(code=code, status="refused", problem=_problem_doc(problem))

    codes: list[str] = []
    submissions: list[list[bytes]] = []
    for code, envelopes in groups.items():
        try:
            submissions.append(_batch_submission(ledger, who, code, envelopes))
            codes.append(code)
        except Exception as e:  # one file's refusal never touches the others
            results[code] = refused(code, e)
    pins: dict[str, str] = {}

    def opening(code: str, first: Envelope) -> list[SideWrite]:
        pins[code], write = receipt_writes(ledger, code, first)
        return [write]

    outcomes = intake.submit_many(submissions, now=ledger.clock(), opening=opening)
    for code, outcome in zip(codes, outcomes, strict=True):
        if outcome.error is not None:
            results[code] = refused(code, outcome.error)
            continue
        fresh = any(not d.stored_before for d in outcome.submitted)
        results[code] = FileResult(
            code=code,
            status="stored" if fresh else "already-stored",
            events=[EventOut.of(d.envelope) for d in outcome.submitted],
            pin=pins.get(code) if fresh else None,
        )
    ordered = [results[code] for code in groups]
    response.status_code = 207 if any(r.status == "refused" for r in ordered) else 200
    return BatchOut(results=ordered)
