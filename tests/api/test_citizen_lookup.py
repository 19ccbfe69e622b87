"""The citizen's lookup with its memory of verified PINs (issue 6), on both backends: the same
answer whether the scrypt ran or not, no new oracle, a bounded memory, and no personal data."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.lookup_reads import LookupReads
from api.http.routes.public import CitizenView
from api.http.state import state_of
from ledger.store import sql as db_sql
from ledger.store.pins import KEYED, VerifiedPins, hash_pin, pin_matches
from projections.models.reader import PostgresReader
from projections.queries.citizen import CitizenRecord, citizen_status
from tests.support.cast import UNIT
from tests.support.http import World, no_personal_data
from tests.support.problems import assert_problem

UNKNOWN = f"{UNIT}-260302-0999"


def fresh_pins(client: TestClient, capacity: int = 1024) -> VerifiedPins:
    """An empty memory of right PINs, with the service's PIN pepper."""
    state = state_of(client.app)
    pins = VerifiedPins(capacity, pepper=state.verified_pins.pepper)
    state.verified_pins = pins
    return pins


def stored_hash(world: World, code: str) -> str:
    rows = db_sql.rows(
        world.ledger.store, "SELECT pin_hash FROM hoso_file_pins WHERE file_code = ?", (code,)
    )
    return str(rows[0]["pin_hash"])


def wrong_for(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


def test_a_remembered_right_pin_answers_the_same_body(world: World) -> None:
    pins = fresh_pins(world.client)
    receipt = world.receipts[0]
    first = world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin})
    assert first.status_code == 200, first.text
    assert len(pins) == 1 and pins.known(
        receipt.code, receipt.pin, stored_hash(world, receipt.code)
    )
    second = world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin})
    assert second.status_code == 200
    assert second.content == first.content and len(pins) == 1
    assert second.headers["content-type"] == "application/json"
    # The fast answer is exactly the documented model, built from the projection query.
    view = CitizenView.model_validate_json(second.content)
    found = citizen_status(world.ledger, receipt.code, receipt.pin)
    assert found is not None
    assert view.state == found.state == "in_progress" and view.portal_status == 4
    assert view.now_en == found.now_en and view.procedure_vi == found.procedure_vi
    assert [(s.text_en, s.department, s.agency) for s in view.steps] == [
        (s.text_en, s.department, s.agency) for s in found.steps
    ]
    assert view.missing_items == list(found.missing_items)
    no_personal_data(second.text)
    assert '"an"' not in second.text  # no officer's name


def test_a_wrong_pin_after_the_right_one_is_the_unknown_codes_404(world: World) -> None:
    pins = fresh_pins(world.client)
    receipt = world.receipts[1]
    assert (
        world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin}).status_code
        == 200
    )
    wrong = world.client.get(
        f"/public/files/{receipt.code}", params={"pin": wrong_for(receipt.pin)}
    )
    unknown = world.client.get(f"/public/files/{UNKNOWN}", params={"pin": receipt.pin})
    a, b = assert_problem(wrong, 404, "not-found"), assert_problem(unknown, 404, "not-found")
    assert a.pop("instance") == f"/public/files/{receipt.code}"
    b.pop("instance")
    assert a == b
    assert wrong.content.replace(receipt.code.encode(), b"X") == unknown.content.replace(
        UNKNOWN.encode(), b"X"
    )
    assert {k: v for k, v in wrong.headers.items() if k != "content-length"} == {
        k: v for k, v in unknown.headers.items() if k != "content-length"
    }
    assert len(pins) == 1  # misses are never remembered


def test_the_memory_never_turns_a_wrong_pin_into_200(world: World) -> None:
    pins = fresh_pins(world.client)
    r0, r1 = world.receipts[0], world.receipts[1]
    for r in (r0, r1):
        assert world.client.get(f"/public/files/{r.code}", params={"pin": r.pin}).status_code == 200
    tries = [
        (r0.code, wrong_for(r0.pin)),
        (r0.code, r1.pin if r1.pin != r0.pin else wrong_for(r0.pin)),  # another file's PIN
        (r1.code, r0.pin if r0.pin != r1.pin else wrong_for(r1.pin)),
        (UNKNOWN, r0.pin),  # a remembered PIN on a code that does not exist
        (UNKNOWN, "000000"),  # matches the dummy hash that equalises the timing: still 404
    ]
    for code, pin in tries:
        assert_problem(
            world.client.get(f"/public/files/{code}", params={"pin": pin}), 404, "not-found"
        )
    assert len(pins) == 2
    # A re-issued PIN (a new stored hash) retires the remembered pair at once.
    new_pin = wrong_for(r0.pin)
    db_sql.run(
        world.ledger.store,
        "UPDATE hoso_file_pins SET pin_hash = ? WHERE file_code = ?",
        (hash_pin(new_pin, b"a-fresh-salt-16b"), r0.code),
    )
    old = world.client.get(f"/public/files/{r0.code}", params={"pin": r0.pin})
    assert_problem(old, 404, "not-found")
    assert world.client.get(f"/public/files/{r0.code}", params={"pin": new_pin}).status_code == 200


def test_the_memory_is_bounded_over_http(world: World) -> None:
    pins = fresh_pins(world.client, capacity=2)
    for _ in range(2):
        for r in world.receipts:
            got = world.client.get(f"/public/files/{r.code}", params={"pin": r.pin})
            assert got.status_code == 200, got.text
            assert len(pins) <= 2
    assert len(pins) == 2
    last = world.receipts[-1]
    assert pins.known(last.code, last.pin, stored_hash(world, last.code))
    first = world.receipts[0]
    assert not pins.known(first.code, first.pin, stored_hash(world, first.code))


def test_verified_pins_keep_the_most_recent_pairs() -> None:
    stored = {
        c: hash_pin(p, c.encode().ljust(16, b"s"))
        for c, p in [("A", "111111"), ("B", "222222"), ("C", "333333")]
    }
    pins = VerifiedPins(capacity=2, secret=bytes(32))
    assert pins.check("A", "111111", stored["A"]) and pins.check("B", "222222", stored["B"])
    assert pins.known("A", "111111", stored["A"])  # A is now the most recently used
    assert pins.check("C", "333333", stored["C"])
    assert len(pins) == 2
    assert pins.known("A", "111111", stored["A"]) and pins.known("C", "333333", stored["C"])
    assert not pins.known("B", "222222", stored["B"])  # the least recently used went out
    assert not pins.check("A", "111112", stored["A"]) and len(pins) == 2
    assert not pins.known("A", "111111", stored["B"])  # the pair is bound to its stored hash
    assert pin_matches("333333", stored["C"]) and not pins.known("C", "333333", stored["A"])


def test_pairs_are_keyed_by_a_per_process_secret() -> None:
    stored = hash_pin("123456", b"0123456789abcdef")
    one, two = VerifiedPins(), VerifiedPins()
    assert one.check("X", "123456", stored)
    assert not two.known("X", "123456", stored)
    assert one._key("X", "123456", stored) != two._key("X", "123456", stored)
    assert b"123456" not in one._key("X", "123456", stored)


def test_a_forgotten_applicant_still_shows_no_personal_data(world: World) -> None:
    fresh_pins(world.client)
    receipt = world.receipts[2]
    before = world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin})
    assert before.status_code == 200
    no_personal_data(before.text)
    world.ledger.forget(receipt.applicant_ref)
    after = world.client.get(f"/public/files/{receipt.code}", params={"pin": receipt.pin})
    assert after.status_code == 200 and after.content == before.content
    no_personal_data(after.text)
    assert "forgotten" not in after.text.lower() and "erased" not in after.text.lower()
    assert_problem(
        world.client.get(f"/public/files/{receipt.code}", params={"pin": wrong_for(receipt.pin)}),
        404,
        "not-found",
    )


def test_waiting_lookups_share_one_query(world: World) -> None:
    db = world.settings.db
    reader = PostgresReader(db) if db and world.ledger.store.dialect == "postgresql" else None
    reads = LookupReads(
        world.ledger.store,
        reader=reader,
        max_batch=8,
        secrets_of=world.ledger.applicant_secrets,
    )
    codes = [r.code for r in world.receipts] * 5 + [UNKNOWN]

    async def together() -> list[CitizenRecord | None]:
        return await asyncio.gather(*(reads.record(c) for c in codes))

    got = asyncio.run(together())
    for code, record in zip(codes, got, strict=True):
        if code == UNKNOWN:
            assert record is None
            continue
        assert record is not None and record.code == code
        assert record.file is not None and record.pin_hash == stored_hash(world, code)
    first = got[0]
    assert first is not None and first.file is not None
    assert [s.type for s in first.file.steps] == ["FileReceived", "FileHandedOff"]
    assert reads.lookups == len(codes) == 21 and reads.queries == 3  # 8 + 8 + 5
    reads.close()


def test_the_fast_path_answers_as_the_route_does(world: World) -> None:
    """``?pin=X`` is answered by the fast path; ``?pin=X&`` goes on to the FastAPI route."""
    fresh_pins(world.client)
    r = world.receipts[3]
    cases = [(r.code, r.pin, 200), (r.code, wrong_for(r.pin), 404), (UNKNOWN, r.pin, 404)]
    for code, pin, status in cases:
        fast = world.client.get(f"/public/files/{code}?pin={pin}")
        routed = world.client.get(f"/public/files/{code}?pin={pin}&")
        assert fast.status_code == routed.status_code == status
        assert fast.content == routed.content
        assert dict(fast.headers) == dict(routed.headers)
    refused = world.client.get(f"/public/files/{r.code}?pin={r.pin}&pin={r.pin}")
    assert refused.status_code == 200  # the route's answer (the last value); not the fast path
    assert refused.content == world.client.get(f"/public/files/{r.code}?pin={r.pin}").content
    assert_problem(world.client.get(f"/public/files/{r.code}?pin=12345"), 422, "invalid-request")
    assert_problem(world.client.get(f"/public/files/{r.code}?pin=1234567"), 422, "invalid-request")
    assert_problem(world.client.get(f"/public/files/{r.code}x?pin={r.pin}"), 422, "invalid-request")
    head = world.client.head(f"/public/files/{r.code}?pin={r.pin}")  # issue 16: HEAD is a GET
    assert head.status_code == 200 and head.content == b""


def test_concurrent_lookups_each_get_their_own_answer(world: World) -> None:
    """Many lookups at once (batched reads and counts, keyed checks): no answer is mixed
    up, a wrong PIN or an unknown code is never let through by the queue."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    fresh_pins(world.client)
    state_of(app).scrypt_threads = 1
    asks: list[tuple[str, str, int]] = []
    for r in world.receipts:
        asks += [(r.code, r.pin, 200), (r.code, wrong_for(r.pin), 404), (r.code, r.pin, 200)]
    asks.append((UNKNOWN, world.receipts[0].pin, 404))

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await asyncio.gather(
                *(http.get(f"/public/files/{c}?pin={p}") for c, p, _ in asks)
            )

    answers = asyncio.run(together())
    for (code, _pin, status), answer in zip(asks, answers, strict=True):
        assert answer.status_code == status, (code, answer.text)
        if status == 200:
            assert answer.json()["code"] == code
    # Keyed PINs (issue 19) are checked on the event loop, in microseconds: the scrypt queue
    # (for PINs issued before the pepper) was never needed.
    assert all(stored_hash(world, r.code).startswith(KEYED) for r in world.receipts)
    assert state_of(app).scrypt_limiter is None
