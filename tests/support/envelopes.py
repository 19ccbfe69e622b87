"""Envelopes and domain events to encode: a fixed signer, sample envelopes, a file's lifecycle
and a key registry's events, and the stored bytes of any of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.domain import CanMutateAggregate

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure
from domain.working_year import proposed_year
from ledger.encoding import codec
from ledger.encoding.canonical import canonical_bytes
from ledger.encoding.envelope import GENESIS_HASH, Envelope, build
from signing import PrivateKeySigner, b64, generate_private_key
from signing.registry import KeyRegistry, Role

SIGNER = PrivateKeySigner(generate_private_key(bytes([9]) * 32))
OTHER = PrivateKeySigner(generate_private_key(bytes([10]) * 32))
ORIGIN = "test.hoso.vn/ledger"
AT = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)
CAL = vietnam_calendar()


def handoff(payload: dict[str, Any] | None = None) -> Envelope:
    """A signed envelope of type ``FileHandedOff`` with any payload (not the event's own)."""
    return build(
        origin=ORIGIN,
        stream="PTEST-260302-0001",
        version=2,
        type_="FileHandedOff",
        occurred_at=AT,
        actor="an",
        key_id=SIGNER.key_id,
        payload=payload if payload is not None else {"note": "x", "n": 3},
        prev_hash=GENESIS_HASH,
    ).sign(SIGNER)


def doc_of(env: Envelope) -> dict[str, Any]:
    value = orjson.loads(env.to_bytes())
    assert isinstance(value, dict)
    return value


def raw(doc: dict[str, Any]) -> bytes:
    """``doc`` as orjson writes it with sorted keys: canonical unless ``doc`` is out of range."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def general(env: Envelope, *, receipt: bool = True) -> bytes:
    """The envelope's bytes as the general encoder gives them (no cache, no splice)."""
    doc: dict[str, Any] = {**env.unsigned.body(), "sig": b64(env.signature)}
    if receipt and env.recorded_at is not None:
        doc["recorded_at"] = env.recorded_at
    return canonical_bytes(doc)


def lifecycle() -> list[Any]:
    """One file's events through most commands, instants in Vietnam's zone (UTC+7)."""
    t = [datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)]

    def at() -> datetime:
        t[0] += timedelta(minutes=30)
        return t[0]

    f = received("PBD-260302-0001", t[0])
    f.hand_off(actor="thu", to=Desk("lan", "justice", "PBD"), note="", at=at())
    f.request_supplement(actor="lan", items=("Bản sao",), reason="thiếu", at=at())
    f.receive_supplement(actor="lan", items=("Bản sao",), at=at(), calendar=CAL)
    f.request_fee(actor="lan", amount_vnd=20_000, description="lệ phí", at=at())
    f.pay_fee(actor="lan", amount_vnd=20_000, method=PaymentMethod.COUNTER, at=at())
    f.issue_apology(
        actor="lan", reason="trễ", new_appointment_at=f.appointment_at + timedelta(days=2), at=at()
    )
    f.submit_for_signature(actor="lan", leader="chu-tich", at=at())
    f.sign_result(actor="chu-tich", document_sha256="ab" * 32, at=at())
    f.return_result(actor="chu-tich", method=ReturnMethod.COUNTER, at=at(), calendar=CAL)
    f.rate_satisfaction(actor="thu", rating=Rating.SATISFIED, at=at())
    f.reissue_pin(actor="thu", at=at())
    return list(f.collect_events())


def received(code: str, at: datetime) -> AdministrativeFile:
    """A file received at a counter of unit PBD, in person."""
    return AdministrativeFile.receive(
        code=code,
        procedure=get_procedure("birth_residence_insurance"),
        channel=Channel.IN_PERSON,
        unit="PBD",
        counter="counter-3",
        department="one-stop",
        documents=("Tờ khai", "Giấy chứng sinh"),
        applicant_ref="applicant-0001",
        applicant_sealed="sealed",
        actor="thu",
        at=at,
        calendar=CAL,
        supplement_policy=SupplementPolicy.EXTEND,
    )


def endings() -> list[Any]:
    """The other ways a file ends: refused, withdrawn, stopped (each file's events), and a file
    not accepted at the counter, and a hand-off acknowledged."""
    at = datetime(2026, 3, 3, 9, 0, tzinfo=VN_TZ)
    out: list[Any] = []
    for n, end in enumerate(("refuse", "withdraw", "stop_processing"), start=2):
        f = received(f"PBD-260303-{n:04d}", at)
        getattr(f, end)(actor="thu", reason="lý do", at=at + timedelta(hours=1))
        out += f.collect_events()
    refused = AdministrativeFile.not_accept(  # refused at the counter: never accepted
        code="PBD-260303-0009",
        procedure=get_procedure("certified_copy"),
        channel=Channel.IN_PERSON,
        unit="PBD",
        counter="counter-3",
        department="one-stop",
        documents=("Bản chính",),
        applicant_ref="applicant-0002",
        applicant_sealed="sealed",
        actor="thu",
        at=at,
        reason="bản chính bị tẩy xóa",
    )
    acknowledged = received("PBD-260303-0010", at)  # a hand-off its receiver acknowledges
    acknowledged.hand_off(actor="thu", to=Desk("lan", "justice", "PBD"), note="", at=at)
    acknowledged.acknowledge_handoff(actor="lan", at=at + timedelta(minutes=5))
    return [*out, *refused.collect_events(), *acknowledged.collect_events()]


def registry_events() -> list[Any]:
    """A key registry's events: established, a key registered, that key revoked, a year of the
    working calendar published."""
    registry = KeyRegistry.establish(
        origin=ORIGIN, authority="authority", public_key=OTHER.public_key, at=AT
    )
    kid = registry.register(
        actor="authority",
        holder="an",
        role=Role.UNIT_ADMIN,
        unit="PBD",
        public_key=SIGNER.public_key,
        valid_from=AT + timedelta(minutes=1),
        at=AT + timedelta(minutes=1),
    )
    later = AT + timedelta(hours=1)
    registry.revoke(actor="authority", kid=kid, effective_at=later, reason="lost", at=later)
    registry.publish_calendar(
        actor="authority", days=proposed_year(2027), source="Quyết định 1/2026", at=later
    )
    return list(registry.collect_events())


def stored(
    event: CanMutateAggregate[str], *, prev_hash: str = GENESIS_HASH, received: bool = True
) -> bytes:
    """The stored bytes of ``event`` in an envelope signed by ``SIGNER`` (with a receipt time
    a second after the event, unless ``received`` is False)."""
    type_, payload = codec.to_payload(event)
    env = build(
        origin=ORIGIN,
        stream=str(event.originator_id),
        version=event.originator_version,
        type_=type_,
        occurred_at=event.timestamp,
        actor=getattr(event, "actor", "authority"),
        key_id=SIGNER.key_id,
        payload=payload,
        prev_hash=prev_hash,
    ).sign(SIGNER)
    return (
        env.received(event.timestamp + timedelta(seconds=1)).to_bytes()
        if received
        else (env.to_bytes())
    )
