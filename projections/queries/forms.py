"""The seven forms of Circular 03/2025/TT-VPCP (biểu mẫu), as data rendered from a file's events.

Each form is what the paper slip carries, read from the signed events alone: the receipt (01),
the supplement requests (02), the refusal (03), the apologies with their new appointments (04),
the notice of stopping or of the citizen's withdrawal (05), the process control slip (06) and
the file-tracking book (07, from the files' rows). Free texts are stored sealed: ``reveal`` opens
them for a reader entitled to see them (``[erased]`` after erasure). Instants are aware UTC; the
printed documents (with the pages) show them in Vietnam time.

Pure: events in, forms out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.deadlines import judge
from domain.events import (
    ApologyIssued,
    Desk,
    FileEvent,
    FileHandedOff,
    FileNotAccepted,
    FileReceived,
    FileRefused,
    FileWithdrawn,
    HandoffAcknowledged,
    ProcessingStopped,
    SubmittedForSignature,
    SupplementReceived,
    SupplementRequested,
)
from domain.file import AdministrativeFile
from domain.procedures import CATALOGUE
from projections.models.rows import FileRow
from projections.queries.periods import Period

__all__ = [
    "Apology",
    "BookRow",
    "ControlSlip",
    "FileForms",
    "Receipt",
    "Refusal",
    "SlipRow",
    "StopNotice",
    "SupplementRequest",
    "file_forms",
    "tracking_book",
]

Reveal = Callable[[str], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Receipt:
    """Form 01: giấy tiếp nhận hồ sơ và hẹn trả kết quả (the receipt and appointment slip)."""

    code: str
    unit: str
    procedure: str
    procedure_vi: str
    channel: str
    received_at: datetime
    officer: str
    documents: tuple[str, ...]
    appointment_at: datetime
    statutory_vi: str


@dataclass(frozen=True)
class SupplementRequest:
    """Form 02: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (one per request)."""

    requested_at: datetime
    officer: str
    items: tuple[str, ...]
    reason: str
    supplied_at: datetime | None  # when the papers came back, if they did
    new_due_at: datetime | None


@dataclass(frozen=True)
class Refusal:
    """Form 03: phiếu từ chối tiếp nhận, giải quyết hồ sơ (at the counter, or in processing)."""

    at: datetime
    officer: str
    reason: str
    at_counter: bool


@dataclass(frozen=True)
class Apology:
    """Form 04: phiếu xin lỗi và hẹn lại ngày trả kết quả (one per apology)."""

    issued_at: datetime
    officer: str
    reason: str
    previous_appointment: datetime
    new_appointment: datetime


@dataclass(frozen=True)
class StopNotice:
    """Form 05: thông báo dừng xử lý hồ sơ (or the citizen's withdrawal, ``withdrawn``)."""

    at: datetime
    officer: str
    reason: str
    withdrawn: bool


@dataclass(frozen=True)
class SlipRow:
    """One row of the process control slip: who gave, who received, when, and the verdict of
    the step against the file's deadline as it stood then."""

    version: int
    step: str  # the event type
    at: datetime
    actor: str
    giver: str
    receiver: str
    due_at: datetime
    verdict: str


@dataclass(frozen=True)
class ControlSlip:
    """Form 06: phiếu kiểm soát quá trình giải quyết hồ sơ; the file's verdict is judged at its
    processing end (None while it has none)."""

    code: str
    rows: tuple[SlipRow, ...]
    processing_ended_at: datetime | None
    verdict: str | None


@dataclass(frozen=True)
class FileForms:
    receipt: Receipt | None  # None for papers not accepted at the counter
    supplements: tuple[SupplementRequest, ...]
    refusal: Refusal | None
    apologies: tuple[Apology, ...]
    stop: StopNotice | None
    slip: ControlSlip


def _desk(d: Desk) -> str:
    return " · ".join(x for x in (d.officer or "(inbox)", d.department, d.agency) if x)


def _parties(event: FileEvent, before: AdministrativeFile | None) -> tuple[str, str]:
    if isinstance(event, FileHandedOff):
        return _desk(event.from_desk), _desk(event.to_desk)
    if isinstance(event, SubmittedForSignature):
        assert before is not None
        return _desk(before.holder), event.leader
    if isinstance(event, HandoffAcknowledged):  # the receiver's own signature of receipt
        return "", event.actor
    return "", ""


def file_forms(events: Sequence[FileEvent], reveal: Reveal = _same) -> FileForms:
    """The forms of one file, from its events in order (``reveal`` opens the sealed texts)."""
    f: Any = None
    receipt: Receipt | None = None
    requests: list[SupplementRequest] = []
    refusal: Refusal | None = None
    apologies: list[Apology] = []
    stop: StopNotice | None = None
    rows: list[SlipRow] = []
    for event in events:
        before = f
        appointment = None if before is None else before.appointment_at
        giver, receiver = _parties(event, before)
        f = event.mutate(f)
        text = getattr(event, "reason", "")
        if isinstance(event, FileReceived):
            procedure = CATALOGUE.get(event.procedure)
            receipt = Receipt(
                event.originator_id, event.unit, event.procedure,
                procedure.name_vi if procedure else event.procedure, event.channel,
                event.timestamp, event.actor, tuple(reveal(d) for d in event.documents),
                event.due_at, f.statutory.describe_vi(),
            )  # fmt: skip
        elif isinstance(event, SupplementRequested):
            items = tuple(reveal(i) for i in event.items)
            requests.append(
                SupplementRequest(event.timestamp, event.actor, items, reveal(text), None, None)
            )
        elif isinstance(event, SupplementReceived) and requests:
            last = requests[-1]
            requests[-1] = SupplementRequest(
                last.requested_at, last.officer, last.items, last.reason, event.timestamp,
                event.new_due_at,
            )  # fmt: skip
        elif isinstance(event, FileRefused | FileNotAccepted):
            at_counter = isinstance(event, FileNotAccepted)
            refusal = Refusal(event.timestamp, event.actor, reveal(text), at_counter)
        elif isinstance(event, ApologyIssued):
            assert appointment is not None
            apologies.append(
                Apology(
                    event.timestamp,
                    event.actor,
                    reveal(text),
                    appointment,
                    event.new_appointment_at,
                )
            )
        elif isinstance(event, ProcessingStopped | FileWithdrawn):
            withdrawn = isinstance(event, FileWithdrawn)
            stop = StopNotice(event.timestamp, event.actor, reveal(text), withdrawn)
        verdict = judge(event.timestamp, f.due_at).value
        rows.append(
            SlipRow(
                event.originator_version,
                type(event).__name__,
                event.timestamp,
                event.actor,
                giver,
                receiver,
                f.due_at,
                verdict,
            )
        )
    if not isinstance(f, AdministrativeFile):
        raise ValueError("a file's forms need its events, from the first")
    slip = ControlSlip(f.id, tuple(rows), f.processing_ended_at, f.timeliness)
    return FileForms(receipt, tuple(requests), refusal, tuple(apologies), stop, slip)


@dataclass(frozen=True)
class BookRow:
    """Form 07: one line of the file-tracking book (sổ theo dõi hồ sơ)."""

    code: str
    procedure: str
    received_at: datetime
    due_at: datetime
    processing_ended_at: datetime | None
    verdict: str | None
    state: str
    returned_at: datetime | None


def tracking_book(rows: Iterable[FileRow], unit: str, period: Period) -> list[BookRow]:
    """The book of ``unit`` for ``period``: the files it received then, in receipt order."""
    chosen = [r for r in rows if r.unit == unit and period.contains(r.received_at)]
    chosen.sort(key=lambda r: (r.received_at, r.code))
    return [
        BookRow(
            r.code,
            r.procedure,
            r.received_at,
            r.due_at,
            r.processing_ended_at,
            r.timeliness,
            r.state,
            r.closed_at if r.state == "returned" else None,
        )
        for r in chosen
    ]
