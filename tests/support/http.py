"""The API's test worlds: a small data directory with an officer, receipts, a served World.

The applicant of the API tests is ``PERSON`` (``RECEIPT`` is the same file as a JSON body);
public views must never show their data (``no_personal_data``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger, open_projections
from api.http.state import state_of
from api.settings import Settings
from api.tokens import ApiRole, create_token
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger, Receipt
from ledger.encoding import codec
from ledger.encoding.envelope import build
from projections.models.handlers import NAMES
from signing import KeyDirectory, PrivateKeySigner
from signing.registry import Role
from tests.support.cast import T0, UNIT, signer

PERSON = PersonalData("Trần Thị Bình", "001190054321", "0987654321", "5 Kim Mã, Hà Nội")
SECRETS = (PERSON.full_name, PERSON.id_number, PERSON.phone, PERSON.address)
COMMANDS_ORIGIN = "test.hoso.vn/commands"
START = T0 + timedelta(hours=1)  # Monday 08:30 in Hanoi

RECEIPT: dict[str, Any] = {
    "procedure": "certified_copy",
    "channel": "in_person",
    "counter": "Q01",
    "department": "mot-cua",
    "documents": ["Bản chính giấy khai sinh"],
    "applicant": {
        "full_name": "Trần Thị Bình",
        "id_number": "001190054321",
        "phone": "0987654321",
        "address": "5 Kim Mã, Hà Nội",
    },
}


@dataclass
class Demo:
    """A demo data directory made by the CLI (SQLite, or PostgreSQL ``db``), and its log key."""

    data: Path
    db: str | None
    settings: Settings
    vkey: str


@dataclass
class World:
    """A small ledger served over HTTP: receipts, projections caught up, tokens by role."""

    settings: Settings
    ledger: Ledger
    officer: PrivateKeySigner
    receipts: list[Receipt]
    tokens: dict[str, str]
    client: TestClient

    def get(self, who: str, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.get(path, params=params, headers=headers)


def inspector_auth(ledger: Ledger) -> dict[str, str]:
    """The header of a new inspector's token: the log's entries and bundles need one."""
    issued = create_token(
        ledger.store, actor="thanhtra", role=ApiRole.INSPECTOR, unit="PINSPECT", now=T0
    )
    return {"Authorization": f"Bearer {issued.token}"}


def small_ledger(
    data: Path, db: str | None, *, unit: str = UNIT, at: datetime = T0
) -> tuple[Settings, Ledger, PrivateKeySigner]:
    """A fresh data directory (made at ``at``) with an officer ``an`` of ``unit`` who can
    receive files."""
    settings = init_data_dir(data, origin="test.hoso.vn/log", db=db, at=at, seed=b"\x01" * 32)
    ledger = open_ledger(settings)
    authority = KeyDirectory(settings.keys_dir).signer(AUTHORITY)
    admin, officer = signer(2), signer(3)
    for by, holder, role, key in [
        (authority, "admin", Role.UNIT_ADMIN, admin),
        (admin, "an", Role.OFFICER, officer),
    ]:
        ledger.register_key(
            signer=by,
            actor=AUTHORITY if by is authority else "admin",
            holder=holder,
            role=role,
            unit=unit,
            public_key=key.public_key,
            valid_from=at,
            at=at,
        )
    return settings, ledger, officer


def receive_many(ledger: Ledger, officer: PrivateKeySigner, n: int) -> None:
    """``n`` files received by ``an`` for ``PERSON``, a second apart."""
    for i in range(n):
        ledger.receive(
            signer=officer,
            actor="an",
            procedure="certified_copy",
            channel=Channel.IN_PERSON,
            unit=UNIT,
            counter="Q01",
            department="mot-cua",
            documents=("Bản chính giấy khai sinh",),
            applicant=PERSON,
            at=T0 + timedelta(hours=1, seconds=i),
        )


def receive(ledger: Ledger, officer: PrivateKeySigner, i: int) -> Receipt:
    """File ``i`` received by ``an`` for ``PERSON``, ``i`` seconds after 08:30."""
    return ledger.receive(
        signer=officer,
        actor="an",
        procedure="certified_copy",
        channel=Channel.IN_PERSON,
        unit=UNIT,
        counter="Q01",
        department="mot-cua",
        documents=("Bản chính giấy khai sinh",),
        applicant=PERSON,
        at=T0 + timedelta(hours=1, seconds=i),
    )


def project(settings: Settings, ledger: Ledger) -> None:
    """Every read model caught up with the ledger."""
    host = open_projections(settings, ledger)
    try:
        for name in NAMES:
            host.catch_up(name)
    finally:
        host.close()


def no_personal_data(text: str) -> None:
    """``text`` shows none of ``PERSON``'s data and no applicant reference."""
    for secret in SECRETS:
        assert secret not in text
    assert "applicant" not in text and "ap-" not in text


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def submit_unsealed(
    world: World, code: str, command: Callable[[AdministrativeFile], None], at: datetime
) -> Any:
    """What a client that builds its own envelope sends: ``command``'s one event on the file as
    it stands, as it comes from the domain (free text in clear, nothing of the server's
    sealing), signed by ``an`` and submitted to ``POST /files/{code}/events`` at ``at`` (the
    service's clock is set there); the HTTP response."""
    loaded = world.ledger.load(code)
    command(loaded.file)
    (event,) = loaded.file.collect_events()
    type_, payload = codec.to_payload(event)
    env = build(
        origin=world.ledger.origin,
        stream=code,
        version=event.originator_version,
        type_=type_,
        occurred_at=event.timestamp,
        actor="an",
        key_id=world.officer.key_id,
        payload=payload,
        prev_hash=loaded.head_hash,
    ).sign(world.officer)
    served = state_of(world.client.app).ledger
    assert served is not None
    served.clock = lambda: at
    return world.client.post(
        f"/files/{code}/events",
        json={"envelopes": [orjson.loads(env.to_bytes())]},
        headers={"Authorization": f"Bearer {world.tokens['officer']}"},
    )


def documented_body(op: dict[str, Any], spec: dict[str, Any]) -> Any:
    """The JSON body an OpenAPI operation documents (its example, or its schema's first)."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" in body:
        return body["example"]
    schema = body.get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
    return examples[0] if examples else None
