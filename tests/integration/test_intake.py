"""Client-signed envelopes through ``ledger.chain.intake`` on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.events import Desk
from ledger.chain.intake import Intake
from ledger.encoding.envelope import build
from ledger.errors import Refused, StaleHead
from ledger.store.events import EventStore
from tests.support.cast import T0, UNIT, Cast, make_ledger
from tests.support.intake import sign
from tests.support.lifecycle import add_files


def test_a_client_chains_two_envelopes_in_one_submission(store: EventStore, cast: Cast) -> None:
    ledger = make_ledger(store, cast)
    code = add_files(ledger, cast, T0 + timedelta(hours=1), 1)[0]  # received, held by binh
    loaded = ledger.load(code)
    f, prev = loaded.file, loaded.head_hash
    t1 = f.modified_on + timedelta(minutes=1)
    t2 = t1 + timedelta(minutes=1)
    f.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="", at=t1)
    f.submit_for_signature(actor="an", leader="chutich", at=t2)
    # computable before sending: the receipt time is not in the chain
    signed = sign(
        ledger, code, f.collect_events(), [("binh", cast.officer2), ("an", cast.officer)], prev
    )
    done = Intake(ledger).submit(signed, now=t2)
    assert [d.stored_before for d in done] == [False, False]
    assert [e.type for e in ledger.load(code).envelopes][-2:] == [
        "FileHandedOff",
        "SubmittedForSignature",
    ]
    again = Intake(ledger).submit(signed, now=t2 + timedelta(seconds=30))
    assert [d.stored_before for d in again] == [True, True]


def test_a_forged_payload_is_not_what_the_rule_produces(store: EventStore, cast: Cast) -> None:
    ledger = make_ledger(store, cast)
    code = add_files(ledger, cast, T0 + timedelta(hours=1), 1)[0]
    intake = Intake(ledger)
    loaded = ledger.load(code)
    at = loaded.file.modified_on + timedelta(minutes=1)
    honest = intake.prepare(
        code,
        actor="binh",
        key_id=cast.officer2.key_id,
        command=lambda f: f.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="", at=at),
    )
    payload = dict(honest.payload)
    payload["from_desk"] = {"officer": "an", "department": "x", "agency": UNIT}  # a lie
    forged = build(
        origin=ledger.origin,
        stream=code,
        version=honest.version,
        type_=honest.type,
        occurred_at=at,
        actor="binh",
        key_id=cast.officer2.key_id,
        payload=payload,
        prev_hash=honest.prev_hash,
    ).sign(cast.officer2)
    with pytest.raises(Refused, match="does not match"):
        intake.submit([forged.to_bytes()], now=at)
    first = honest.sign(cast.officer2)
    second = intake.prepare(
        code,
        actor="binh",
        key_id=cast.officer2.key_id,
        command=lambda f: f.hand_off(
            actor="binh", to=Desk("chutich", "leadership", UNIT), note="", at=at
        ),
    )
    intake.submit([first.to_bytes()], now=at)
    with pytest.raises(StaleHead):
        intake.submit([second.sign(cast.officer2).to_bytes()], now=at)
