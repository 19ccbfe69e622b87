"""Group commit on both backends: order, durability, failure isolation, shutdown.

The writer is made to hold a group (``HeldStore``: the real store, whose ``append`` waits for a
gate) so that what arrives meanwhile forms the next group, in a known order. No timing is
asserted: a group's size is read from the writer's stats and from the stored rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.events import Desk
from domain.file import AdministrativeFile
from ledger.audit.full import audit_report
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.encoding.envelope import Envelope
from ledger.errors import ConflictError, StoreError
from ledger.store import sql as db_sql
from ledger.store.events import EventStore, SideWrite
from ledger.store.group_commit import GroupCommit
from ledger.store.opening import open_postgres, open_sqlite
from tests.support.cast import ORIGIN, T0, UNIT, Cast, make_ledger
from tests.support.lifecycle import receive_file

PERSON = PersonalData("Lê Văn Cường", "001090099999", "0912000000", "Hà Nội")
T1 = T0 + timedelta(hours=1)


class HeldStore(EventStore):
    """The real store; its next ``append`` waits until ``release()`` (to line up a group)."""

    def __init__(self, real: EventStore) -> None:
        super().__init__(real.recorder, real._datastore, real.dialect)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls: list[int] = []  # events per append call

    def append(
        self, events: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()
    ) -> Sequence[int] | None:
        self.entered.set()
        self.gate.wait(30)
        self.calls.append(len(events))
        return super().append(events, side_writes)

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def reopen(
    store: EventStore, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], EventStore]]:
    """Open another store object (its own connections) on the same database."""
    opened: list[EventStore] = []

    def make() -> EventStore:
        if store.dialect == "sqlite":
            s = open_sqlite(tmp_path / "ledger.sqlite3")
        else:
            s = open_postgres(request.getfixturevalue("pg_schema"))
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


def row(stream: str, version: int, body: bytes = b"x") -> StoredEvent:
    return StoredEvent(stream, version, "Test", body)


def submit(
    gc: GroupCommit, events: list[StoredEvent], side: Sequence[SideWrite] = ()
) -> tuple[threading.Thread, dict[str, Any]]:
    """Submit from a new thread; wait until it is queued. The result dict gets ids or error."""
    out: dict[str, Any] = {}
    queued = gc.received + 1

    def go() -> None:
        try:
            out["ids"] = gc.append(events, side)
        except Exception as e:
            out["error"] = e

    t = threading.Thread(target=go)
    t.start()
    while gc.received < queued and t.is_alive():
        threading.Event().wait(0.001)
    return t, out


def line_up(
    store: EventStore,
    batches: list[list[StoredEvent]],
    side: dict[int, Sequence[SideWrite]] | None = None,
) -> tuple[GroupCommit, HeldStore, list[dict[str, Any]]]:
    """Hold the writer on a first submission, queue ``batches`` behind it, then release."""
    held = HeldStore(store)
    gc = GroupCommit(held, max_batch=64, max_wait=0)
    first = submit(gc, [row("gc-first", 1)])
    assert held.entered.wait(10)
    side = side or {}
    jobs = [submit(gc, b, side.get(i, ())) for i, b in enumerate(batches)]
    held.release()
    for t, _ in [first, *jobs]:
        t.join(30)
    gc.close()
    return gc, held, [out for _, out in jobs]


def positions(store: EventStore) -> list[tuple[str, int]]:
    return [(str(n.originator_id), n.originator_version) for n in store.notifications(1, 10_000)]


def test_a_group_is_one_write_in_arrival_order(store: EventStore) -> None:
    batches = [[row(f"gc-{i}", 1), row(f"gc-{i}", 2)] for i in range(6)]
    gc, held, results = line_up(store, batches)
    assert held.calls == [1, 12]  # the held one, then everything that queued behind it
    assert all("error" not in r for r in results)
    expected = [("gc-first", 1)] + [(f"gc-{i}", v) for i in range(6) for v in (1, 2)]
    assert positions(store) == expected
    ids = [r["ids"] for r in results]
    if ids[0] is not None:  # each caller gets its own notification ids, consecutive
        flat = [i for part in ids for i in part]
        assert flat == sorted(flat) and len(set(flat)) == 12
    assert gc.stats.largest == 6 and gc.stats.fallbacks == 0


def test_a_duplicate_version_in_a_group_fails_alone(store: EventStore) -> None:
    batches = [[row("gc-a", 1)], [row("gc-b", 1)], [row("gc-a", 1, b"other")], [row("gc-c", 1)]]
    _gc, _held, results = line_up(store, batches)
    assert isinstance(results[2].get("error"), ConflictError)
    assert [("error" in r) for r in results] == [False, False, True, False]
    assert [e.state for e in store.stream("gc-a")] == [b"x"]
    assert {s for s, _ in positions(store)} == {"gc-first", "gc-a", "gc-b", "gc-c"}


def test_a_conflict_with_the_store_fails_alone(store: EventStore) -> None:
    store.append([row("gc-old", 1)])
    batches = [[row("gc-a", 1)], [row("gc-old", 1, b"late")], [row("gc-b", 1)]]
    gc, _held, results = line_up(store, batches)
    assert isinstance(results[1].get("error"), ConflictError)
    assert "error" not in results[0] and "error" not in results[2]
    assert gc.stats.fallbacks == 1
    assert [e.state for e in store.stream("gc-old")] == [b"x"]
    assert store.stream("gc-a") and store.stream("gc-b")


def test_a_failing_side_write_fails_alone_and_writes_nothing(store: EventStore) -> None:
    db_sql.run(store, "INSERT INTO hoso_meta (key, value) VALUES (?, ?)", ("taken", "1"))
    taken = SideWrite("INSERT INTO hoso_meta (key, value) VALUES (?, ?)", ("taken", "2"))
    free = SideWrite("INSERT INTO hoso_meta (key, value) VALUES (?, ?)", ("free", "3"))
    batches = [[row("gc-a", 1)], [row("gc-b", 1)], [row("gc-c", 1)]]
    _gc, _held, results = line_up(store, batches, side={1: (taken,), 2: (free,)})
    assert isinstance(results[1].get("error"), ConflictError)
    assert "error" not in results[0] and "error" not in results[2]
    assert store.stream("gc-b") == []  # its event did not outlive its side row
    meta = {r["key"]: r["value"] for r in db_sql.rows(store, "SELECT key, value FROM hoso_meta")}
    assert meta["taken"] == "1" and meta["free"] == "3"


def test_the_writer_survives_a_broken_statement(store: EventStore) -> None:
    gc = GroupCommit(store)
    try:
        with pytest.raises(StoreError):
            gc.append([row("gc-a", 1)], [SideWrite("INSERT INTO no_such_table VALUES (?)", (1,))])
        gc.append([row("gc-b", 1)])
        assert store.stream("gc-a") == [] and len(store.stream("gc-b")) == 1
    finally:
        gc.close()


def test_close_stores_what_was_queued_then_refuses(store: EventStore) -> None:
    held = HeldStore(store)
    gc = GroupCommit(held, max_wait=0)
    jobs = [submit(gc, [row("gc-first", 1)])]
    assert held.entered.wait(10)
    jobs += [submit(gc, [row(f"gc-{i}", 1)]) for i in range(5)]
    closer = threading.Thread(target=gc.close)
    closer.start()
    held.release()
    closer.join(30)
    assert not closer.is_alive()
    for t, _ in jobs:
        t.join(30)
    assert all(out == {"ids": out.get("ids")} for _, out in jobs)  # all answered, no error
    assert len(positions(store)) == 6
    with pytest.raises(StoreError, match="closed"):
        gc.append([row("gc-late", 1)])


# ------------------------------------------------------------ through the Ledger
def receive(ledger: Ledger, cast: Cast, at: datetime = T1) -> str:
    return receive_file(ledger, cast, at, PERSON)


def move(n: int) -> Callable[[AdministrativeFile], None]:
    """Hand the file from an's desk to an's other desk; valid whoever went first."""

    def command(f: AdministrativeFile) -> None:
        other = "phong-b" if f.holder.department != "phong-b" else "phong-a"
        at = max(T1 + timedelta(minutes=n), f.modified_on)
        f.hand_off(actor="an", to=Desk("an", other, UNIT), note=f"lần {n}", at=at)

    return command


def test_concurrent_commands_commit_in_order_and_durably(
    store: EventStore, cast: Cast, reopen: Callable[[], EventStore]
) -> None:
    gc = GroupCommit(store, max_batch=8, max_wait=0.002)
    ledger = make_ledger(store, cast)
    ledger.group_commit = gc
    fresh = reopen()
    threads, per_thread = 6, 5
    own = [receive(ledger, cast) for _ in range(threads)]
    shared = receive(ledger, cast)
    missing: list[str] = []
    errors: list[BaseException] = []

    def command(code: str, n: int) -> list[Envelope]:
        while True:  # six clients on one file can lose the race MAX_ATTEMPTS times in a row
            try:
                return ledger.execute(code, signer=cast.officer, actor="an", at=T1, command=move(n))
            except ConflictError:
                continue

    def client(i: int) -> None:
        try:
            for n in range(per_thread):
                for code in (own[i], shared):
                    envs = command(code, n)
                    stored = fresh.stream(code, gt=envs[-1].version - 1)
                    if not stored or stored[0].state != envs[-1].to_bytes():
                        missing.append(f"{code} v{envs[-1].version}")
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    gc.close()
    assert errors == [] and missing == []  # every answered command was already stored
    other = Ledger(
        fresh, origin=ORIGIN, authority_key=cast.authority.public_key, calendar=ledger.calendar
    )
    for code in own:
        assert other.load(code).file.version == 1 + per_thread
    assert other.load(shared).file.version == 1 + threads * per_thread
    seen = positions(fresh)
    assert len(seen) == len(set(seen))  # every event once (PostgreSQL ids may skip a failed write)
    for code in [*own, shared]:  # each file's versions in log order: 1, 2, 3, ...
        versions = [v for s, v in seen if s == code]
        assert versions == list(range(1, len(versions) + 1))
    report = audit_report(fresh, origin=ORIGIN, authority_key=cast.authority.public_key, workers=1)
    assert report.ok, report.failure
    assert report.events == len(seen)
    assert gc.stats.submissions >= threads * per_thread * 2
