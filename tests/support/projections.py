# ruff: noqa: B023  (each lambda runs within its own loop iteration)
"""Read models under test: a projection host beside a store, their rows, and random histories.

``random_history`` drives a few files with random but legal-looking commands; the tests compare
what the projections hold after each event (``snapshot``) across backends, batch sizes, restarts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from domain.errors import DomainError
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain.service import Ledger
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from projections.engine.runtime import ProjectionHost
from tests.support.cast import T0, UNIT, Cast
from tests.support.lifecycle import PERSON
from tests.support.postgres import PG_URL

SNAPSHOT = {
    "files": (
        "SELECT * FROM hoso_p_files ORDER BY code",
        "SELECT * FROM hoso_p_steps ORDER BY code, version",
        "SELECT * FROM hoso_p_holdings ORDER BY code, version",
    ),
    "actions": ("SELECT * FROM hoso_p_actions ORDER BY position",),
}


def host_for(store: EventStore, ledger: Ledger, db: str | None) -> ProjectionHost:
    """A projection host beside ``store``: PostgreSQL ``db``, or the SQLite file of ``store``."""
    path = "" if db else str(_sqlite_path(store))
    return ProjectionHost(store, db, path, ledger.calendar)


def _sqlite_path(store: EventStore) -> str:
    rows = db_sql.rows(store, "PRAGMA database_list")
    return str(rows[0]["file"])


def snapshot(store: EventStore) -> dict[str, list[list[dict[str, Any]]]]:
    """Every row of the read models, in a fixed order."""
    return {name: [db_sql.rows(store, sql) for sql in sqls] for name, sqls in SNAPSHOT.items()}


def random_history(
    ledger: Ledger, cast: Cast, rng: random.Random, steps: int, after_each: Callable[[], None]
) -> None:
    """Random but legal-looking commands on a few files, time always moving forward."""
    people = {
        "an": cast.officer,
        "binh": cast.officer2,
        "chutich": cast.leader,
        "kiosk": cast.kiosk,
    }
    t = T0 + timedelta(hours=1)
    codes: list[str] = []
    for _ in range(steps):
        t += timedelta(minutes=rng.randint(1, 600))
        if not codes or rng.random() < 0.25:
            codes.append(
                ledger.receive(
                    signer=cast.officer,
                    actor="an",
                    procedure=rng.choice(
                        ["certified_copy", "permanent_residence", "birth_registration"]
                    ),
                    channel=rng.choice([Channel.IN_PERSON, Channel.ONLINE]),
                    unit=UNIT,
                    counter="Q1",
                    department="mot-cua",
                    documents=("Giấy tờ",),
                    applicant=PERSON,
                    at=t,
                ).code
            )
            after_each()
            continue
        code = rng.choice(codes)
        f = ledger.load(code).file
        actor = f.holder.officer if f.holder.officer in people else "an"
        at = t
        options: list[tuple[str, Callable[[AdministrativeFile], None]]] = [
            (
                "an",
                lambda f: f.hand_off(
                    actor=f.holder.officer,
                    to=Desk(rng.choice(["an", "binh"]), "tu-phap", UNIT),
                    note="",
                    at=at,
                ),
            ),
            (
                actor,
                lambda f: f.request_supplement(
                    actor=f.holder.officer, items=("CT01",), reason="thiếu", at=at
                ),
            ),
            (
                actor,
                lambda f: f.receive_supplement(
                    actor=actor, items=("CT01",), at=at, calendar=ledger.calendar
                ),
            ),
            (
                actor,
                lambda f: f.submit_for_signature(actor=f.holder.officer, leader="chutich", at=at),
            ),
            ("chutich", lambda f: f.sign_result(actor="chutich", document_sha256="e" * 64, at=at)),
            (
                actor,
                lambda f: f.return_result(
                    actor=actor, method=ReturnMethod.COUNTER, at=at, calendar=ledger.calendar
                ),
            ),
            (
                actor,
                lambda f: f.request_fee(actor=actor, amount_vnd=2000, description="phí", at=at),
            ),
            (
                actor,
                lambda f: f.pay_fee(
                    actor=actor, amount_vnd=2000, method=PaymentMethod.ONLINE, at=at
                ),
            ),
            (
                actor,
                lambda f: f.issue_apology(
                    actor=actor,
                    reason="trễ",
                    at=at,
                    new_appointment_at=f.appointment_at + timedelta(days=3)
                    if f.appointment_at > at
                    else at + timedelta(days=3),
                ),
            ),
            (actor, lambda f: f.refuse(actor=actor, reason="không đủ", at=at)),
            (actor, lambda f: f.withdraw(actor=actor, reason="rút", at=at)),
            (
                "kiosk",
                lambda f: f.rate_satisfaction(
                    actor="kiosk", rating=rng.choice(list(Rating)), at=at
                ),
            ),
        ]
        natural = {  # the usual next step for the state: most moves take it, some do anything
            "received": rng.choice([0, 0, 1, 3, 6]),
            "in_progress": rng.choice([0, 1, 3, 3, 8]),
            "awaiting_supplement": 2,
            "awaiting_signature": 4,
            "signed": 7 if f.fee_due_vnd else 5,
        }.get(f.state.value, 11)
        who, command = options[natural] if rng.random() < 0.7 else rng.choice(options)
        if who == "an" and f.holder.officer in people:
            who = f.holder.officer
        try:
            ledger.execute(
                code, signer=people.get(who, cast.officer), actor=who, at=at, command=command
            )
        except (DomainError, Exception) as e:
            if (
                not isinstance(e, DomainError)
                and "not a registered" not in str(e)
                and "belongs to" not in str(e)
            ):
                raise
            continue
        after_each()


def pg_url_of(store: EventStore) -> str:
    """The URL of the PostgreSQL schema ``store`` works in."""
    schema = db_sql.rows(store, "SELECT current_schema() AS s")[0]["s"]
    return f"{PG_URL}?schema={schema}"
