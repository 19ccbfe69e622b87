"""Files driven through their lifecycle on a test ledger: received, handed off, signed, returned.

The applicant is ``PERSON``; the people are the cast (``tests/support/cast.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from domain.events import Desk, ReturnMethod
from domain.procedures import Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from signing import Signer
from tests.support.cast import UNIT, Cast

PERSON = PersonalData("Trần Thị Bình", "001190000001", "0900000001", "Hà Nội")


def receive_file(
    ledger: Ledger,
    cast: Cast,
    at: datetime,
    applicant: PersonalData | None = None,
    procedure: str = "certified_copy",
) -> str:
    """A file (a certified copy unless said) received by officer ``an`` at counter Q01; its
    code."""
    return ledger.receive(
        signer=cast.officer,
        actor="an",
        procedure=procedure,
        channel=Channel.IN_PERSON,
        unit=UNIT,
        counter="Q01",
        department="mot-cua",
        documents=("Bản chính",),
        applicant=applicant or PERSON,
        at=at,
    ).code


def add_files(ledger: Ledger, cast: Cast, start: datetime, n: int) -> list[str]:
    """``n`` files received 10 minutes apart from ``start``; file ``i`` goes ``1 + i % 4`` steps on
    (handed to binh, submitted for signature, signed, returned); their codes."""
    codes = []
    for i in range(n):
        t = start + timedelta(minutes=10 * i)
        code = receive_file(ledger, cast, t, PERSON)
        steps: list[tuple[Signer, str, Callable[..., None]]] = [
            (
                cast.officer,
                "an",
                lambda f, t: f.hand_off(
                    actor="an", to=Desk("binh", "tu-phap", UNIT), note="", at=t
                ),
            ),
            (
                cast.officer2,
                "binh",
                lambda f, t: f.submit_for_signature(actor="binh", leader="chutich", at=t),
            ),
            (
                cast.leader,
                "chutich",
                lambda f, t: f.sign_result(actor="chutich", document_sha256="cd" * 32, at=t),
            ),
            (
                cast.leader,
                "chutich",
                lambda f, t: f.return_result(
                    actor="chutich", method=ReturnMethod.COUNTER, at=t, calendar=ledger.calendar
                ),
            ),
        ]
        for k, (s, actor, step) in enumerate(steps[: 1 + i % 4]):
            at = t + timedelta(minutes=k + 1)
            ledger.execute(
                code,
                signer=s,
                actor=actor,
                at=at,
                command=partial(step, t=at),
            )
        codes.append(code)
    return codes
