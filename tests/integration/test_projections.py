"""Projections on both backends: incremental equals rebuilt, restarts change nothing, failures
stop loudly at the right position, and PostgreSQL follows another process live."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.postgres import drop_ledger_schema
from projections.engine.runtime import ProjectionHost
from projections.errors import ProjectionFailed
from projections.models.handlers import NAMES
from projections.models.rows import row_from_file
from projections.queries.reads import actions, count_actions, file_rows
from tests.support.cast import ORIGIN, Cast, make_ledger
from tests.support.postgres import PG_URL, require_postgres
from tests.support.projections import host_for, pg_url_of, random_history, snapshot


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[str, str | None]:
    if request.param == "sqlite":
        return "sqlite", None
    return "postgres", str(request.getfixturevalue("pg_schema"))


def _open(backend: tuple[str, str | None], tmp_path: Any, tag: str) -> EventStore:
    from ledger.store.opening import open_postgres, open_sqlite

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
        state: dict[str, Any] = {"host": host_for(store, ledger, db), "n": 0}

        def after_each() -> None:  # event by event, with a restart in the middle
            state["n"] = int(state["n"]) + 1
            host: ProjectionHost = state["host"]
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
        # the inspector's index says how many rows it has, as many as it lists (issue 18)
        assert count_actions(store) == len(actions(store, limit=100_000)) > 0
        mine = actions(store, actor="an", type_="FileReceived", limit=100_000)
        assert count_actions(store, actor="an", type_="FileReceived") == len(mine)
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
                drop_ledger_schema(conn, f"{tag}_{schema}")
        store.close()


def test_a_failing_handler_stops_at_the_last_good_event(
    store: EventStore, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = make_ledger(store, cast)
    rng = random.Random(3)
    random_history(ledger, cast, rng, 12, lambda: None)
    db = None if store.dialect == "sqlite" else pg_url_of(store)
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


def test_postgres_follows_another_process_live(pg_schema: str, cast: Cast) -> None:
    require_postgres()
    from ledger.store.opening import open_postgres

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
            from ledger.store.opening import open_postgres
            from tests.support.cast import ORIGIN, T0, UNIT, signer
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
