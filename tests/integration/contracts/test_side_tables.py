"""The side tables' repositories, on both backends: code counters (atomic per unit and day),
PIN hashes and API tokens (applicant keys: ``test_key_store``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import StoredEvent

from ledger.store.events import EventStore
from ledger.store.pins import FIRST_LOCK_SECONDS, FREE_TRIES, PinFailures
from ledger.store.side_tables import CodeCounters, FilePins
from ledger.store.tokens import TokenRepository, TokenRow


def test_counters_count_per_unit_and_day(store: EventStore) -> None:
    counters = CodeCounters(store)
    assert counters.last("U1", "2026-03-02") == 0
    assert [counters.next("U1", "2026-03-02") for _ in range(3)] == [1, 2, 3]
    assert counters.next("U1", "2026-03-03") == 1
    assert counters.next("U2", "2026-03-02") == 1
    assert counters.last("U1", "2026-03-02") == 3
    assert counters.last("U1", "2026-03-03") == 1


def test_concurrent_counters_never_share_a_number(store: EventStore) -> None:
    counters = CodeCounters(store)
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            n = counters.next("U1", "2026-03-02")
            with lock:
                got.append(n)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 41))
    assert counters.last("U1", "2026-03-02") == 40


def test_pins_are_written_with_the_files_events(store: EventStore) -> None:
    pins = FilePins(store)
    assert pins.pin_hash("F-1") is None
    store.append([StoredEvent("F-1", 1, "FileReceived", b"{}")], [FilePins.adding("F-1", "h1")])
    assert pins.pin_hash("F-1") == "h1"
    assert pins.pin_hash("F-2") is None


def token(n: int, actor: str = "an") -> TokenRow:
    return TokenRow(
        token_hash=f"hash-{n}",
        token_id=f"id-{n}",
        actor=actor,
        role="officer",
        unit="PBADINH",
        units='["PBADINH"]',
        created_at=f"2026-03-02T01:00:0{n}.000000Z",
        revoked_at=None,
    )


def test_tokens_are_found_by_hash_until_revoked(store: EventStore) -> None:
    tokens = TokenRepository(store)
    tokens.ensure_table()
    tokens.ensure_table()  # idempotent
    tokens.add(token(2, "binh"))
    tokens.add(token(1))
    assert tokens.find_active("hash-1") == token(1)
    assert tokens.find_active("hash-9") is None
    assert tokens.revoke("id-1", "2026-03-03T00:00:00.000000Z")
    assert not tokens.revoke("id-1", "2026-03-04T00:00:00.000000Z")  # already revoked
    assert not tokens.revoke("id-9", "2026-03-04T00:00:00.000000Z")
    assert tokens.find_active("hash-1") is None
    assert tokens.find_active("hash-2") is not None
    listed = tokens.all()
    assert [t.token_id for t in listed] == ["id-1", "id-2"]  # by creation time
    assert listed[0].revoked_at == "2026-03-03T00:00:00.000000Z"
    assert listed[1].revoked_at is None


def test_pin_checks_counted_together_lock_as_one_by_one(store: EventStore) -> None:
    """``PinFailures.attempts`` (the lookups waiting at one moment, one commit): each try is
    counted by its own statement, so a burst of one code's guesses in one batch gets no more
    checks than the lockout allows, and another code in the batch is not touched by it."""
    failures = PinFailures(store)
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    tries = [("F-1", now)] * (FREE_TRIES + 2) + [("F-2", now)]
    got = failures.attempts(tries)
    allowed = [x for x in got[: FREE_TRIES + 2] if x is None]
    assert len(allowed) == FREE_TRIES  # the last of them already locks the code
    assert got[FREE_TRIES] == got[FREE_TRIES + 1] == now + timedelta(seconds=FIRST_LOCK_SECONDS)
    assert got[-1] is None
    assert failures.locked_until("F-1") == now + timedelta(seconds=FIRST_LOCK_SECONDS)
    assert failures.locked_until("F-2") is None


def test_a_count_written_without_waiting_for_the_disk_is_seen_at_once(
    store: EventStore,
) -> None:
    """The count skips the WAL flush on PostgreSQL (``durable=False``), never its visibility:
    another connection of the pool sees the lock the moment ``attempts`` returns."""
    failures = PinFailures(store)
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    failures.attempts([("F-9", now)] * FREE_TRIES)
    seen = store._query("SELECT failures FROM hoso_pin_failures WHERE file_code = ?", ("F-9",))
    assert seen == [{"failures": FREE_TRIES}]
    assert failures.attempt("F-9", now) is not None  # locked: refused, not counted
    failures.clear("F-9")
    assert failures.attempt("F-9", now) is None


def test_distinct_codes_counted_in_one_batch_as_one_by_one(store: EventStore) -> None:
    """A batch of distinct codes (one statement on PostgreSQL): a locked code refused and not
    counted, the others counted, and a code past its lock counted again with a longer lock."""
    failures = PinFailures(store)
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    first_lock = now + timedelta(seconds=FIRST_LOCK_SECONDS)
    failures.attempts([("F-1", now)] * FREE_TRIES)
    assert failures.attempts([("F-1", now), ("F-2", now), ("F-3", now)]) == [
        first_lock,
        None,
        None,
    ]
    counts = {
        str(r["file_code"]): int(r["failures"])
        for r in store._query("SELECT file_code, failures FROM hoso_pin_failures")
    }
    assert counts == {"F-1": FREE_TRIES, "F-2": 1, "F-3": 1}
    later = first_lock + timedelta(seconds=1)
    assert failures.attempts([("F-2", later), ("F-1", later)]) == [None, None]
    assert failures.locked_until("F-1") == later + timedelta(seconds=2 * FIRST_LOCK_SECONDS)
    assert failures.locked_until("F-2") is None
