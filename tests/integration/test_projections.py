# ruff: noqa: B023  (each lambda runs within its own loop iteration)
"""Projections on both backends: incremental equals rebuilt, restarts change nothing, failures
stop loudly at the right position, and PostgreSQL follows another process live."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain.service import Ledger
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from projections.engine.runtime import ProjectionHost
from projections.errors import ProjectionFailed
from projections.models.handlers import NAMES
from projections.models.rows import row_from_file
from projections.queries.reads import file_rows
from tests.conftest import ORIGIN, PG_URL, T0, UNIT, Cast, make_ledger, require_postgres
from tests.integration.test_tamper_matrix import PERSON

SNAPSHOT = {
    "files": (
        "SELECT * FROM hoso_p_files ORDER BY code",
        "SELECT * FROM hoso_p_steps ORDER BY code, version",
        "SELECT * FROM hoso_p_holdings ORDER BY code, version",
    ),
    "actions": ("SELECT * FROM hoso_p_actions ORDER BY position",),
}


def host_for(store: EventStore, ledger: Ledger, db: str | None) -> ProjectionHost:
    path = "" if db else str(_sqlite_path(store))
    return ProjectionHost(store, db, path, ledger.calendar)


def _sqlite_path(store: EventStore) -> str:
    rows = db_sql.rows(store, "PRAGMA database_list")
    return str(rows[0]["file"])


def snapshot(store: EventStore) -> dict[str, list[list[dict[str, Any]]]]:
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


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[str, str | None]:
    if request.param == "sqlite":
        return "sqlite", None
    return "postgres", str(request.getfixturevalue("pg_schema"))


def _open(backend: tuple[str, str | None], tmp_path: Any, tag: str) -> EventStore:
    from ledger.store.events import open_postgres, open_sqlite

    kind, url = backend
    if kind == "sqlite":
        return open_sqlite(tmp_path / f"{tag}.sqlite3")
    assert url is not None
    return open_postgres(url.replace("?schema=", f"?schema={tag}_"))


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), steps=st.integers(5, 40), restart_at=st.integers(0, 40))
def test_incremental_equals_rebuild_and_restarts_change_nothing(
    backend: tuple[str, str | None],
    tmp_path: Any,
    cast: Cast,
    seed: int,
    steps: int,
    restart_at: int,
) -> None:
    tag = f"h{seed}_{steps}_{restart_at}"
    store = _open(backend, tmp_path, tag)
    try:
        ledger = make_ledger(store, cast)
        db = backend[1].replace("?schema=", f"?schema={tag}_") if backend[1] else None
        state = {"host": host_for(store, ledger, db), "n": 0}

        def after_each() -> None:  # event by event, with a restart in the middle
            state["n"] = int(state["n"]) + 1
            host: ProjectionHost = state["host"]  # type: ignore[assignment]
            if state["n"] == restart_at:
                host.close()
                state["host"] = host = host_for(store, ledger, db)
            for name in NAMES:
                host.catch_up(name)

        random_history(ledger, cast, random.Random(seed), steps, after_each)
        live = snapshot(store)
        # The stored rows are exactly the pure rows of the verified files.
        codes = [str(r["code"]) for r in db_sql.rows(store, "SELECT code FROM hoso_p_files")]
        assert sorted(file_rows(store), key=lambda r: r.code) == sorted(
            (row_from_file(ledger.load(c).file, ledger.calendar) for c in codes),
            key=lambda r: r.code,
        )
        host = state["host"]
        assert isinstance(host, ProjectionHost)
        for name in NAMES:
            host.rebuild(name)
        assert snapshot(store) == live
        assert all(s.lag == 0 and s.error is None for s in host.status())
        host.close()
    finally:
        if backend[1]:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                schema = backend[1].split("?schema=")[1]
                conn.execute(f'DROP SCHEMA IF EXISTS "{tag}_{schema}" CASCADE')
        store.close()


def test_a_failing_handler_stops_at_the_last_good_event(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = make_ledger(store, cast)
    rng = random.Random(3)
    random_history(ledger, cast, rng, 12, lambda: None)
    db = None if store.dialect == "sqlite" else _pg_url(store)
    host = host_for(store, ledger, db)
    head = store.max_position()
    bad = head - 3
    handler = host.handlers["files"]
    real = handler.ops

    def explode(item: Any, position: int) -> Any:
        if position == bad:
            raise ValueError("boom")
        return real(item, position)

    monkeypatch.setattr(handler, "ops", explode)
    with pytest.raises(ProjectionFailed) as caught:
        host.catch_up("files")
    assert caught.value.position == bad
    status = {s.name: s for s in host.status()}["files"]
    assert status.position == bad - 1
    assert status.failed_position == bad and "boom" in (status.error or "")
    with pytest.raises(ProjectionFailed):  # never skips: it stops again at the same event
        host.catch_up("files")
    monkeypatch.setattr(handler, "ops", real)
    host.catch_up("files")
    status = {s.name: s for s in host.status()}["files"]
    assert (status.position, status.lag, status.failed_position) == (head, 0, None)
    host.close()


def _pg_url(store: EventStore) -> str:
    schema = db_sql.rows(store, "SELECT current_schema() AS s")[0]["s"]
    return f"{PG_URL}?schema={schema}"


def test_postgres_follows_another_process_live(pg_schema: str, cast: Cast) -> None:
    require_postgres()
    from ledger.store.events import open_postgres

    store = open_postgres(pg_schema)
    ledger = make_ledger(store, cast)
    host = host_for(store, ledger, pg_schema)
    for name in NAMES:
        host.catch_up(name)
    runner = host.runner("files")
    with runner:
        script = textwrap.dedent(f"""
            from datetime import timedelta
            from domain.calendar import vietnam_calendar
            from domain.procedures import Channel
            from ledger.chain.personal import PersonalData
            from ledger.chain.service import Ledger
            from ledger.store.events import open_postgres
            from tests.conftest import ORIGIN, T0, UNIT, signer
            store = open_postgres({pg_schema!r})
            ledger = Ledger(store, origin=ORIGIN, authority_key=signer(1).public_key,
                            calendar=vietnam_calendar())
            r = ledger.receive(signer=signer(3), actor="an", procedure="certified_copy",
                channel=Channel.IN_PERSON, unit=UNIT, counter="Q1", department="mot-cua",
                documents=("x",), applicant=PersonalData("a", "b", "c", "d"),
                at=T0 + timedelta(hours=2))
            print(r.code)
        """)
        made = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
        )
        assert made.returncode == 0, made.stderr
        code = made.stdout.strip()
        runner.wait(store.max_position(), timeout=20)
        rows = db_sql.rows(
            store, "SELECT state, holder_officer FROM hoso_p_files WHERE code = ?", (code,)
        )
        assert rows == [{"state": "received", "holder_officer": "an"}]
    host.close()
    store.close()
    assert ORIGIN and isinstance(datetime.now(), datetime)
