"""Reads over HTTP for officers, leaders, unit administrators, integration clients and inspectors.

Who reads what (``api.auth``): inspectors read everything; everyone else reads the files of their
unit(s) and the files they hold, their units' queues and feed. No answer carries personal data:
the applicant appears nowhere (not even as the pseudonymous reference); staff appear by actor id.
A file is read from its verified events (``Ledger.load``: every signature and chain link checked);
queues, figures and the inspector's index come from the projections (``projections.*``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from api import problems
from api.auth import ApiRole, Principal, forbidden, may_read_file, principal, require
from api.examples import BUNDLE_EXAMPLE
from api.middleware import no_unknown_query, problem_responses
from api.models_reads import (
    _CURSOR_TEXT,
    ACTOR_PATTERN,
    CODE_PATTERN,
    CURSOR_PATTERN,
    EARLIEST,
    LATEST,
    PERIOD_PATTERN,
    PORTAL_LABELS,
    PROCEDURE_PATTERN,
    TYPE_PATTERN,
    UNIT_PATTERN,
    ActionModel,
    DeskModel,
    FeedItem,
    FeedPage,
    FileView,
    HistoryModel,
    LoadModel,
    PortalStatusModel,
    QueueEntryModel,
    QueueModel,
    SlipRow,
    TransparencyModel,
    UnitRank,
    figures_model,
)
from api.problems import Problem
from api.wiring import open_log
from domain.codes import parse_file_code
from domain.deadlines import classify
from domain.errors import DomainError
from domain.events import Desk
from domain.file import AdministrativeFile
from domain.portal import PortalStatus, portal_status
from domain.procedures import CATALOGUE
from ledger import codec
from ledger.bundle import build_bundle
from ledger.envelope import Envelope, decode
from ledger.service import Ledger, VerifiedFile
from ledger.timefmt import format_instant
from projections.figures import rank_units, render_ratio, transparency
from projections.periods import PeriodError, parse_period
from projections.queries import actions, file_rows, workload
from projections.queues import queue
from signing.registry import REGISTRY_STREAM

router = APIRouter(tags=["reads"], dependencies=[Depends(no_unknown_query)])

Code = Annotated[
    str,
    Path(pattern=CODE_PATTERN, max_length=24, examples=["PBADINH-260212-0003"]),
]
Caller = Annotated[Principal, Depends(principal)]
AUTH = (401, 403, 422, 503)


def ledger_of(request: Request) -> Ledger:
    ledger: Ledger | None = getattr(request.app.state, "ledger", None)
    if ledger is None:
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger is not open (the service is starting or stopping)",
            headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
        )
    return ledger


def invalid(where: str, message: str) -> RequestValidationError:
    """A 422 like FastAPI's own, for checks a declared type cannot express."""
    loc = tuple(where.split("."))
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def _readable(request: Request, who: Principal, code: str) -> VerifiedFile:
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
    verified = _readable(request, who, code)
    f = verified.file
    now = ledger_of(request).clock()
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
        apology_reason=f.last_apology_reason,
        timeliness=f.timeliness,
        overdue=f.overdue(now),
        portal_status=int(status),
        portal_label=PORTAL_LABELS[status][1],
        fee_due_vnd=f.fee_due_vnd,
        fee_paid_vnd=f.fee_paid_vnd,
        missing_items=list(f.missing_items),
        closed_at=format_instant(f.closed_at) if f.closed_at else None,
        version=f.version,
        head_hash=verified.head_hash,
    )


def _note(env: Envelope) -> str:
    """The slip's note column; never the applicant's data (the sealed payload stays sealed)."""
    p = env.payload
    if env.type == "FileReceived":
        return f"{len(p['documents'])} papers at counter {p['counter']} ({p['channel']})"
    if env.type == "FileHandedOff":
        return str(p["note"])
    if env.type == "SubmittedForSignature":
        return f"to {p['leader']}"
    if env.type in ("SupplementRequested", "SupplementReceived"):
        return "; ".join(p["items"])
    if env.type == "ApologyIssued":
        return f"{p['reason']} (new date {str(p['new_appointment_at'])[:10]})"
    if env.type in ("FeeRequested", "FeePaid"):
        return f"{p['amount_vnd']} VND"
    for key in ("reason", "method", "rating", "document_sha256"):
        if key in p:
            return str(p[key])
    return ""


@dataclass(frozen=True)
class _Snap:
    """What the slip and the feed need of the file right after one event."""

    holder: Desk
    due_at: datetime
    status: PortalStatus


def _replay(envelopes: Sequence[Envelope]) -> list[_Snap]:
    """The file's state after each of its events, in order."""
    states: list[_Snap] = []
    f: Any = None
    for env in envelopes:
        event = codec.from_payload(
            env.type,
            env.payload,
            stream=env.stream,
            version=env.version,
            occurred_at=env.occurred_at,
            actor=env.actor,
        )
        f = event.mutate(f)
        assert isinstance(f, AdministrativeFile)
        states.append(_snapshot(f))
    return states


def _snapshot(f: AdministrativeFile) -> _Snap:
    return _Snap(f.holder, f.due_at, portal_status(f))


@router.get(
    "/files/{code}/history",
    summary="The process control slip",
    description="Phiếu kiểm soát quá trình giải quyết hồ sơ: one row per signed event with the "
    "giver and receiver desks, the time against the deadline in force, the envelope hash and "
    "the event's leaf in the Merkle log (null until integrated).",
    responses=problem_responses(*AUTH, 404),
)
def read_history(request: Request, code: Code, who: Caller) -> HistoryModel:
    verified = _readable(request, who, code)
    ledger = ledger_of(request)
    leaves = {
        int(r["version"]): int(r["leaf_index"])
        for r in ledger.store.query(
            "SELECT version, leaf_index FROM hoso_log_leaves WHERE stream = ?", (code,)
        )
    }
    rows: list[SlipRow] = []
    before = None
    for env, after in zip(verified.envelopes, _replay(verified.envelopes), strict=True):
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
                note=_note(env),
                vs_due=classify(ledger.calendar, env.occurred_at, after.due_at).value,
                portal_status_after=int(after.status),
                hash=env.hash(),
                leaf_index=leaves.get(env.version),
            )
        )
        before = after
    return HistoryModel(code=code, verified=True, rows=rows)


def _desk_of(holder: Desk) -> DeskModel:
    return DeskModel(officer=holder.officer, department=holder.department, agency=holder.agency)


@router.get(
    "/files/{code}/bundle",
    summary="The file's evidence bundle",
    description="The same document as `/log/bundles/{code}`: every event of the file and of the "
    "key registry with its inclusion proof in the latest checkpoint, for `hoso verify` offline. "
    "409 with Retry-After while a checkpoint does not yet cover every event of the file.",
    responses={
        200: {
            "description": "A `hoso-bundle/v1` document.",
            "content": {
                "application/json": {"schema": {"type": "object"}, "example": BUNDLE_EXAMPLE}
            },
        },
        **problem_responses(*AUTH, 404, 409),
    },
    response_class=JSONResponse,
)
def read_bundle(request: Request, code: Code, who: Caller) -> JSONResponse:
    _readable(request, who, code)
    merkle_log = open_log(ledger_of(request))
    latest = merkle_log.latest_checkpoint()
    covered = merkle_log.store.query(
        "SELECT COUNT(*) AS n FROM hoso_log_leaves WHERE stream = ? AND leaf_index < ?",
        (code, latest.size if latest else 0),
    )
    stored = merkle_log.store.query(
        "SELECT COUNT(*) AS n FROM hoso_events WHERE originator_id = ?", (code,)
    )
    if latest is None or int(covered[0]["n"]) != int(stored[0]["n"]):
        raise Problem(
            409,
            "not-yet-checkpointed",
            "Not yet in a checkpoint",
            f"file {code} has events that no checkpoint covers yet; retry shortly",
            headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
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
    return _portal(code, portal_status(_readable(request, who, code).file))


@router.get(
    "/queues/{unit}",
    summary="A unit's work queue",
    description="The open files the unit holds now (received by it or held by it as the "
    "agency), optionally of one department or officer: the most pressing appointment first; "
    "files waiting for the citizen's papers apart (their clock is stopped). From the projection.",
    responses=problem_responses(*AUTH),
)
def read_queue(
    request: Request,
    who: Caller,
    unit: Annotated[str, Path(pattern=UNIT_PATTERN, examples=["PBADINH"])],
    department: Annotated[
        str | None, Query(min_length=1, max_length=100, examples=["tu-phap"])
    ] = None,
    officer: Annotated[
        str | None, Query(pattern=ACTOR_PATTERN, max_length=64, examples=["an"])
    ] = None,
) -> QueueModel:
    if not (who.reads_everything() or who.acts_for(unit)):
        raise forbidden(f"{who.actor} does not work for unit {unit}")
    ledger = ledger_of(request)
    rows = file_rows(
        ledger.store, "closed_at IS NULL AND (unit = ? OR holder_agency = ?)", (unit, unit)
    )
    now = ledger.clock()
    q = queue(
        rows, now=now, calendar=ledger.calendar, unit=unit, department=department, officer=officer
    )

    def entry(e: Any) -> QueueEntryModel:
        return QueueEntryModel(
            code=e.code,
            procedure=e.procedure,
            state=e.state,
            holder=DeskModel(
                officer=e.holder_officer, department=e.holder_department, agency=e.holder_agency
            ),
            since=format_instant(e.since),
            appointment_at=format_instant(e.appointment),
            minutes_left=e.minutes_left,
            overdue=e.overdue,
            due_within_a_day=e.due_within_a_day,
        )

    return QueueModel(
        unit=unit,
        department=department,
        officer=officer,
        now=format_instant(now),
        overdue=q.overdue,
        due_within_a_day=q.due_within_a_day,
        entries=[entry(e) for e in q.entries],
        awaiting_supplement=[entry(e) for e in q.awaiting_supplement],
    )


@router.get(
    "/transparency",
    summary="Transparency figures and the units' ranking",
    description="Công khai kết quả giải quyết hồ sơ for a period (`2026-07-15`, `2026-07`, "
    '`2026-Q3`, `2026`): counts, shares as exact percentages rendered as strings (`"85.21%"`, '
    '`"—"` when undefined), and, without `unit`, every unit ranked by Decision 766 progress.',
    responses=problem_responses(*AUTH),
)
def read_transparency(
    request: Request,
    who: Caller,
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, examples=["2026-02"])],
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, examples=["PBADINH"])] = None,
    procedure: Annotated[
        str | None, Query(pattern=PROCEDURE_PATTERN, examples=["certified_copy"])
    ] = None,
) -> TransparencyModel:
    try:
        chosen = parse_period(period)
    except PeriodError as e:
        raise invalid("query.period", str(e)) from e
    ledger = ledger_of(request)
    rows = file_rows(ledger.store)
    now = ledger.clock()
    figures = transparency(
        rows, chosen, now=now, calendar=ledger.calendar, unit=unit, procedure=procedure
    )
    ranking = [] if unit else rank_units(rows, chosen, now=now, calendar=ledger.calendar)
    return TransparencyModel(
        figures=figures_model(figures),
        ranking=[
            UnitRank(
                rank=s.rank,
                unit=s.unit,
                progress=render_ratio(s.figures.progress),
                receiving_satisfaction=render_ratio(s.figures.receiving_satisfaction),
                on_time_rate=render_ratio(s.figures.on_time_rate),
                online_share=render_ratio(s.figures.online_share),
            )
            for s in ranking
        ],
    )


def _instant(value: datetime | None, where: str) -> datetime | None:
    if value is not None and not EARLIEST <= value.year <= LATEST:
        raise invalid(where, f"the year must be in {EARLIEST}..{LATEST}")
    return value


@router.get(
    "/inspect/actions",
    summary="The inspector's index of actions",
    description="Every action (event), filtered by actor, unit, type and time [from, to), in "
    "log order, each pointing at its file and its leaf (null until integrated). Inspectors "
    "read every unit; a unit administrator reads their own unit only.",
    responses={
        **problem_responses(*AUTH),
        200: {
            "description": "Actions in log order.",
            "content": {
                "application/json": {
                    "example": [
                        {
                            "position": 361,
                            "code": "PBADINH-261120-0042",
                            "version": 4,
                            "type": "ResultSigned",
                            "actor": "phochutich1",
                            "unit": "PBADINH",
                            "occurred_at": "2026-11-20T03:11:00.000000Z",
                            "leaf_index": 360,
                        }
                    ]
                }
            },
        },
    },
)
def read_actions(
    request: Request,
    who: Annotated[Principal, Depends(require(ApiRole.INSPECTOR, ApiRole.UNIT_ADMIN))],
    actor: Annotated[str | None, Query(pattern=ACTOR_PATTERN, examples=["an"])] = None,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, examples=["PBADINH"])] = None,
    type_: Annotated[
        str | None, Query(alias="type", pattern=TYPE_PATTERN, examples=["FileHandedOff"])
    ] = None,
    start: Annotated[
        AwareDatetime | None, Query(alias="from", examples=["2026-02-12T00:00:00Z"])
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(alias="to", examples=["2026-02-13T00:00:00Z"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActionModel]:
    if not who.reads_everything():
        if unit is not None and unit != who.unit:
            raise forbidden(f"{who.actor} administers unit {who.unit}, not {unit}")
        unit = who.unit
    found = actions(
        ledger_of(request).store,
        actor=actor,
        unit=unit,
        type_=type_,
        start=_instant(start, "query.from"),
        end=_instant(end, "query.to"),
        limit=limit,
    )
    return [
        ActionModel(
            position=a.position,
            code=a.code,
            version=a.version,
            type=a.type,
            actor=a.actor,
            unit=a.unit,
            occurred_at=format_instant(a.occurred_at),
            leaf_index=a.leaf_index,
        )
        for a in found
    ]


@router.get(
    "/inspect/workload",
    summary="Officers' workload",
    description="Per officer: files held now, files handled, late files and the office minutes "
    "they held late files; the longest late holders first. Inspectors only.",
    responses={
        **problem_responses(*AUTH),
        200: {
            "description": "Officers, longest late holders first.",
            "content": {
                "application/json": {
                    "example": [
                        {
                            "officer": "tu1",
                            "holding_now": 31,
                            "handled": 100,
                            "late_files": 21,
                            "late_holding_minutes": 6798,
                        }
                    ]
                }
            },
        },
    },
)
def read_workload(
    request: Request,
    who: Annotated[Principal, Depends(require(ApiRole.INSPECTOR))],
) -> list[LoadModel]:
    ledger = ledger_of(request)
    loads = workload(ledger.store, now=ledger.clock(), calendar=ledger.calendar)
    return [
        LoadModel(
            officer=x.officer,
            holding_now=x.holding_now,
            handled=x.handled,
            late_files=x.late_files,
            late_holding_minutes=x.late_holding_minutes,
        )
        for x in loads
    ]


# ------------------------------------------------------------------------------- the feed
def encode_cursor(leaf_index: int) -> str:
    return base64.urlsafe_b64encode(f"leaf:{leaf_index}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The leaf index a cursor names; anything but a cursor this service issued is a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise invalid("query.after", "not a feed cursor") from e
    m = _CURSOR_TEXT.match(text)
    if m is None or encode_cursor(int(m.group(1))) != cursor:
        raise invalid("query.after", "not a feed cursor")
    return int(m.group(1))


def _unit_of(env: Envelope) -> str | None:
    if env.stream == REGISTRY_STREAM:
        unit = env.payload.get("unit")
        return unit if isinstance(unit, str) else None
    try:
        return parse_file_code(env.stream).unit
    except DomainError:
        return None


def _portal_after(ledger: Ledger, wanted: dict[str, set[int]]) -> dict[tuple[str, int], int]:
    """The portal status after each wanted (file, version), by replaying the file's events."""
    out: dict[tuple[str, int], int] = {}
    for code, versions in wanted.items():
        top = max(versions)
        envelopes = [decode(s.state) for s in ledger.store.stream(code)[:top]]
        for env, snap in zip(envelopes, _replay(envelopes), strict=True):
            if env.version in versions:
                out[(code, env.version)] = int(snap.status)
    return out


@router.get(
    "/feed",
    summary="The event feed, in log order",
    description="Leaves of the Merkle log after the cursor `after` (absent: from the first), "
    "each with its file, type, times, actor, unit, the file's national portal status after "
    "that event, and the exact leaf bytes (base64; verify them against the tiles). Follow "
    "`next` until `more` is false, then poll with the last `next`.\n\n"
    "Integration clients, officers and unit administrators see only their units' file events; "
    "the cursor still moves over the global log, so a page may hold fewer than `limit` items "
    "(even none) while `more` is true. Inspectors see every leaf, the key registry's included.",
    responses=problem_responses(*AUTH),
)
def read_feed(
    request: Request,
    who: Caller,
    after: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, examples=[encode_cursor(41)])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedPage:
    start = -1 if after is None else decode_cursor(after)
    ledger = ledger_of(request)
    rows = ledger.store.query(
        "SELECT l.leaf_index AS leaf_index, e.state AS state FROM hoso_log_leaves l "
        "JOIN hoso_events e ON e.originator_id = l.stream AND e.originator_version = l.version "
        "WHERE l.leaf_index > ? ORDER BY l.leaf_index LIMIT ?",
        (start, limit),
    )
    picked: list[tuple[int, bytes, Envelope, str | None]] = []
    for r in rows:
        entry = bytes(r["state"])
        env = decode(entry)
        unit = _unit_of(env)
        if who.reads_everything() or (
            env.stream != REGISTRY_STREAM and unit is not None and who.acts_for(unit)
        ):
            picked.append((int(r["leaf_index"]), entry, env, unit))
    wanted: dict[str, set[int]] = {}
    for _i, _e, env, _u in picked:
        if env.stream != REGISTRY_STREAM:
            wanted.setdefault(env.stream, set()).add(env.version)
    statuses = _portal_after(ledger, wanted)
    items = [
        FeedItem(
            leaf_index=index,
            code=env.stream,
            version=env.version,
            type=env.type,
            occurred_at=env.unsigned.occurred_at,
            recorded_at=env.recorded_at,
            actor=env.actor,
            unit=unit,
            portal_status_after=statuses.get((env.stream, env.version)),
            entry=base64.b64encode(entry).decode("ascii"),
        )
        for index, entry, env, unit in picked
    ]
    last = int(rows[-1]["leaf_index"]) if rows else start
    return FeedPage(
        items=items,
        next=encode_cursor(last) if last >= 0 else None,
        more=len(rows) == limit,
    )
