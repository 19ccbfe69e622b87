"""Reads over the projections: the citizen's status, the inspector's index, officers' workload.

The citizen's view holds no personal data of anyone: not the applicant's (only the procedure and
the steps), not the officers' (departments and agencies, never names). It needs the file code
and the PIN from the receipt, and a wrong PIN and an unknown code give the same answer: None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.calendar import WorkingCalendar
from domain.procedures import CATALOGUE
from ledger.chain.service import Ledger
from ledger.encoding.timefmt import format_instant, parse_instant
from ledger.store.events import EventStore
from projections.models.rows import FileRow
from projections.models.tables import file_row

STEP_TEXT: dict[str, tuple[str, str]] = {
    "FileReceived": ("Đã tiếp nhận hồ sơ", "File received"),
    "FileHandedOff": ("Chuyển xử lý", "Passed on for processing"),
    "SupplementRequested": ("Cần bổ sung giấy tờ", "Additional papers needed"),
    "SupplementReceived": ("Đã nhận giấy tờ bổ sung", "Additional papers received"),
    "FeeRequested": ("Chờ nộp phí, lệ phí", "Fee payment requested"),
    "FeePaid": ("Đã nộp phí, lệ phí", "Fee paid"),
    "SubmittedForSignature": ("Trình lãnh đạo ký duyệt", "Sent for the leader's signature"),
    "ResultSigned": ("Lãnh đạo đã ký kết quả", "Result signed"),
    "ResultReturned": ("Đã trả kết quả", "Result returned"),
    "FileRefused": ("Hồ sơ bị từ chối giải quyết", "File refused"),
    "FileWithdrawn": ("Công dân đã rút hồ sơ", "File withdrawn by the citizen"),
    "ProcessingStopped": ("Dừng xử lý hồ sơ", "Processing stopped"),
    "ApologyIssued": ("Xin lỗi và hẹn lại ngày trả kết quả", "Apology and a new appointment"),
    "SatisfactionRated": ("Đã đánh giá mức độ hài lòng", "Satisfaction rated"),
}
STATE_TEXT: dict[str, tuple[str, str]] = {
    "received": ("Đã tiếp nhận, chờ xử lý", "Received, waiting to be processed"),
    "in_progress": ("Đang xử lý", "Being processed"),
    "awaiting_supplement": ("Chờ công dân bổ sung giấy tờ", "Waiting for your additional papers"),
    "awaiting_signature": ("Đang trình lãnh đạo ký", "Waiting for the leader's signature"),
    "signed": ("Đã có kết quả, mời nhận", "Result ready to collect"),
    "returned": ("Đã trả kết quả", "Result returned"),
    "refused": ("Hồ sơ bị từ chối giải quyết", "File refused"),
    "withdrawn": ("Đã rút hồ sơ", "File withdrawn"),
    "stopped": ("Đã dừng xử lý", "Processing stopped"),
}


@dataclass(frozen=True)
class Step:
    at: datetime
    text_vi: str
    text_en: str
    department: str
    agency: str


@dataclass(frozen=True)
class CitizenStatus:
    code: str
    procedure_vi: str
    procedure_en: str
    state: str
    now_vi: str
    now_en: str
    received_at: datetime
    appointment_at: datetime
    apology_reason: str | None
    missing_items: tuple[str, ...]
    portal_status: int
    steps: tuple[Step, ...]


def file_rows(store: EventStore, where: str = "", params: tuple[Any, ...] = ()) -> list[FileRow]:
    # ``where`` is written by this package's callers, never by users; values go in ``params``.
    sql = "SELECT * FROM hoso_p_files" + (f" WHERE {where}" if where else "")  # noqa: S608
    return [file_row(r) for r in store.query(sql, params)]


def citizen_status(ledger: Ledger, code: str, pin: str) -> CitizenStatus | None:
    """The status for the citizen, or None for an unknown code or a wrong PIN alike."""
    if not ledger.check_pin(code, pin):
        return None
    rows = file_rows(ledger.store, "code = ?", (code,))
    if not rows:
        return None
    row = rows[0]
    proc = CATALOGUE.get(row.procedure)
    steps = tuple(
        Step(
            at=parse_instant(str(r["occurred_at"])),
            text_vi=STEP_TEXT.get(str(r["type"]), (str(r["type"]), ""))[0],
            text_en=STEP_TEXT.get(str(r["type"]), ("", str(r["type"])))[1],
            department=str(r["department"]),
            agency=str(r["agency"]),
        )
        for r in ledger.store.query(
            "SELECT type, occurred_at, department, agency FROM hoso_p_steps WHERE code = ? "
            "ORDER BY version",
            (code,),
        )
    )
    now_vi, now_en = STATE_TEXT[row.state]
    if row.state in ("in_progress", "received"):
        now_vi += f" tại {row.holder_department} ({row.holder_agency})"
        now_en += f" at {row.holder_department} ({row.holder_agency})"
    return CitizenStatus(
        code=code,
        procedure_vi=proc.name_vi if proc else row.procedure,
        procedure_en=proc.name_en if proc else row.procedure,
        state=row.state,
        now_vi=now_vi,
        now_en=now_en,
        received_at=row.received_at,
        appointment_at=row.appointment_at,
        apology_reason=row.apology_reason,
        missing_items=row.missing_items,
        portal_status=row.portal_status,
        steps=steps,
    )


@dataclass(frozen=True)
class ActionRow:
    position: int
    code: str
    version: int
    type: str
    actor: str
    unit: str
    occurred_at: datetime
    leaf_index: int | None  # None until the integrator has given the event its leaf


def actions(
    store: EventStore,
    *,
    actor: str | None = None,
    unit: str | None = None,
    type_: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[ActionRow]:
    """The inspector's index: every action, filtered, each pointing at its file and log leaf."""
    where, params = [], []
    for column, value in (("a.actor", actor), ("a.unit", unit), ("a.type", type_)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if start is not None:
        where.append("a.occurred_at >= ?")
        params.append(format_instant(start))
    if end is not None:
        where.append("a.occurred_at < ?")
        params.append(format_instant(end))
    # Fixed column names; every value is a parameter.
    sql = (
        "SELECT a.position, a.code, a.version, a.type, a.actor, a.unit, a.occurred_at, "  # noqa: S608
        "l.leaf_index FROM hoso_p_actions a LEFT JOIN hoso_log_leaves l "
        "ON l.stream = a.code AND l.version = a.version"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.position LIMIT ?"
    )
    return [
        ActionRow(
            position=int(r["position"]),
            code=str(r["code"]),
            version=int(r["version"]),
            type=str(r["type"]),
            actor=str(r["actor"]),
            unit=str(r["unit"]),
            occurred_at=parse_instant(str(r["occurred_at"])),
            leaf_index=None if r["leaf_index"] is None else int(r["leaf_index"]),
        )
        for r in store.query(sql, (*params, limit))
    ]


@dataclass(frozen=True)
class OfficerLoad:
    officer: str
    holding_now: int
    handled: int
    late_files: int
    late_holding_minutes: int  # office time this officer held files that ended (or are) late


def workload(store: EventStore, *, now: datetime, calendar: WorkingCalendar) -> list[OfficerLoad]:
    """Per officer: files held now, files handled, and who held late files the longest."""
    late = {
        str(r["code"])
        for r in store.query(
            "SELECT code FROM hoso_p_files WHERE timeliness = 'late' OR "
            "(closed_at IS NULL AND state <> 'awaiting_supplement' AND appointment_at < ?)",
            (format_instant(now),),
        )
    }
    loads: dict[str, dict[str, Any]] = {}
    for r in store.query("SELECT code, officer, from_at, to_at FROM hoso_p_holdings"):
        officer = str(r["officer"])
        if not officer:
            continue
        entry = loads.setdefault(officer, {"now": 0, "files": set(), "late": set(), "minutes": 0})
        code = str(r["code"])
        entry["files"].add(code)
        if r["to_at"] is None:
            entry["now"] += 1
        if code in late:
            entry["late"].add(code)
            until = now if r["to_at"] is None else parse_instant(str(r["to_at"]))
            entry["minutes"] += calendar.working_minutes_between(
                parse_instant(str(r["from_at"])), until
            )
    result = [
        OfficerLoad(o, e["now"], len(e["files"]), len(e["late"]), e["minutes"])
        for o, e in loads.items()
    ]
    return sorted(result, key=lambda x: (-x.late_holding_minutes, x.officer))
