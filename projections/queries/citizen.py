"""The citizen's status (tra cứu hồ sơ): one query for the CLI (``hoso status``) and HTTP
(``GET /public/files/{code}?pin=``).

The view holds no personal data of anyone: not the applicant's (only the procedure and the
steps), not the officers' (departments and agencies, never names). It needs the file code and
the PIN from the receipt, and a wrong PIN and an unknown code give the same answer: None.
``citizen_records`` reads many codes in one statement (the HTTP service batches the lookups
waiting at one moment, ``api.http.lookup_reads``), each with its PIN hash, so the caller checks
the PIN its own way (the service remembers verified pairs, ``ledger.store.pins.VerifiedPins``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import orjson

from domain.procedures import CATALOGUE
from ledger.chain.sealed_text import SecretOf, remembering, reveal, reveal_all, sealed_ref
from ledger.chain.service import Ledger
from ledger.encoding.canonical import parse_instant
from ledger.store.events import EventStore
from projections.models import storage
from projections.models.reader import PostgresReader

STEP_TEXT: dict[str, tuple[str, str]] = {
    "FileReceived": ("Đã tiếp nhận hồ sơ", "File received"),
    "FileNotAccepted": ("Hồ sơ không được tiếp nhận", "File not accepted at the counter"),
    "FileHandedOff": ("Chuyển xử lý", "Passed on for processing"),
    "HandoffAcknowledged": ("Cán bộ xử lý đã nhận hồ sơ", "The officer received the file"),
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
    "PinReissued": ("Đã cấp lại mã tra cứu", "Lookup PIN reissued"),
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
    "not_accepted": ("Hồ sơ không được tiếp nhận", "Not accepted at the counter"),
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


class StepRecord(NamedTuple):
    """One step as stored (times in their one text form). A named tuple: every lookup builds
    these, and a tuple is built several times faster than a frozen dataclass."""

    type: str
    at: str
    department: str
    agency: str


class FileRecord(NamedTuple):
    """The citizen's columns of a file's status row, as stored."""

    procedure: str
    state: str
    holder_department: str
    holder_agency: str
    received_at: str
    appointment_at: str
    apology_reason: str | None
    missing_items: tuple[str, ...]
    portal_status: int
    steps: tuple[StepRecord, ...]


class CitizenRecord(NamedTuple):
    """What one lookup reads: the file's PIN hash, its wrong PINs in a row and until when
    they lock it (``ledger.store.pins.PinFailures``), and, once projected, its status."""

    code: str
    pin_hash: str
    file: FileRecord | None  # None while the read model does not hold the file yet
    pin_failures: int = 0
    locked_until: str | None = None


def citizen_records(
    store: EventStore, codes: Sequence[str], reader: PostgresReader | None = None
) -> dict[str, CitizenRecord]:
    """The record of each known code among ``codes`` (unknown ones are absent): one query."""
    found: dict[str, CitizenRecord] = {}
    for code, row in storage.citizen_rows(store, codes, reader).items():
        file = None
        if row["state"] is not None:
            file = FileRecord(
                procedure=str(row["procedure"]),
                state=str(row["state"]),
                holder_department=str(row["holder_department"]),
                holder_agency=str(row["holder_agency"]),
                received_at=str(row["received_at"]),
                appointment_at=str(row["appointment_at"]),
                apology_reason=row["apology_reason"],
                missing_items=tuple(orjson.loads(row["missing_items"])),
                portal_status=int(row["portal_status"]),
                steps=tuple([StepRecord(*step) for step in row["steps"]]),  # TEXT, as stored
            )
        found[code] = CitizenRecord(
            code,
            str(row["pin_hash"]),
            file,
            int(row["pin_failures"] or 0),
            row["pin_locked_until"],
        )
    return found


def procedure_names(procedure: str) -> tuple[str, str]:
    """The procedure's Vietnamese and English names (its id for one not in the catalogue)."""
    proc = CATALOGUE.get(procedure)
    return (proc.name_vi, proc.name_en) if proc else (procedure, procedure)


def where_now(file: FileRecord) -> tuple[str, str]:
    """Where the file stands, in Vietnamese and English (with the desk while it is worked on)."""
    now_vi, now_en = STATE_TEXT[file.state]
    if file.state in ("in_progress", "received"):
        now_vi += f" tại {file.holder_department} ({file.holder_agency})"
        now_en += f" at {file.holder_department} ({file.holder_agency})"
    return now_vi, now_en


def step_text(kind: str) -> tuple[str, str]:
    """A step's text in Vietnamese and English (its type name for one not known here)."""
    return STEP_TEXT.get(kind) or (kind, kind)


def citizen_status(ledger: Ledger, code: str, pin: str) -> CitizenStatus | None:
    """The status for the citizen, or None for an unknown code or a wrong PIN alike."""
    record = citizen_records(ledger.store, [code]).get(code)
    if record is None or record.file is None or not ledger.pin_matches(code, pin, record.pin_hash):
        return None
    return status_of(record.code, revealed(record.file, ledger.applicant_secret))


def sealed_refs(file: FileRecord) -> list[str]:
    """The applicants whose key opens the record's free text (none for a text in clear)."""
    texts = [file.apology_reason or "", *file.missing_items]
    return sorted({ref for text in texts if (ref := sealed_ref(text)) is not None})


def revealed(file: FileRecord, secret_of: SecretOf) -> FileRecord:
    """The record with its free text (the apology's reason, the missing papers) in clear while
    the applicant's key exists, ``[erased]`` after: the read model holds only the sealed form,
    so erasure reaches it without touching a row. The key is read only when there is text."""
    if not file.apology_reason and not file.missing_items:
        return file
    once = remembering(secret_of)
    return file._replace(
        apology_reason=reveal(file.apology_reason, once),
        missing_items=reveal_all(file.missing_items, once),
    )


def status_of(code: str, file: FileRecord) -> CitizenStatus:
    """A file's record (its text revealed: ``revealed``) as the citizen's view (times as
    instants)."""
    procedure_vi, procedure_en = procedure_names(file.procedure)
    now_vi, now_en = where_now(file)
    steps = []
    for s in file.steps:
        text_vi, text_en = step_text(s.type)
        steps.append(Step(parse_instant(s.at), text_vi, text_en, s.department, s.agency))
    return CitizenStatus(
        code=code,
        procedure_vi=procedure_vi,
        procedure_en=procedure_en,
        state=file.state,
        now_vi=now_vi,
        now_en=now_en,
        received_at=parse_instant(file.received_at),
        appointment_at=parse_instant(file.appointment_at),
        apology_reason=file.apology_reason,
        missing_items=file.missing_items,
        portal_status=file.portal_status,
        steps=tuple(steps),
    )
