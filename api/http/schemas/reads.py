"""Response documents of the HTTP reads (pydantic models with OpenAPI examples) and the shapes of
their path and query parameters; the transparency figures' documents are in ``models_figures``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.commands import FILE_CODE
from domain.codes import UNIT
from domain.portal import PortalStatus
from domain.procedures import CATALOGUE
from ledger.encoding import codec

CODE_PATTERN = FILE_CODE
UNIT_PATTERN = rf"^{UNIT}$"
ACTOR_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
TYPE_PATTERN = "^(?:" + "|".join(sorted(codec.EVENT_TYPES)) + ")$"
PROCEDURE_PATTERN = "^(?:" + "|".join(sorted(CATALOGUE)) + ")$"
PERIOD_PATTERN = r"^[0-9]{4}(?:-(?:[0-9]{2}(?:-[0-9]{2})?|[Qq][1-4]))?$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
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
def with_examples(*docs: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(docs)})


INSTANT = "2026-02-12T01:15:00.000000Z"


class DeskModel(BaseModel):
    """Who holds a file: an officer (empty: the department's inbox), a department, an agency."""

    model_config = with_examples({"officer": "an", "department": "tu-phap", "agency": "PBADINH"})
    officer: str
    department: str
    agency: str


class PortalStatusModel(BaseModel):
    """A file's status in the National Public Service Portal's codes (1..10)."""

    model_config = with_examples(
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

    model_config = with_examples(
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
            "portal_channel": 1,
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
    timeliness: str | None = Field(
        description="early, on_time or late, judged once at the processing end (the result "
        "signed, or refused, stopped or withdrawn after acceptance)."
    )
    overdue: bool = Field(description="Open and past its appointment now.")
    portal_status: int = Field(ge=1, le=10)
    portal_label: str
    portal_channel: int = Field(
        ge=1, le=3, description="The portal's channel code: 1 in person, 2 online, 3 postal."
    )
    fee_due_vnd: int
    fee_paid_vnd: int
    missing_items: list[str]
    closed_at: str | None
    version: int
    head_hash: str = Field(description="SHA-256 of the file's last envelope (hex).")


class SlipRow(BaseModel):
    """One row of the process control slip: one signed event."""

    model_config = with_examples(
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

    model_config = with_examples({"code": "PBADINH-260212-0003", "verified": True, "rows": []})
    code: str
    verified: bool
    rows: list[SlipRow]


class QueueEntryModel(BaseModel):
    """One open file in a queue."""

    model_config = with_examples(
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

    model_config = with_examples(
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


class ActionModel(BaseModel):
    """One action in the inspector's index."""

    model_config = with_examples(
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

    model_config = with_examples(
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

    model_config = with_examples(
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

    model_config = with_examples({"items": [], "next": "bGVhZjo0MQ", "more": False})
    items: list[FeedItem]
    next: str | None = Field(description="The cursor after this page (null: nothing read yet).")
    more: bool = Field(description="True when the page was full: ask again at once.")
