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
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api import problems
from api.auth import ApiRole, Principal, forbidden, may_read_file, principal, require
from api.middleware import no_unknown_query, problem_responses
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
from projections.figures import Figures, rank_units, render_days, render_ratio, transparency
from projections.periods import PeriodError, parse_period
from projections.queries import actions, file_rows, workload
from projections.queues import queue
from signing.registry import REGISTRY_STREAM

CODE_PATTERN = r"^[A-Z0-9]{2,12}-[0-9]{6}-[0-9]{4}$"
UNIT_PATTERN = r"^[A-Z0-9]{2,12}$"
ACTOR_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
TYPE_PATTERN = "^(?:" + "|".join(sorted(codec.EVENT_TYPES)) + ")$"
PROCEDURE_PATTERN = "^(?:" + "|".join(sorted(CATALOGUE)) + ")$"
PERIOD_PATTERN = r"^[0-9]{4}(?:-(?:[0-9]{2}(?:-[0-9]{2})?|[Qq][1-4]))?$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
_CURSOR_TEXT = re.compile(r"^leaf:(0|[1-9][0-9]{0,17})$")
EARLIEST, LATEST = datetime(1900, 1, 2).year, 9998

PORTAL_LABELS: dict[PortalStatus, tuple[str, str]] = {
    PortalStatus.RECEIVED_ONLINE: ("Mới tiếp nhận trực tuyến", "Received online / new"),
    PortalStatus.ACCEPTED: ("Đã tiếp nhận", "Accepted"),
    PortalStatus.NOT_ACCEPTED: ("Không được tiếp nhận", "Not accepted"),
    PortalStatus.IN_PROGRESS: ("Đang xử lý", "In progress"),
    PortalStatus.SUPPLEMENT_REQUESTED: ("Yêu cầu bổ sung", "Supplement requested"),
    PortalStatus.PAYMENT_REQUESTED: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    PortalStatus.WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    PortalStatus.STOPPED: ("Dừng xử lý", "Processing stopped"),
    PortalStatus.PROCESSED: ("Đã xử lý xong", "Processed"),
    PortalStatus.RETURNED: ("Đã trả kết quả", "Result returned"),
}


# ------------------------------------------------------------------------------- documents
def _examples(*docs: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(docs)})


INSTANT = "2026-02-12T01:15:00.000000Z"


class DeskModel(BaseModel):
    """Who holds a file: an officer (empty: the department's inbox), a department, an agency."""

    model_config = _examples({"officer": "an", "department": "tu-phap", "agency": "PBADINH"})
    officer: str
    department: str
    agency: str


class PortalStatusModel(BaseModel):
    """A file's status in the National Public Service Portal's codes (1..10)."""

    model_config = _examples(
        {
            "code": "PBADINH-260212-0003",
            "portal_status": 4,
            "label": "In progress",
            "label_vi": "Đang xử lý",
        }
    )
    code: str
    portal_status: int = Field(ge=1, le=10)
    label: str
    label_vi: str


class FileView(BaseModel):
    """A file as it stands, from its verified events; no personal data."""

    model_config = _examples(
        {
            "code": "PBADINH-260212-0003",
            "unit": "PBADINH",
            "procedure": "certified_copy",
            "procedure_vi": "Chứng thực bản sao từ bản chính",
            "procedure_en": "Certified copy",
            "channel": "in_person",
            "state": "in_progress",
            "holder": {"officer": "an", "department": "tu-phap", "agency": "PBADINH"},
            "holder_since": INSTANT,
            "received_at": INSTANT,
            "due_at": INSTANT,
            "appointment_at": INSTANT,
            "apologies": 0,
            "apology_reason": None,
            "timeliness": None,
            "overdue": False,
            "portal_status": 4,
            "portal_label": "In progress",
            "fee_due_vnd": 0,
            "fee_paid_vnd": 2000,
            "missing_items": [],
            "closed_at": None,
            "version": 3,
            "head_hash": "ab" * 32,
        }
    )
    code: str
    unit: str
    procedure: str
    procedure_vi: str
    procedure_en: str
    channel: str
    state: str
    holder: DeskModel
    holder_since: str = Field(description="RFC 3339 UTC, microseconds.")
    received_at: str
    due_at: str = Field(description="The statutory deadline.")
    appointment_at: str = Field(description="The date promised (moved by an apology).")
    apologies: int
    apology_reason: str | None
    timeliness: str | None = Field(description="early, on_time or late once returned.")
    overdue: bool = Field(description="Open and past its appointment now.")
    portal_status: int = Field(ge=1, le=10)
    portal_label: str
    fee_due_vnd: int
    fee_paid_vnd: int
    missing_items: list[str]
    closed_at: str | None
    version: int
    head_hash: str = Field(description="SHA-256 of the file's last envelope (hex).")


class SlipRow(BaseModel):
    """One row of the process control slip: one signed event."""

    model_config = _examples(
        {
            "version": 2,
            "type": "FileHandedOff",
            "occurred_at": INSTANT,
            "recorded_at": INSTANT,
            "actor": "an",
            "from_desk": {"officer": "an", "department": "mot-cua", "agency": "PBADINH"},
            "to_desk": {"officer": "binh", "department": "tu-phap", "agency": "PBADINH"},
            "note": "chứng thực",
            "vs_due": "early",
            "portal_status_after": 4,
            "hash": "cd" * 32,
            "leaf_index": 41,
        }
    )
    version: int
    type: str
    occurred_at: str = Field(description="When the actor did it (signed).")
    recorded_at: str | None = Field(description="When the server received it.")
    actor: str
    from_desk: DeskModel | None = Field(description="The giver, when the holder changed.")
    to_desk: DeskModel | None = Field(description="The receiver, when the holder changed.")
    note: str
    vs_due: str = Field(description="early, on_time or late against the deadline in force.")
    portal_status_after: int = Field(ge=1, le=10)
    hash: str = Field(description="SHA-256 of the stored envelope (hex).")
    leaf_index: int | None = Field(description="The event's Merkle leaf; null until integrated.")


class HistoryModel(BaseModel):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: every row verified before it is shown."""

    model_config = _examples({"code": "PBADINH-260212-0003", "verified": True, "rows": []})
    code: str
    verified: bool
    rows: list[SlipRow]


class QueueEntryModel(BaseModel):
    """One open file in a queue."""

    model_config = _examples(
        {
            "code": "PBADINH-260212-0003",
            "procedure": "certified_copy",
            "state": "in_progress",
            "holder": {"officer": "an", "department": "tu-phap", "agency": "PBADINH"},
            "since": INSTANT,
            "appointment_at": INSTANT,
            "minutes_left": 95,
            "overdue": False,
            "due_within_a_day": True,
        }
    )
    code: str
    procedure: str
    state: str
    holder: DeskModel
    since: str
    appointment_at: str
    minutes_left: int | None = Field(description="Office minutes left; negative when overdue.")
    overdue: bool
    due_within_a_day: bool


class QueueModel(BaseModel):
    """A unit's open files now: being worked on, and waiting for the citizen."""

    model_config = _examples(
        {
            "unit": "PBADINH",
            "department": None,
            "officer": None,
            "now": INSTANT,
            "overdue": 0,
            "due_within_a_day": 1,
            "entries": [],
            "awaiting_supplement": [],
        }
    )
    unit: str
    department: str | None
    officer: str | None
    now: str
    overdue: int
    due_within_a_day: int
    entries: list[QueueEntryModel]
    awaiting_supplement: list[QueueEntryModel]


FIGURES_EXAMPLE: dict[str, Any] = {
    "period": "2026-02",
    "as_of": INSTANT,
    "unit": "PBADINH",
    "procedure": None,
    "received": {
        "in_person": 280,
        "online": 40,
        "postal": 0,
        "mobile_session": 0,
        "total": 320,
    },
    "resolved": {"early": 250, "on_time": 20, "late": 5, "total": 275},
    "in_progress": {"on_time": 40, "overdue": 1, "awaiting_supplement": 4, "total": 41},
    "refused": 2,
    "withdrawn": 1,
    "stopped": 0,
    "supplement_requests": 6,
    "apologies": 5,
    "ratings": {"satisfied": 100, "neutral": 3, "dissatisfied": 1},
    "processing_days_average": "0.85",
    "processing_days_median": "0.50",
    "on_time_rate": "98.18%",
    "online_share": "12.50%",
    "online_payment_share": "—",
    "satisfied_share": "96.15%",
    "progress": "98.10%",
    "receiving_satisfaction": "97.78%",
}


class FiguresModel(BaseModel):
    """Transparency figures; shares are exact percentages rendered as strings, "—" if undefined."""

    model_config = _examples(FIGURES_EXAMPLE)
    period: str
    as_of: str
    unit: str | None
    procedure: str | None
    received: dict[str, int]
    resolved: dict[str, int]
    in_progress: dict[str, int]
    refused: int
    withdrawn: int
    stopped: int
    supplement_requests: int
    apologies: int
    ratings: dict[str, int]
    processing_days_average: str
    processing_days_median: str
    on_time_rate: str
    online_share: str
    online_payment_share: str
    satisfied_share: str
    progress: str
    receiving_satisfaction: str


class UnitRank(BaseModel):
    """One unit's place (1 = best; ties share a rank)."""

    model_config = _examples(
        {
            "rank": 1,
            "unit": "PBADINH",
            "progress": "98.10%",
            "receiving_satisfaction": "97.78%",
            "on_time_rate": "98.18%",
            "online_share": "12.50%",
        }
    )
    rank: int
    unit: str
    progress: str
    receiving_satisfaction: str
    on_time_rate: str
    online_share: str


class TransparencyModel(BaseModel):
    """The figures asked for and, without a unit, every unit's rank."""

    model_config = _examples({"figures": FIGURES_EXAMPLE, "ranking": []})
    figures: FiguresModel
    ranking: list[UnitRank]


def figures_model(f: Figures) -> FiguresModel:
    return FiguresModel(
        period=f.period.label,
        as_of=format_instant(f.as_of),
        unit=f.unit,
        procedure=f.procedure,
        received={**asdict(f.received), "total": f.received.total},
        resolved={**asdict(f.resolved), "total": f.resolved.total},
        in_progress={**asdict(f.in_progress), "total": f.in_progress.total},
        refused=f.refused,
        withdrawn=f.withdrawn,
        stopped=f.stopped,
        supplement_requests=f.supplement_requests,
        apologies=f.apologies,
        ratings=asdict(f.ratings),
        processing_days_average=render_days(f.processing_days_average),
        processing_days_median=render_days(f.processing_days_median),
        on_time_rate=render_ratio(f.on_time_rate),
        online_share=render_ratio(f.online_share),
        online_payment_share=render_ratio(f.online_payment_share),
        satisfied_share=render_ratio(f.satisfied_share),
        progress=render_ratio(f.progress),
        receiving_satisfaction=render_ratio(f.receiving_satisfaction),
    )


class ActionModel(BaseModel):
    """One action in the inspector's index."""

    model_config = _examples(
        {
            "position": 42,
            "code": "PBADINH-260212-0003",
            "version": 2,
            "type": "FileHandedOff",
            "actor": "an",
            "unit": "PBADINH",
            "occurred_at": INSTANT,
            "leaf_index": 41,
        }
    )
    position: int
    code: str
    version: int
    type: str
    actor: str
    unit: str
    occurred_at: str
    leaf_index: int | None


class LoadModel(BaseModel):
    """One officer's workload."""

    model_config = _examples(
        {
            "officer": "an",
            "holding_now": 3,
            "handled": 40,
            "late_files": 1,
            "late_holding_minutes": 130,
        }
    )
    officer: str
    holding_now: int
    handled: int
    late_files: int
    late_holding_minutes: int


class FeedItem(BaseModel):
    """One leaf of the log as the provincial system follows it."""

    model_config = _examples(
        {
            "leaf_index": 41,
            "code": "PBADINH-260212-0003",
            "version": 2,
            "type": "FileHandedOff",
            "occurred_at": INSTANT,
            "recorded_at": INSTANT,
            "actor": "an",
            "unit": "PBADINH",
            "portal_status_after": 4,
            "entry": "eyJhY3RvciI6ImFuIn0=",
        }
    )
    leaf_index: int
    code: str = Field(description="The file code (or `KEYS` for the key registry).")
    version: int
    type: str
    occurred_at: str
    recorded_at: str | None
    actor: str
    unit: str | None
    portal_status_after: int | None = Field(
        description="The file's portal status right after this event (null for key events)."
    )
    entry: str = Field(description="The exact leaf bytes (the stored envelope), base64.")


class FeedPage(BaseModel):
    """A page of the feed; follow ``next``."""

    model_config = _examples({"items": [], "next": "bGVhZjo0MQ", "more": False})
    items: list[FeedItem]
    next: str | None = Field(description="The cursor after this page (null: nothing read yet).")
    more: bool = Field(description="True when the page was full: ask again at once.")


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
            "content": {"application/json": {"schema": {"type": "object"}}},
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
    responses=problem_responses(*AUTH),
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
    responses=problem_responses(*AUTH),
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
