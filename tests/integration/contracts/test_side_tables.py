"""The side tables' repositories, on both backends: code counters (atomic per unit and day),
PIN hashes, applicant keys (erasure included) and API tokens."""

from __future__ import annotations

import threading

from eventsourcing.persistence import StoredEvent

from ledger.store.events import EventStore
from ledger.store.side_tables import ApplicantKeys, CodeCounters, FilePins
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


def test_applicant_keys_are_kept_then_erased(store: EventStore) -> None:
    keys = ApplicantKeys(store)
    keys.add("ap-1", b"\x00secret\xff" * 3, "2026-03-02T01:00:00.000000Z")
    store.append(
        [StoredEvent("F-1", 1, "FileReceived", b"{}")],
        [ApplicantKeys.adding("ap-2", b"two", "2026-03-02T01:00:00.000000Z")],
    )
    assert keys.secret("ap-1") == b"\x00secret\xff" * 3
    assert keys.secret("ap-2") == b"two" and keys.known("ap-2")
    keys.erase("ap-1")
    assert keys.secret("ap-1") is None and not keys.known("ap-1")
    assert keys.known("ap-2")  # only that applicant's key went
    keys.erase("ap-1")  # erasing again changes nothing
    assert [e.originator_version for e in store.stream("F-1")] == [1]  # events untouched


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
