"""Fixtures for the ledger benchmarks: one fresh store per test, on SQLite or PostgreSQL.

Every figure is measured beside a baseline in the same run (see DESIGN.md); nothing here asserts
a time. The baseline is plain ``eventsourcing`` (unsigned events, same backend, same aggregate
shape) and, for reads, the raw Ed25519 verification of the same signatures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.calendar import vietnam_calendar
from domain.events import Desk
from domain.procedures import Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.store.events import EventStore
from ledger.store.opening import open_postgres, open_sqlite
from ledger.store.postgres import drop_ledger_schema
from signing import PrivateKeySigner, generate_private_key
from signing.registry import Role

PG: dict[str, Any] = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
ORIGIN = "bench.hoso/pbd"
UNIT = "PBD"
DEPARTMENT = "justice"
OFFICERS = ("an.nguyen", "binh.tran")
NOTE = "Chuyển phòng Tư pháp thẩm định hồ sơ đăng ký thường trú"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
STEP = timedelta(minutes=1)


def signer(n: int) -> PrivateKeySigner:
    """A fixed-seed signer: seed byte ``n`` repeated 32 times."""
    return PrivateKeySigner(generate_private_key(seed=bytes([n]) * 32))


# ----------------------------------------------------------------- backends
@dataclass(frozen=True)
class Backend:
    """Where one test's data lives: the ledger store and the baseline application's env."""

    name: str
    open_store: Any
    es_env: dict[str, str]


def _pg_unreachable() -> str | None:
    try:
        with psycopg.connect(connect_timeout=3, **PG) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        return (
            f"PostgreSQL at {PG['host']}:{PG['port']} (user {PG['user']}, db {PG['dbname']}) "
            f"is unreachable: {e}"
        )
    return None


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend(
            "sqlite",
            lambda: open_sqlite(tmp_path / "ledger.sqlite3"),
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / "baseline.sqlite3"),
            },
        )
        return
    reason = _pg_unreachable()
    if reason:
        pytest.skip(reason)
    schema = "bench_" + os.urandom(6).hex()
    with psycopg.connect(autocommit=True, **PG) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}?schema={schema}"
    try:
        yield Backend(
            "postgres",
            lambda: open_postgres(url),
            {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": PG["dbname"],
                "POSTGRES_HOST": PG["host"],
                "POSTGRES_PORT": str(PG["port"]),
                "POSTGRES_USER": PG["user"],
                "POSTGRES_PASSWORD": "",
                "POSTGRES_SCHEMA": schema,
            },
        )
    finally:
        with psycopg.connect(autocommit=True, **PG) as conn:
            drop_ledger_schema(conn, schema, if_exists=False)


# ------------------------------------------------------------------- ledger
@dataclass
class World:
    """A ledger with its key registry: an authority, a unit admin and two officers of one
    department. ``clock`` moves forward one minute per event across all files."""

    ledger: Ledger
    store: EventStore
    officers: dict[str, PrivateKeySigner]
    clock: datetime = T0 + timedelta(hours=1)
    holders: dict[str, str] = field(default_factory=dict)

    def tick(self) -> datetime:
        self.clock += STEP
        return self.clock

    def receive(self) -> str:
        actor = OFFICERS[0]
        receipt = self.ledger.receive(
            signer=self.officers[actor],
            actor=actor,
            procedure="permanent_residence",
            channel=Channel.IN_PERSON,
            unit=UNIT,
            counter="Q3",
            department=DEPARTMENT,
            documents=("CCCD", "Tờ khai thay đổi thông tin cư trú"),
            applicant=PersonalData("Nguyễn Văn A", "001090012345", "0901234567", "Hà Nội"),
            at=self.tick(),
        )
        self.holders[receipt.code] = actor
        return receipt.code

    def next_hand_off(self, code: str) -> tuple[str, PrivateKeySigner, Desk, datetime]:
        """Who hands the file on (its holder), with which key, to whom, when."""
        actor = self.holders[code]
        other = OFFICERS[1] if actor == OFFICERS[0] else OFFICERS[0]
        return actor, self.officers[actor], Desk(other, DEPARTMENT, UNIT), self.tick()

    def hand_off(self, code: str) -> None:
        """One ``execute``: load and verify the file, hand it to the other officer, sign, store."""
        actor, key, to, at = self.next_hand_off(code)
        self.ledger.execute(
            code,
            signer=key,
            actor=actor,
            at=at,
            command=lambda f: f.hand_off(actor=actor, to=to, note=NOTE, at=at),
        )
        self.holders[code] = to.officer

    def hand_off_on(self, code: str, f: Any) -> PrivateKeySigner:
        """Run the next hand_off command on an already loaded file; return the key to sign with."""
        actor, key, to, at = self.next_hand_off(code)
        f.hand_off(actor=actor, to=to, note=NOTE, at=at)
        self.holders[code] = to.officer
        return key

    def file(self, events: int) -> str:
        """A file of ``events`` events: received, then handed back and forth."""
        code = self.receive()
        for _ in range(events - 1):
            self.hand_off(code)
        return code


@pytest.fixture
def world(backend: Backend) -> Iterator[World]:
    store = backend.open_store()
    authority, admin = signer(1), signer(2)
    officers = {OFFICERS[0]: signer(3), OFFICERS[1]: signer(4)}
    ledger = Ledger(
        store, origin=ORIGIN, authority_key=authority.public_key, calendar=vietnam_calendar()
    )
    ledger.establish_registry(authority, actor="authority", at=T0)
    ledger.register_key(
        signer=authority,
        actor="authority",
        holder="admin.pbd",
        role=Role.UNIT_ADMIN,
        unit=UNIT,
        public_key=admin.public_key,
        valid_from=T0,
        at=T0,
    )
    for name, key in officers.items():
        ledger.register_key(
            signer=admin,
            actor="admin.pbd",
            holder=name,
            role=Role.OFFICER,
            unit=UNIT,
            public_key=key.public_key,
            valid_from=T0,
            at=T0,
        )
    try:
        yield World(ledger, store, officers)
    finally:
        store.close()


# ----------------------------------------------------------------- baseline
class PlainFile(Aggregate):
    """The baseline aggregate: the same shape as a file's handoffs, unsigned, unchained."""

    def __init__(self, code: str, holder: str) -> None:
        self.code = code
        self.holder = holder
        self.handoffs = 0

    @event("HandedOff")
    def hand_off(self, to: str, note: str) -> None:
        self.holder = to
        self.handoffs += 1


class PlainApp(Application[Any]):
    """Plain ``eventsourcing``: no signature, no chain, no canonical JSON, no registry."""


@dataclass
class Baseline:
    app: PlainApp
    holders: dict[Any, str] = field(default_factory=dict)
    files: int = 0

    def next_to(self, file_id: Any) -> str:
        actor = self.holders[file_id]
        other = OFFICERS[1] if actor == OFFICERS[0] else OFFICERS[0]
        self.holders[file_id] = other
        return f"{other}/{DEPARTMENT}/{UNIT}"

    def hand_off(self, file_id: Any) -> None:
        """One command: get the aggregate, hand it on, save the new event."""
        agg: Any = self.app.repository.get(file_id)
        self.hand_off_on(agg)
        self.app.save(agg)

    def hand_off_on(self, agg: Any) -> None:
        agg.hand_off(to=self.next_to(agg.id), note=NOTE)

    def file(self, events: int) -> Any:
        self.files += 1
        agg = PlainFile(f"{UNIT}-260302-{self.files:04d}", OFFICERS[0])
        self.holders[agg.id] = OFFICERS[0]
        for _ in range(events - 1):
            agg.hand_off(to=self.next_to(agg.id), note=NOTE)
        self.app.save(agg)
        return agg.id


@pytest.fixture
def baseline(backend: Backend) -> Iterator[Baseline]:
    app = PlainApp(env=backend.es_env)
    try:
        yield Baseline(app)
    finally:
        app.close()
