"""What the command routes share: the callers' roles, the file code in the path, the intake of
client-signed envelopes, who may act on a file, and a receipt's rules (the domain's check before
a number is reserved, the applicant's key, the PIN written with the receipt)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from api.http.auth import require
from api.http.schemas.commands import EXAMPLE_CODE, FILE_CODE
from api.http.schemas.envelopes import SignedEnvelopeIn
from api.http.schemas.receipts import ApplicantIn, ReceiptIn
from api.http.state import service_state
from api.tokens import ApiRole, Principal
from domain.codes import MAX_FILE_CODE_LENGTH, format_file_code, parse_file_code
from ledger.chain.intake import Intake
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.encoding.envelope import Envelope
from ledger.errors import Refused
from ledger.store.events import SideWrite
from ledger.store.side_tables import CodeCounters

CodePath = Annotated[
    str, Path(pattern=FILE_CODE, max_length=MAX_FILE_CODE_LENGTH, examples=[EXAMPLE_CODE])
]
Officer = Annotated[Principal, Depends(require(ApiRole.OFFICER, ApiRole.LEADER))]
Preparer = Annotated[
    Principal, Depends(require(ApiRole.OFFICER, ApiRole.LEADER, ApiRole.INTEGRATION))
]
Integrator = Annotated[Principal, Depends(require(ApiRole.INTEGRATION))]


def intake_of(request: Request, ledger: Ledger) -> Intake:
    max_skew = service_state(request).max_skew
    return Intake(ledger, max_skew=max_skew)


def person(a: ApplicantIn) -> PersonalData:
    return PersonalData(a.full_name, a.id_number, a.phone, a.address)


def check_receipt(intake: Intake, body: ReceiptIn, actor: str, key_id: str, at: datetime,
                  unit: str) -> None:  # fmt: skip
    """Run the domain's receipt rules on a provisional code, before a number is reserved."""
    intake.prepare_receipt(
        actor=actor,
        key_id=key_id,
        at=at,
        unit=unit,
        procedure=body.procedure,
        channel=body.channel,
        counter=body.counter,
        department=body.department,
        documents=tuple(body.documents),
        applicant_ref=body.applicant_ref or "ap-" + "0" * 24,
        applicant_sealed="",
        code=format_file_code(unit, at.astimezone(intake.ledger.calendar.tz).date(), 1),
        seal=False,
    )


def signature(params: Sequence[tuple[str, Any]], returns: Any) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature(
        [inspect.Parameter(name, kind, annotation=annotation) for name, annotation in params],
        return_annotation=returns,
    )


def receipt_writes(
    ledger: Ledger, code: str, first: SignedEnvelopeIn | Envelope
) -> tuple[str, SideWrite]:
    """For a new file's receipt: its code must have been reserved, its applicant key stored;
    the PIN hash is written in the receipt's own transaction."""
    parsed = parse_file_code(code)
    if CodeCounters(ledger.store).last(parsed.unit, parsed.day.isoformat()) < parsed.number:
        raise Refused(f"file code {code} was not reserved: use POST /files/prepare-receipt")
    ref = first.payload.get("applicant_ref")
    known = isinstance(ref, str) and ledger.applicant_secret(ref) is not None
    if not known:
        raise Refused(f"the receipt's applicant {ref!r} has no key on this server")
    return ledger.receipts.pin(code)
