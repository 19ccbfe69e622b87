"""Stored rows read and edited behind the ledger's back, and what a fresh verification says.

For the tests of the verified-prefix cache and the command tail: a file with a few hand-offs,
a ledger that has verified nothing yet, a row's bytes, and the ``TamperError`` a load raises.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.events import Desk
from domain.file import AdministrativeFile
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.encoding.envelope import build
from ledger.errors import TamperError
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from signing import Signer
from tests.support.cast import ORIGIN, T0, UNIT, Cast
from tests.support.lifecycle import receive_file

PERSON = PersonalData("Phạm Thu Hà", "001190000077", "0900000077", "Hà Nội")
T1 = T0 + timedelta(hours=1)


def open_file(ledger: Ledger, cast: Cast, handoffs: int = 4) -> str:
    """A file received at ``T1`` and handed off ``handoffs`` times by ``an``; its code."""
    code = receive_file(ledger, cast, T1, PERSON)
    for n in range(handoffs):
        dept = ("phong-a", "phong-b")[n % 2]
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=T1,
            command=partial(_hand_off, to=Desk("an", dept, UNIT), note=f"chuyển lần {n}"),
        )
    return code


def _hand_off(f: AdministrativeFile, *, to: Desk, note: str) -> None:
    f.hand_off(actor="an", to=to, note=note, at=T1)


def uncached(ledger: Ledger) -> Ledger:
    """A ledger on the same store that has verified nothing yet."""
    return Ledger(
        ledger.store,
        origin=ORIGIN,
        authority_key=ledger.authority_key,
        calendar=ledger.calendar,
    )


def state(store: EventStore, code: str, version: int) -> bytes:
    """The stored bytes of ``code``'s event ``version``, read straight from the table."""
    rows = db_sql.rows(
        store,
        "SELECT state FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
        (code, version),
    )
    return bytes(rows[0]["state"])


def set_state(store: EventStore, code: str, version: int, data: bytes) -> None:
    """Overwrite those bytes in place (what an insider with the database could do)."""
    db_sql.run(
        store,
        "UPDATE hoso_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (data, code, version),
    )


def failure(ledger: Ledger, code: str) -> tuple[int, str]:
    with pytest.raises(TamperError) as e:
        ledger.load(code)
    return e.value.version, e.value.reason


def append_forged(
    ledger: Ledger,
    code: str,
    key: Signer,
    *,
    actor: str = "an",
    type_: str = "FileRefused",
    payload: dict[str, Any] | None = None,
    occurred: datetime,
    recorded: datetime | None,
    prev_hash: str | None = None,
) -> int:
    """An event signed with ``key`` and chained to the file's head (or ``prev_hash``), with the
    receipt time ``recorded`` (None: none), written straight into the store: no rule, no key
    check, nothing integrated. The insider's way in; its version."""
    head = ledger.load(code)
    env = build(
        origin=ORIGIN,
        stream=code,
        version=head.file.version + 1,
        type_=type_,
        occurred_at=occurred,
        actor=actor,
        key_id=key.key_id,
        payload={"reason": "giả mạo"} if payload is None else payload,
        prev_hash=head.head_hash if prev_hash is None else prev_hash,
    ).sign(key)
    if recorded is not None:
        env = env.received(recorded)
    ledger.store.append([StoredEvent(code, env.version, env.type, env.to_bytes())])
    return env.version


def edit_sealed_text(data: bytes) -> bytes:
    """``data`` (a stored row) with one character of its first sealed free text changed: free
    text is stored sealed (issue 16), so this is how a note is edited behind the ledger's back.
    The row must hold one."""
    at = data.index(b'"sealed:')
    cut = data.index(b":", at + len(b'"sealed:')) + 1  # the ciphertext, after the reference
    swapped = b"B" if data[cut : cut + 1] == b"A" else b"A"
    return data[:cut] + swapped + data[cut + 1 :]
