"""Response documents of the HTTP reads (pydantic models with OpenAPI examples)."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.portal import PortalStatus
from domain.procedures import CATALOGUE
from ledger import codec
from ledger.timefmt import format_instant
from projections.figures import Figures, render_days, render_ratio

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
