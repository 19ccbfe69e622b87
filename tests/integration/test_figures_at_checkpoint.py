"""Figures that can be reproduced (issue 17): on random histories, on both backends, the rows and
the Decision 766 score card rebuilt from the log's entries alone at a signed checkpoint equal the
live projection's at that size, even after the history went on; entries that do not give the
checkpoint's root give no figures."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from ledger.store.opening import open_postgres, open_sqlite
from ledger.store.postgres import drop_ledger_schema
from projections.d766.at_checkpoint import rows_at
from projections.d766.scorecard import score_card
from projections.errors import EntriesDoNotMatch
from projections.models.handlers import NAMES
from projections.models.rows import FileRow
from projections.queries.periods import PeriodKind, period_containing
from projections.queries.reads import file_rows
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, ORIGIN, T0, Cast, make_ledger
from tests.support.postgres import PG_URL
from tests.support.projections import host_for, random_history

RUNS = itertools.count()  # hypothesis may run one example twice: each run its own store


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_schema"))


def _open(url: str | None, tmp_path: Any, tag: str) -> tuple[EventStore, str | None]:
    if url is None:
        return open_sqlite(tmp_path / f"{tag}.sqlite3"), None
    db = url.replace("?schema=", f"?schema={tag}_")
    return open_postgres(db), db


def _close(store: EventStore, db: str | None) -> None:
    """Close the store and drop its schemas (the tagged ones are not the fixture's to drop)."""
    store.close()
    if db is not None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            drop_ledger_schema(conn, db.split("?schema=")[1])


def _sorted(rows: list[FileRow]) -> list[FileRow]:
    return sorted(rows, key=lambda r: r.code)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), steps=st.integers(6, 40), pin_at=st.integers(1, 30))
def test_figures_at_a_checkpoint_equal_the_live_ones_at_that_size(
    backend: str | None, tmp_path: Any, cast: Cast, seed: int, steps: int, pin_at: int
) -> None:
    store, db = _open(backend, tmp_path, f"c{next(RUNS)}")
    try:
        ledger = make_ledger(store, cast)
        log = MerkleLog(store, ORIGIN)
        host = host_for(store, ledger, db)
        pinned: dict[str, Any] = {}

        def pin() -> None:
            log.integrate()
            stored = log.make_checkpoint(LOG_SIGNER, T0 + timedelta(days=60))
            for name in NAMES:
                host.catch_up(name)
            pinned["checkpoint"] = log.verified_checkpoint(stored, LOG_VERIFIER)
            pinned["live"] = file_rows(store)

        def after_each() -> None:
            pinned["n"] = pinned.get("n", 0) + 1
            if pinned["n"] == pin_at:
                pin()

        try:
            random_history(ledger, cast, random.Random(seed), steps, after_each)
            if "checkpoint" not in pinned:  # fewer commands than pin_at: pin at the end
                pin()
                random_history(ledger, cast, random.Random(seed + 1), 3, lambda: None)
            log.integrate()  # the history went on past the checkpoint
            checkpoint = pinned["checkpoint"]
            assert log.size() >= checkpoint.size
            rebuilt = rows_at(log.entries, checkpoint.size, checkpoint.root, ledger.calendar)
            assert _sorted(rebuilt) == _sorted(pinned["live"])
            now = T0 + timedelta(days=20)
            for kind in (PeriodKind.MONTH, PeriodKind.YEAR):
                period = period_containing(kind, T0)
                live = score_card(pinned["live"], period, now=now, calendar=ledger.calendar)
                again = score_card(rebuilt, period, now=now, calendar=ledger.calendar)
                assert again == live
        finally:
            host.close()
    finally:
        _close(store, db)


def test_entries_that_do_not_give_the_root_give_no_figures(
    backend: str | None, tmp_path: Any, cast: Cast
) -> None:
    store, db = _open(backend, tmp_path, "tampered")
    try:
        ledger = make_ledger(store, cast)
        random_history(ledger, cast, random.Random(7), 12, lambda: None)
        log = MerkleLog(store, ORIGIN)
        log.integrate()
        stored = log.make_checkpoint(LOG_SIGNER, T0 + timedelta(days=60))
        honest = rows_at(log.entries, stored.size, stored.root, ledger.calendar)
        assert honest and all(r.unit for r in honest)

        def edited(start: int, end: int) -> list[bytes]:
            entries = log.entries(start, end)
            last = len(entries) - 1
            entries[last] = entries[last].replace(b'"', b"'", 1)  # one stored byte changed
            return entries

        with pytest.raises(EntriesDoNotMatch, match="do not give the root"):
            rows_at(edited, stored.size, stored.root, ledger.calendar)
        with pytest.raises(EntriesDoNotMatch):  # one entry short of the checkpoint
            rows_at(log.entries, stored.size, log.root(stored.size - 1), ledger.calendar)
    finally:
        _close(store, db)
