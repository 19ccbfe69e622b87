"""The read models' storage, on both backends: the citizen's lookup rows (one query for many
codes), files, actions and holdings as the queries read them, and the projections' status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from domain.events import Desk
from ledger.chain.service import Ledger
from ledger.encoding.canonical import format_instant
from ledger.store.events import EventStore
from ledger.store.side_tables import FilePins
from projections.engine.runtime import ProjectionHost
from projections.models import storage
from projections.queries.citizen import citizen_records
from signing.registry import REGISTRY_STREAM
from tests.support.cast import T0, UNIT, Cast
from tests.support.lifecycle import receive_file


@pytest.fixture
def host(
    request: pytest.FixtureRequest, store: EventStore, ledger: Ledger, tmp_path: Path
) -> Iterator[ProjectionHost]:
    if store.dialect == "postgresql":
        made = ProjectionHost(store, request.getfixturevalue("pg_schema"), "", ledger.calendar)
    else:
        made = ProjectionHost(store, None, str(tmp_path / "ledger.sqlite3"), ledger.calendar)
    yield made
    made.close()


def test_lookup_rows_for_many_codes_in_one_read(
    store: EventStore, ledger: Ledger, cast: Cast, host: ProjectionHost
) -> None:
    a = receive_file(ledger, cast, T0 + timedelta(hours=1))
    b = receive_file(ledger, cast, T0 + timedelta(hours=2))
    ledger.execute(
        a,
        signer=cast.officer,
        actor="an",
        at=T0 + timedelta(hours=3),
        command=lambda f: f.hand_off(
            actor="an", to=Desk("binh", "tu-phap", UNIT), note="", at=T0 + timedelta(hours=3)
        ),
    )
    before = storage.citizen_rows(store, [a, b, "NONE-260302-0001"])
    assert set(before) == {a, b}
    assert before[a]["state"] is None and before[a]["steps"] == []  # not projected yet
    host.catch_up_all()
    after = storage.citizen_rows(store, [b, a])
    assert [s[0] for s in after[a]["steps"]] == ["FileReceived", "FileHandedOff"]
    assert after[a]["steps"][1][2:] == ("tu-phap", UNIT)  # the department and agency reached
    assert after[a]["pin_hash"] == FilePins(store).pin_hash(a)
    assert after[a]["state"] == "in_progress" and after[b]["state"] == "received"
    assert [s[0] for s in after[b]["steps"]] == ["FileReceived"]
    records = citizen_records(store, [a, "NONE-260302-0001"])
    found = records[a].file
    assert set(records) == {a} and found is not None
    assert [s.type for s in found.steps] == ["FileReceived", "FileHandedOff"]
    assert storage.citizen_rows(store, []) == {}


def test_files_actions_and_holdings(
    store: EventStore, ledger: Ledger, cast: Cast, host: ProjectionHost
) -> None:
    a = receive_file(ledger, cast, T0 + timedelta(hours=1))
    b = receive_file(ledger, cast, T0 + timedelta(hours=2))
    host.catch_up_all()
    assert sorted(r.code for r in storage.file_rows(store)) == sorted([a, b])
    assert [r.code for r in storage.file_rows(store, "code = ?", (b,))] == [b]
    everything = storage.action_rows(store, [], [], 100)
    files = [(r["code"], r["version"]) for r in everything if r["code"] != REGISTRY_STREAM]
    assert files == [(a, 1), (b, 1)]
    assert everything[0]["leaf_index"] is None  # not integrated yet
    by_time = storage.action_rows(
        store, [("occurred_at", ">=")], [format_instant(T0 + timedelta(hours=2))], 100
    )
    assert [r["code"] for r in by_time] == [b]
    assert len(storage.action_rows(store, [("actor", "=")], ["an"], 1)) == 1
    holdings = storage.holding_rows(store)
    assert {(r["code"], r["officer"], r["to_at"]) for r in holdings} == {
        (a, "an", None),
        (b, "an", None),
    }
    assert storage.late_codes(store, T0) == set()
    assert storage.late_codes(store, T0 + timedelta(days=60)) == {a, b}


def test_the_projections_status_rows(store: EventStore, host: ProjectionHost) -> None:
    assert storage.failures(store) == {}
    storage.record_failure(store, "files", 7, "ValueError: bad")
    storage.record_failure(store, "files", 9, "KeyError: worse")  # replaces the first
    storage.record_failure(store, "actions", 3, "E: x")
    assert storage.failures(store) == {"files": (9, "KeyError: worse"), "actions": (3, "E: x")}
    storage.clear_failure(store, "files")
    assert storage.failures(store) == {"actions": (3, "E: x")}
