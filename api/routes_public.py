"""The citizen's lookup (tra cứu hồ sơ) with the code and PIN printed on the receipt.

No token: the code and the PIN are the credential. The answer carries no personal data of
anyone (the procedure, the steps by department and agency, never a name). A wrong PIN and an
unknown code give the same 404 body (only ``instance``, the path, differs), and both pay one
scrypt, so neither the body nor the timing tells whether a code exists. Lookups are rate
limited per client address (``app.state.lookup_bucket``, a ``TokenBucket``: by default 10 a
minute with a burst of 20) and answered 429 with ``Retry-After`` beyond that.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.middleware import no_unknown_query, problem_responses, rate_limited
from api.models_reads import CODE_PATTERN, PORTAL_LABELS
from api.problems import Problem
from api.routes_reads import ledger_of
from domain.portal import PortalStatus
from ledger.pins import hash_pin, pin_matches
from ledger.timefmt import format_instant
from projections.queries import citizen_status

LOOKUP_BUCKET = "lookup_bucket"
_DUMMY_HASH = hash_pin("000000", b"hoso-no-such-file")  # equalises the unknown-code timing

router = APIRouter(
    prefix="/public",
    tags=["public"],
    dependencies=[Depends(rate_limited(LOOKUP_BUCKET)), Depends(no_unknown_query)],
)


def no_such_file() -> Problem:
    """The one answer for an unknown code and a wrong PIN alike."""
    return Problem(404, "not-found", "Not found", "no file with this code and PIN")


class CitizenStep(BaseModel):
    """One step of the file's progress, by department and agency (never an officer's name)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-02-12T01:15:00.000000Z",
                    "text_vi": "Chuyển xử lý",
                    "text_en": "Passed on for processing",
                    "department": "tu-phap",
                    "agency": "PBADINH",
                }
            ]
        },
    )
    at: str
    text_vi: str
    text_en: str
    department: str
    agency: str


class CitizenView(BaseModel):
    """What the citizen sees: the procedure, where the file is, the appointment, the steps."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "PBADINH-260212-0003",
                    "procedure_vi": "Chứng thực bản sao từ bản chính",
                    "procedure_en": "Certified copy from the original",
                    "state": "in_progress",
                    "now_vi": "Đang xử lý tại tu-phap (PBADINH)",
                    "now_en": "Being processed at tu-phap (PBADINH)",
                    "received_at": "2026-02-12T01:10:00.000000Z",
                    "appointment_at": "2026-02-12T09:00:00.000000Z",
                    "apology_reason": None,
                    "missing_items": [],
                    "portal_status": 4,
                    "portal_label_vi": "Đang xử lý",
                    "portal_label": "In progress",
                    "steps": [],
                }
            ]
        },
    )
    code: str
    procedure_vi: str
    procedure_en: str
    state: str
    now_vi: str
    now_en: str
    received_at: str
    appointment_at: str = Field(description="The date to collect the result (after any apology).")
    apology_reason: str | None = Field(description="Why the appointment was moved, if it was.")
    missing_items: list[str] = Field(description="Papers the citizen still has to bring.")
    portal_status: int = Field(ge=1, le=10)
    portal_label_vi: str
    portal_label: str
    steps: list[CitizenStep]


@router.get(
    "/files/{code}",
    summary="Look up a file with its code and PIN",
    description="The citizen's status view: the procedure, where the file is now, the "
    "appointment (and the apology's reason if it was moved), the papers still missing and "
    "every step by department. An unknown code and a wrong PIN give the same 404. Rate "
    "limited per client address (429 with Retry-After).",
    responses=problem_responses(404, 422, 429, 503),
)
def lookup(
    request: Request,
    code: Annotated[
        str, Path(pattern=CODE_PATTERN, max_length=24, examples=["PBADINH-260212-0003"])
    ],
    pin: Annotated[
        str,
        Query(
            pattern=r"^[0-9]{6}$",
            min_length=6,
            max_length=6,
            description="The 6-digit PIN on the receipt.",
            examples=["048213"],
        ),
    ],
) -> CitizenView:
    ledger = ledger_of(request)
    known = ledger.store.query("SELECT 1 AS x FROM hoso_file_pins WHERE file_code = ?", (code,))
    if not known:
        pin_matches(pin, _DUMMY_HASH)
        raise no_such_file()
    found = citizen_status(ledger, code, pin)
    if found is None:
        raise no_such_file()
    vi, en = PORTAL_LABELS[PortalStatus(found.portal_status)]
    return CitizenView(
        code=found.code,
        procedure_vi=found.procedure_vi,
        procedure_en=found.procedure_en,
        state=found.state,
        now_vi=found.now_vi,
        now_en=found.now_en,
        received_at=format_instant(found.received_at),
        appointment_at=format_instant(found.appointment_at),
        apology_reason=found.apology_reason,
        missing_items=list(found.missing_items),
        portal_status=found.portal_status,
        portal_label_vi=vi,
        portal_label=en,
        steps=[
            CitizenStep(
                at=format_instant(s.at),
                text_vi=s.text_vi,
                text_en=s.text_en,
                department=s.department,
                agency=s.agency,
            )
            for s in found.steps
        ],
    )
