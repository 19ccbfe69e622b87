"""The parallel audit's fast path (``ledger.audit.worker.FactFinder``) against the reference.

The fast path may only say "passes" where ``ChainVerifier.check`` passes, with the same chain
hash; here it is fed every row of a small demo ledger and a few thousand mutations of them
(fixed seed): byte flips, insertions, deletions, and edits of each envelope field.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from eventsourcing.persistence import Notification, StoredEvent

from domain.codes import parse_file_code
from ledger.audit.worker import (
    RULES,
    FactFinder,
    audit_range,
    init_worker,
    registry_public_keys,
)
from ledger.chain.verify import ChainVerifier, unit_roles_allowed
from ledger.encoding import codec
from ledger.encoding.canonical import parse_instant
from ledger.errors import TamperError
from ledger.store.events import EventStore
from ledger.store.rows import store_url
from signing.registry import REGISTRY_STREAM
from tests.support.audits import Demo
from tests.support.cast import ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files


@pytest.fixture
def demo(store: EventStore, cast: Cast) -> Demo:
    ledger = make_ledger(store, cast)
    return Demo(store, ledger, cast, add_files(ledger, cast, T0 + timedelta(hours=1), 12))


def field_edits(state: bytes) -> Iterator[bytes]:
    """One envelope field changed at a time, re-encoded canonically or by hand."""
    doc = orjson.loads(state)
    sort = orjson.OPT_SORT_KEYS

    def dumped(**changes: object) -> bytes:
        return orjson.dumps({**doc, **changes}, option=sort)

    yield dumped(v=2)
    yield dumped(v=True)
    yield dumped(version=str(doc["version"]))
    yield dumped(version=doc["version"] + 1)
    yield dumped(origin="other.example/ledger")
    yield dumped(stream=doc["stream"] + "X")
    yield dumped(type="FileWithdrawn")
    yield dumped(prev_hash=doc["prev_hash"].upper())
    yield dumped(prev_hash="0" * 64)
    yield dumped(occurred_at=doc["occurred_at"].replace(".000000Z", "Z"))
    yield dumped(occurred_at="2026-02-30T01:00:00.000000Z")
    yield dumped(actor="binh" if doc["actor"] != "binh" else "an")
    yield dumped(key_id="0" * 32)
    yield dumped(sig=doc["sig"][:-3] + "B==" if doc["sig"].endswith("A==") else doc["sig"][:-1])
    yield dumped(payload={**doc["payload"], "extra": 1})
    yield dumped(payload={})
    yield dumped(recorded_at=1)
    yield dumped(recorded_at="2026-03-01T00:00:00.000000Z")  # outside the signature: passes
    yield orjson.dumps({k: v for k, v in doc.items() if k != "recorded_at"}, option=sort)
    yield orjson.dumps({k: v for k, v in doc.items() if k != "sig"}, option=sort)
    yield dumped(extra="x")
    first = next(iter(doc["payload"]))
    for value in (1.5, 2**60, None, ["x"], {"é": 1}, True):
        yield dumped(payload={**doc["payload"], first: value})
    yield state.replace(b'"v":1', b'"v":1.0')
    yield state.replace(b"{", b"{ ", 1)
    yield state + b"\n"
    yield state.replace(b'"actor":', b'"actor":"x","actor":', 1)
    yield state.decode().encode("utf-16")


def byte_edits(state: bytes, rng: random.Random, n: int) -> Iterator[bytes]:
    for _ in range(n):
        i = rng.randrange(len(state))
        kind = rng.randrange(3)
        if kind == 0:
            yield state[:i] + bytes([rng.randrange(32, 127)]) + state[i + 1 :]
        elif kind == 1:
            yield state[:i] + b" " + state[i:]
        else:
            yield state[:i] + state[i + 1 :]


def reference(verifier: ChainVerifier, row: StoredEvent) -> str | None:
    """The chain hash ``ChainVerifier.check`` gives ``row`` (None: refused), state unchanged."""
    stream = str(row.originator_id)
    saved = verifier.heads.get(stream)
    try:
        verifier.check(row)
        return verifier.heads[stream][1]
    except TamperError:
        return None
    finally:
        if saved is None:
            verifier.heads.pop(stream, None)
        else:
            verifier.heads[stream] = saved


def rows(store: EventStore) -> list[Notification]:
    return list(store.notifications(1, 10_000))


def test_clean_rows_are_facts_equal_to_the_reference(demo: Demo, cast: Cast) -> None:
    verifier = ChainVerifier(ORIGIN, cast.authority.public_key)
    finder = FactFinder(ORIGIN, registry_public_keys(demo.store))
    facts = 0
    for row in rows(demo.store):
        stream = str(row.originator_id)
        fact = finder.fact(row.id, stream, row.originator_version, row.topic, row.state)
        checked = verifier.check(row)
        if stream == REGISTRY_STREAM:
            assert fact is None  # always the reference's
            continue
        assert fact is not None
        env = checked.envelope
        pos, f_stream, version, prev, chain_hash, actor, kid, when, unit, rule = fact
        assert (pos, f_stream, version, prev) == (row.id, env.stream, env.version, env.prev_hash)
        assert chain_hash == env.hash() == verifier.heads[stream][1]
        assert (actor, kid, when) == (env.actor, env.key_id, env.recorded_at)
        assert env.recorded_at is not None
        assert datetime.fromisoformat(when).astimezone(UTC) == parse_instant(env.recorded_at)
        assert unit == parse_file_code(stream).unit
        event = codec.from_payload(
            env.type,
            env.payload,
            stream=stream,
            version=version,
            occurred_at=env.occurred_at,
            actor=env.actor,
        )
        assert RULES[rule] == unit_roles_allowed(event)
        facts += 1
    assert facts == demo.store.max_position() - 6 > 40


def test_a_mutated_row_is_a_fact_only_where_the_reference_passes(demo: Demo, cast: Cast) -> None:
    verifier = ChainVerifier(ORIGIN, cast.authority.public_key)
    finder = FactFinder(ORIGIN, registry_public_keys(demo.store))
    rng = random.Random(6)
    outcomes = {"both pass": 0, "both refuse": 0, "left to the reference": 0}
    for row in rows(demo.store):
        stream, version, topic = str(row.originator_id), row.originator_version, row.topic
        if stream != REGISTRY_STREAM:
            for state in [*field_edits(row.state), *byte_edits(row.state, rng, 40)]:
                want = reference(verifier, StoredEvent(stream, version, topic, state))
                fact = finder.fact(row.id, stream, version, topic, state)
                if fact is None and want is not None:
                    # More cautious than the reference, never less: ``decode`` takes "v": true
                    # for format 1 (True == 1); the fast path sends that row to the reference.
                    assert orjson.loads(state)["v"] is True, state
                    outcomes["left to the reference"] += 1
                    continue
                got = None
                if fact is not None:  # the parent's order-dependent checks, as it does them
                    assert fact[3] == verifier.head(stream)[1], "the reference would refuse"
                    got = fact[4]
                assert got == want, state
                outcomes["both pass" if want else "both refuse"] += 1
        verifier.check(row)
    assert outcomes["both pass"] > 30 and outcomes["both refuse"] > 2000, outcomes


def test_a_row_read_as_another_type_is_not_a_fact(demo: Demo, cast: Cast) -> None:
    row = rows(demo.store)[10]
    finder = FactFinder(ORIGIN, registry_public_keys(demo.store))
    stream, version = str(row.originator_id), row.originator_version
    assert finder.fact(row.id, stream, version, row.topic, row.state) is not None
    assert finder.fact(row.id, stream, version, "FileWithdrawn", row.state) is None
    assert finder.fact(row.id, stream, version + 1, row.topic, row.state) is None
    assert finder.fact(row.id, stream, version, row.topic, bytearray(row.state)) is None  # type: ignore[arg-type]
    other = FactFinder("other/ledger", registry_public_keys(demo.store))
    assert other.fact(row.id, stream, version, row.topic, row.state) is None


def test_a_key_named_twice_with_different_keys_is_left_to_the_reference(
    demo: Demo, cast: Cast
) -> None:
    keys = registry_public_keys(demo.store)
    assert keys[cast.officer.key_id] == cast.officer.public_key
    assert len(keys) == 6 and all(len(k or b"") == 32 for k in keys.values())
    finder = FactFinder(ORIGIN, {**keys, cast.officer.key_id: None})
    facts = [
        finder.fact(r.id, str(r.originator_id), r.originator_version, r.topic, r.state)
        for r in rows(demo.store)
    ]
    officer_rows = [r for r in rows(demo.store) if cast.officer.key_id.encode() in r.state]
    assert officer_rows and all(facts[r.id - 1] is None for r in officer_rows)


def test_store_url_reopens_the_same_store_in_a_worker(demo: Demo) -> None:
    url = store_url(demo.store)
    assert url is not None and url.startswith(("sqlite:///", "postgresql://"))
    init_worker(url, ORIGIN, registry_public_keys(demo.store))
    total = demo.store.max_position()
    got = audit_range(1, total + 1)
    assert [r[0] for r in got] == list(range(1, total + 1))
    assert audit_range(5, 9) == got[4:8]
    assert [r[:3] for r in got] == [
        (r.id, str(r.originator_id), r.originator_version) for r in rows(demo.store)
    ]
