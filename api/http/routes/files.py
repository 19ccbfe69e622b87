"""Reads of one file: as it stands, its process control slip, its evidence bundle and its status
in the national portal's codes. Each is rebuilt from the file's verified events
(``Ledger.load``: every signature and chain link checked), for those who may read the file."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.bootstrap import open_log
from api.errors import Problem
from api.http import problems
from api.http.auth import forbidden, may_read_file
from api.http.middleware import problem_responses
from api.http.problems import not_found
from api.http.replay import replay
from api.http.routes.common import AUTH, Caller, Code, reads_router
from api.http.schemas.examples import BUNDLE_EXAMPLE
from api.http.schemas.reads import (
    PORTAL_LABELS,
    DeskModel,
    FileView,
    HistoryModel,
    PortalStatusModel,
    SlipRow,
)
from api.http.state import ledger_of
from api.tokens import Principal
from domain.deadlines import classify
from domain.events import Desk
from domain.file import AdministrativeFile
from domain.portal import PortalStatus, portal_channel, portal_status
from domain.procedures import CATALOGUE
from ledger.chain.sealed_text import SecretOf, remembering, reveal, reveal_all
from ledger.chain.service import VerifiedFile
from ledger.encoding.canonical import format_instant
from ledger.encoding.envelope import Envelope
from ledger.log.bundle import build_bundle
from ledger.log.storage import MerkleLog

router = reads_router()


def readable(request: Request, who: Principal, code: str) -> VerifiedFile:
    verified = ledger_of(request).load(code)
    f = verified.file
    if not may_read_file(who, f.unit, f.holder.officer or None):
        raise forbidden(f"{who.actor} may not read file {code} of unit {f.unit}")
    return verified


def _desk(f: AdministrativeFile) -> DeskModel:
    return DeskModel(
        officer=f.holder.officer, department=f.holder.department, agency=f.holder.agency
    )


def _portal(code: str, status: PortalStatus) -> PortalStatusModel:
    vi, en = PORTAL_LABELS[status]
    return PortalStatusModel(code=code, portal_status=int(status), label=en, label_vi=vi)


@router.get(
    "/files/{code}",
    summary="A file as it stands",
    description="State, holder, appointment, deadline, timeliness, national portal status, fee "
    "and missing papers, rebuilt from the file's verified events. No personal data.",
    responses=problem_responses(*AUTH, 404),
)
def read_file(request: Request, code: Code, who: Caller) -> FileView:
    verified = readable(request, who, code)
    f = verified.file
    ledger = ledger_of(request)
    now = ledger.clock()
    secret_of = remembering(ledger.applicant_secret)  # free text in clear until forgotten
    proc = CATALOGUE.get(f.procedure)
    status = portal_status(f)
    return FileView(
        code=f.id,
        unit=f.unit,
        procedure=f.procedure,
        procedure_vi=proc.name_vi if proc else f.procedure,
        procedure_en=proc.name_en if proc else f.procedure,
        channel=f.channel,
        state=f.state.value,
        holder=_desk(f),
        holder_since=format_instant(f.holder_since),
        received_at=format_instant(f.received_at),
        due_at=format_instant(f.due_at),
        appointment_at=format_instant(f.appointment_at),
        apologies=f.apologies,
        apology_reason=reveal(f.last_apology_reason, secret_of),
        timeliness=f.timeliness,
        overdue=f.overdue(now),
        portal_status=int(status),
        portal_label=PORTAL_LABELS[status][1],
        portal_channel=portal_channel(f.channel),
        fee_due_vnd=f.fee_due_vnd,
        fee_paid_vnd=f.fee_paid_vnd,
        missing_items=list(reveal_all(f.missing_items, secret_of)),
        closed_at=format_instant(f.closed_at) if f.closed_at else None,
        version=f.version,
        head_hash=verified.head_hash,
    )


def _note(env: Envelope, secret_of: SecretOf) -> str:
    """The slip's note column; never the applicant's data (the sealed payload stays sealed);
    free text in clear while the applicant's key exists, ``[erased]`` after."""
    p = env.payload

    def text(key: str) -> str:
        return reveal(str(p[key]), secret_of) or ""

    if env.type == "FileReceived":
        return f"{len(p['documents'])} papers at counter {p['counter']} ({p['channel']})"
    if env.type == "FileHandedOff":
        return text("note")
    if env.type == "SubmittedForSignature":
        return f"to {p['leader']}"
    if env.type in ("SupplementRequested", "SupplementReceived"):
        return "; ".join(reveal_all(p["items"], secret_of))
    if env.type == "ApologyIssued":
        return f"{text('reason')} (new date {str(p['new_appointment_at'])[:10]})"
    if env.type in ("FeeRequested", "FeePaid"):
        return f"{p['amount_vnd']} VND"
    if "reason" in p:
        return text("reason")
    for key in ("method", "rating", "document_sha256"):
        if key in p:
            return str(p[key])
    return ""


@router.get(
    "/files/{code}/history",
    summary="The process control slip",
    description="Phiếu kiểm soát quá trình giải quyết hồ sơ: one row per signed event with the "
    "giver and receiver desks, the time against the deadline in force, the envelope hash and "
    "the event's leaf in the Merkle log (null until integrated).",
    responses=problem_responses(*AUTH, 404),
)
def read_history(request: Request, code: Code, who: Caller) -> HistoryModel:
    verified = readable(request, who, code)
    ledger = ledger_of(request)
    leaves = open_log(ledger).leaves_of(code)
    secret_of = remembering(ledger.applicant_secret)
    rows: list[SlipRow] = []
    before = None
    for env, after in zip(verified.envelopes, replay(verified.envelopes), strict=True):
        moved = before is None or before.holder != after.holder
        rows.append(
            SlipRow(
                version=env.version,
                type=env.type,
                occurred_at=env.unsigned.occurred_at,
                recorded_at=env.recorded_at,
                actor=env.actor,
                from_desk=_desk_of(before.holder) if moved and before is not None else None,
                to_desk=_desk_of(after.holder) if moved else None,
                note=_note(env, secret_of),
                vs_due=classify(ledger.calendar, env.occurred_at, after.due_at).value,
                portal_status_after=int(after.status),
                hash=env.hash(),
                leaf_index=leaves.get(env.version),
            )
        )
        before = after
    return HistoryModel(code=code, verified=True, rows=rows)


BUNDLE_RESPONSE: dict[str, Any] = {
    "description": "A `hoso-bundle/v2` document.",
    "content": {"application/json": {"schema": {"type": "object"}, "example": BUNDLE_EXAMPLE}},
}


def _desk_of(holder: Desk) -> DeskModel:
    return DeskModel(officer=holder.officer, department=holder.department, agency=holder.agency)


@router.get(
    "/files/{code}/bundle",
    summary="The file's evidence bundle",
    description="The same document as `/log/bundles/{code}`: every event of the file and of the "
    "key registry with its inclusion proof in the latest checkpoint, for `hoso verify` offline. "
    "409 with Retry-After while a checkpoint does not yet cover every event of the file.",
    responses={200: BUNDLE_RESPONSE, **problem_responses(*AUTH, 404, 409)},
    response_class=JSONResponse,
)
def read_bundle(request: Request, code: Code, who: Caller) -> JSONResponse:
    readable(request, who, code)
    return bundle_answer(open_log(ledger_of(request)), code)


def bundle_answer(merkle_log: MerkleLog, code: str) -> JSONResponse:
    """The file's evidence bundle at the latest checkpoint: 404 for no such file, 409 (with
    ``Retry-After``) while the latest checkpoint does not cover all its events, 500 when the log
    covers events the store no longer holds."""
    latest = merkle_log.latest_checkpoint()
    covered, stored = merkle_log.coverage(code, latest.size if latest else 0)
    if covered > stored:  # the log holds events the store lost: never a bundle without them
        raise Problem(
            500,
            "ledger-integrity",
            "The ledger's store disagrees with its log",
            f"the log covers {covered} events of file {code} but the store holds {stored}: "
            "events were deleted from the store; run hoso audit",
        )
    if stored == 0:
        raise not_found(f"no file {code}")
    if latest is None or covered != stored:
        raise problems.not_checkpointed(
            f"file {code} has events that no checkpoint covers yet; retry shortly"
        )
    return JSONResponse(
        build_bundle(merkle_log, code, latest), headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/files/{code}/portal-status",
    summary="The file's status in the national portal's codes",
    description="1 received online/new, 2 accepted, 3 not accepted, 4 in progress, 5 supplement "
    "requested, 6 payment requested, 7 withdrawn, 8 stopped, 9 processed, 10 returned.",
    responses=problem_responses(*AUTH, 404),
)
def read_portal_status(request: Request, code: Code, who: Caller) -> PortalStatusModel:
    return _portal(code, portal_status(readable(request, who, code).file))
