"""A file's forms (biểu mẫu of Circular 03/2025/TT-VPCP) as data, for the provincial software and
the pages that print them: the receipt, supplement requests, refusal, apologies, stop notice and
process control slip (``projections.queries.forms``), rebuilt from the file's verified events,
its free texts shown while the applicant's key exists (``[erased]`` after erasure)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.http.middleware import problem_responses
from api.http.replay import events_of
from api.http.routes.common import AUTH, Caller, Code, reads_router
from api.http.routes.files import readable
from api.http.state import ledger_of
from ledger.chain.sealed_text import remembering, reveal
from ledger.encoding.canonical import format_instant
from projections.queries.forms import file_forms

router = reads_router()

FORMS_EXAMPLE: dict[str, Any] = {
    "receipt": {
        "code": "PBADINH-261202-0001",
        "unit": "PBADINH",
        "procedure": "certified_copy",
        "procedure_vi": "Chứng thực bản sao từ bản chính",
        "channel": "in_person",
        "received_at": "2026-12-02T00:35:00.000000Z",
        "officer": "quay06",
        "documents": ["Bản chính giấy tờ, văn bản cần chứng thực"],
        "appointment_at": "2026-12-02T10:00:00.000000Z",
        "statutory_vi": "trong ngày",
    },
    "supplements": [],
    "refusal": None,
    "apologies": [],
    "stop": None,
    "slip": {"code": "PBADINH-261202-0001", "rows": [], "processing_ended_at": None,
             "verdict": None},
}  # fmt: skip


def _plain(value: Any) -> Any:
    """The forms' values as JSON: instants in the ledger's one text form, tuples as lists."""
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@router.get(
    "/files/{code}/forms",
    summary="The file's forms (Circular 03/2025) as data",
    description="Biểu mẫu: the receipt (01), supplement requests (02), refusal (03), apologies "
    "(04), stop notice (05) and process control slip (06, every signed step with giver, "
    "receiver, the deadline then and its verdict), from the file's verified events.",
    responses={
        **problem_responses(*AUTH, 404),
        200: {"content": {"application/json": {"example": FORMS_EXAMPLE}}},
    },
)
def read_forms(request: Request, code: Code, who: Caller) -> JSONResponse:
    verified = readable(request, who, code)
    secret_of = remembering(ledger_of(request).applicant_secret)
    forms = file_forms(
        events_of(verified.envelopes), reveal=lambda text: reveal(text, secret_of) or ""
    )
    return JSONResponse(_plain(dataclasses.asdict(forms)))
