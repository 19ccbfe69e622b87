"""One read per command, and a PostgreSQL pool that pings only idle connections.

``EventStore.stream_with`` returns a file's rows and the key registry's new rows from one
statement, on both backends; ``Ledger.execute`` reads the store through it once per command and
still sees a registry change made by another process. On PostgreSQL a pooled connection is
pinged at checkout only when it sat unused for ``ping_idle_after`` seconds; the server ending
a connection (``pg_terminate_backend``, what an outage does) costs at most one failed
statement, never a stuck pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from domain.events import Desk
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.errors import Refused
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.keystore import open_key_store
from ledger.store.opening import open_postgres
from signing.errors import KeyNotValid
from signing.registry import REGISTRY_STREAM, Role
from tests.support.cast import ORIGIN, T0, UNIT, Cast, make_ledger, signer
from tests.support.clock import Clock
from tests.support.keys import counting_keys
from tests.support.lifecycle import receive_file
from tests.support.postgres import PG_URL
from tests.support.reads import RecordingStore

PERSON = PersonalData("Đỗ Minh Châu", "001190000123", "0900000123", "Hà Nội")
T1 = T0 + timedelta(hours=1)


def event(stream: str, version: int) -> StoredEvent:
    return StoredEvent(stream, version, "T", f"{stream}/{version}".encode())


def test_stream_with_reads_a_stream_and_the_tail_of_another(store: EventStore) -> None:
    store.append([event("B", v) for v in (1, 2, 3)])
    store.append([event("A", 1), event("A2", 1), event("B", 4), event("A", 2)])
    mine, theirs = store.stream_with("A", "B", other_after=2)
    assert [(e.originator_id, e.originator_version) for e in mine] == [("A", 1), ("A", 2)]
    assert [(e.originator_id, e.originator_version) for e in theirs] == [("B", 3), ("B", 4)]
    assert mine == list(store.stream("A"))
    assert theirs == list(store.stream("B", gt=2))
    assert store.stream_with("A", "B", other_after=4)[1] == []
    assert store.stream_with("A", "B", other_after=0)[1] == list(store.stream("B"))
    assert store.stream_with("nothing", "B", other_after=3) == ([], [event("B", 4)])
    same, tail = store.stream_with("B", "B", other_after=3)
    assert (len(same), tail) == (4, [event("B", 4)])
    assert store.stream_with("A", "B", other_after=3, after=1) == ([event("A", 2)], [event("B", 4)])
    assert store.stream_with("A", "B", other_after=3, after=2)[0] == []
    assert store.stream_with("B", "B", other_after=1, after=3) == (
        [event("B", 4)],
        [event("B", v) for v in (2, 3, 4)],
    )


def receive(ledger: Ledger, cast: Cast) -> str:
    return receive_file(ledger, cast, T1, PERSON)


def hand_off(
    ledger: Ledger, code: str, actor: str, key: Any, at: Any = T1, to: str = "an", note: str = ""
) -> None:
    ledger.execute(
        code,
        signer=key,
        actor=actor,
        at=at,
        command=lambda f: f.hand_off(actor=actor, to=Desk(to, "phong-a", UNIT), note=note, at=at),
    )


def test_a_command_reads_the_store_once(store: EventStore, cast: Cast) -> None:
    counting = RecordingStore(store)
    ledger = make_ledger(counting, cast)
    code = receive(ledger, cast)
    counting.reads.clear()
    hand_off(ledger, code, "an", cast.officer)
    assert counting.reads == Counter({"stream_with": 1})
    assert ledger.load(code).file.version == 2


def test_a_hand_off_with_a_note_reads_the_applicants_key_with_the_file(
    store: EventStore, cast: Cast
) -> None:
    """On PostgreSQL the key that seals the note comes in the file's read (one round trip for
    the command); SQLite keeps its keys in a file of their own and asks it apart. Once the
    applicant is forgotten, the same read finds no key and the note is refused."""
    counting = RecordingStore(store)
    ledger = make_ledger(counting, cast)
    keys = counting_keys(ledger)
    code = receive(ledger, cast)
    counting.reads.clear()
    hand_off(ledger, code, "an", cast.officer, note="kèm bản sao")
    assert counting.reads == Counter({"stream_with": 1})
    assert keys.reads["one"] == (0 if store.dialect == "postgresql" else 1)
    note = ledger.load(code).envelopes[-1].payload["note"]
    assert note != "kèm bản sao" and ledger.reveal(note) == "kèm bản sao"
    ledger.forget(ledger.load(code).file.applicant_ref)
    with pytest.raises(Refused, match="forgotten"):
        hand_off(ledger, code, "an", cast.officer, to="binh", note="lần nữa")
    assert ledger.load(code).file.version == 2


def test_the_key_read_with_the_streams_is_the_applicants_or_none(store: EventStore) -> None:
    store.append([event("A", 1), event("B", 1)])
    keys = open_key_store(store)
    keys.add([("ap-1", b"k" * 32, "2026-03-02T01:00:00Z")])
    read = keys.key_read("ap-1")
    if store.dialect != "postgresql":
        assert read is None
        return
    assert read is not None
    assert store.stream_with("A", "B", other_after=0, key=read) == (
        [event("A", 1)],
        [event("B", 1)],
    )
    assert read.found == b"k" * 32
    unknown = keys.key_read("ap-2")
    assert unknown is not None
    store.stream_with("A", "B", other_after=0, key=unknown)
    assert unknown.found is None
    same = keys.key_read("ap-1")
    assert same is not None
    assert store.stream_with("A", "A", other_after=0, key=same) == (
        [event("A", 1)],
        [event("A", 1)],
    )
    assert same.found is None  # one stream read twice: the key is left to the key store


def test_a_registry_change_by_another_ledger_reaches_the_next_command(
    store: EventStore, cast: Cast
) -> None:
    """The registry's new rows arrive with the file's rows: a key registered, then revoked,
    through another ``Ledger`` (another process) is known to this one's next command."""
    clock = Clock(T0)
    ledger = make_ledger(store, cast, clock)
    other = Ledger(
        store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        calendar=ledger.calendar,
        clock=clock,
    )
    clock.set(T1)
    code = receive(ledger, cast)
    hand_off(ledger, code, "an", cast.officer)  # this ledger's registry is now warm
    ledger.registry()
    newcomer = signer(40)
    other.register_key(
        signer=cast.admin,
        actor="admin",
        holder="duong",
        role=Role.OFFICER,
        unit=UNIT,
        public_key=newcomer.public_key,
        valid_from=T1,
        at=T1,
    )
    for minutes, (actor, key, to) in zip(
        (5, 10, 15),
        [("an", cast.officer, "duong"), ("duong", newcomer, "an"), ("an", cast.officer, "duong")],
        strict=True,
    ):
        clock.set(T1 + timedelta(minutes=minutes))
        hand_off(ledger, code, actor, key, T1 + timedelta(minutes=minutes), to=to)
    kid = next(k for k, r in other.registry().keys.items() if r.holder == "duong")
    other.revoke_key(
        signer=cast.admin,
        actor="admin",
        kid=kid,
        effective_at=T1 + timedelta(minutes=30),
        reason="nghỉ",
        at=T1 + timedelta(minutes=16),
    )
    later = T1 + timedelta(hours=1)
    clock.set(later)
    with pytest.raises(KeyNotValid):
        hand_off(ledger, code, "duong", newcomer, later)
    assert ledger.load(code).file.version == 5
    assert len(ledger.store.stream(REGISTRY_STREAM)) == len(other.store.stream(REGISTRY_STREAM))


# ------------------------------------------------------------------- PostgreSQL pool


def backend_pids(store: EventStore, n: int = 4) -> set[int]:
    return {int(db_sql.rows(store, "SELECT pg_backend_pid() AS pid")[0]["pid"]) for _ in range(n)}


def terminate(pids: set[int]) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def pg_store(pg_schema: str, request: pytest.FixtureRequest) -> Iterator[EventStore]:
    s = open_postgres(pg_schema, pool_size=1, ping_idle_after=request.param)
    s.append([event("A", 1)])
    yield s
    s.close()


def pool_stats(store: EventStore) -> dict[str, int]:
    stats: dict[str, int] = store._datastore.pool.get_stats()
    return stats


@pytest.mark.postgres
@pytest.mark.parametrize("pg_store", [0.0], indirect=True)
def test_an_idle_connection_the_server_ended_is_replaced_unseen(pg_store: EventStore) -> None:
    """Idle longer than ``ping_idle_after`` (here: any time): pinged, found dead, replaced
    before the statement runs."""
    pids = backend_pids(pg_store)
    assert 1 <= len(pids) <= 2  # the pool holds at most 2 (pool_size 1, overflow 1)
    terminate(pids)
    assert db_sql.rows(pg_store, "SELECT 1 AS one") == [{"one": 1}]
    assert backend_pids(pg_store).isdisjoint(pids)
    assert pool_stats(pg_store).get("connections_lost", 0) >= 1  # found by the ping
    assert pool_stats(pg_store).get("returns_bad", 0) == 0  # no statement met a dead one


@pytest.mark.postgres
@pytest.mark.parametrize("pg_store", [3600.0], indirect=True)
def test_a_busy_connection_is_not_pinged_and_reads_and_writes_recover(
    pg_store: EventStore,
) -> None:
    """Used a moment ago: handed out without a ping. The server ending it fails the statement
    on it; the pool drops it, and reads (side tables, ``stream_with``, the recorder's) and the
    recorder's writes run again on a new connection by themselves."""
    pids = backend_pids(pg_store)
    terminate(pids)
    assert db_sql.rows(pg_store, "SELECT 1 AS one") == [{"one": 1}]
    assert pool_stats(pg_store).get("connections_lost", 0) == 0  # no ping found it
    assert pool_stats(pg_store).get("returns_bad", 0) >= 1  # the statement did, then retried
    assert backend_pids(pg_store).isdisjoint(pids)
    terminate(backend_pids(pg_store))
    assert pg_store.stream_with("A", "B", other_after=0)[0] == [event("A", 1)]
    terminate(backend_pids(pg_store))
    pg_store.append([event("A", 2)])
    terminate(backend_pids(pg_store))
    assert [e.originator_version for e in pg_store.stream("A")] == [1, 2]
