"""Shared fixtures: both backends (SQLite file, PostgreSQL schema per test), keys from fixed seeds.

PostgreSQL: ``HOSO_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``). Every test
gets its own schema, dropped afterwards. Without a server the PostgreSQL cases skip with the
reason, except under ``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from domain.calendar import vietnam_calendar
from domain.procedures import Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.store.events import EventStore, open_postgres, open_sqlite
from signing import PrivateKeySigner, generate_private_key
from signing.registry import Role

PG_URL = os.environ.get("HOSO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ORIGIN = "test.hoso.vn/ledger"
T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # Monday 07:30 in Hanoi
UNIT = "PTEST"


def pg_available() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"PostgreSQL not reachable at {PG_URL}: {e}".splitlines()[0]


def require_postgres() -> None:
    reason = pg_available()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the PostgreSQL tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards; yields the database URL."""
    require_postgres()
    schema = "hoso_t_" + secrets.token_hex(6)
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def signer(n: int) -> PrivateKeySigner:
    return PrivateKeySigner(generate_private_key(bytes([n]) * 32))


@dataclass
class Cast:
    authority: PrivateKeySigner
    admin: PrivateKeySigner
    officer: PrivateKeySigner
    officer2: PrivateKeySigner
    leader: PrivateKeySigner
    kiosk: PrivateKeySigner
    stranger: PrivateKeySigner


@pytest.fixture
def cast() -> Cast:
    return Cast(*(signer(n) for n in range(1, 8)))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        s = open_sqlite(tmp_path / "ledger.sqlite3")
    else:
        url = request.getfixturevalue("pg_schema")
        s = open_postgres(url)
    yield s
    s.close()


def make_ledger(store: EventStore, cast: Cast) -> Ledger:
    ledger = Ledger(
        store, origin=ORIGIN, authority_key=cast.authority.public_key, calendar=vietnam_calendar()
    )
    ledger.establish_registry(cast.authority, actor="authority", at=T0)
    ledger.register_key(
        signer=cast.authority,
        actor="authority",
        holder="admin",
        role=Role.UNIT_ADMIN,
        unit=UNIT,
        public_key=cast.admin.public_key,
        valid_from=T0,
        at=T0,
    )
    people = [
        ("an", Role.OFFICER, cast.officer),
        ("binh", Role.OFFICER, cast.officer2),
        ("chutich", Role.LEADER, cast.leader),
        ("kiosk", Role.KIOSK, cast.kiosk),
    ]
    for holder, role, s in people:
        ledger.register_key(
            signer=cast.admin,
            actor="admin",
            holder=holder,
            role=role,
            unit=UNIT,
            public_key=s.public_key,
            valid_from=T0,
            at=T0,
        )
    return ledger


@pytest.fixture
def ledger(store: EventStore, cast: Cast) -> Ledger:
    return make_ledger(store, cast)


def receive_file(
    ledger: Ledger, cast: Cast, at: datetime, applicant: PersonalData | None = None
) -> str:
    """A certified-copy file received by officer ``an`` at counter Q01; its code."""
    return ledger.receive(
        signer=cast.officer,
        actor="an",
        procedure="certified_copy",
        channel=Channel.IN_PERSON,
        unit=UNIT,
        counter="Q01",
        department="mot-cua",
        documents=("Bản chính",),
        applicant=applicant
        or PersonalData("Trần Thị Bình", "001190000001", "0900000001", "Hà Nội"),
        at=at,
    ).code
