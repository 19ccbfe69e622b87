"""Bulk ingest (``Intake.submit_many``): many files' client-signed envelopes, on both backends.

Each file all or nothing with ``submit``'s checks and errors; the batch's accepted files in one
transaction; a concurrent writer or a bad file fails alone; idempotent; statements counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from eventsourcing.sqlite import SQLiteCursor

from domain.events import Desk
from domain.procedures import Channel
from ledger.audit.full import audit_report
from ledger.chain.intake import Intake
from ledger.chain.service import Ledger
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope, build, decode
from ledger.errors import (
    ConflictError,
    LedgerError,
    PermissionRefused,
    Refused,
    StaleHead,
    TamperError,
)
from ledger.store import sql as db_sql
from ledger.store.events import EventStore, SideWrite
from signing import Signer
from signing.errors import VerificationError
from tests.support.cast import T0, UNIT, Cast
from tests.support.intake import sign
from tests.support.keys import counting_keys
from tests.support.lifecycle import add_files

START = T0 + timedelta(hours=1)


def hand_offs(ledger: Ledger, cast: Cast, code: str, at: datetime) -> list[bytes]:
    """Two chained envelopes on a file held by binh: binh hands to an, an asks for signature."""
    loaded = ledger.load(code)
    f = loaded.file
    f.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="", at=at)
    f.submit_for_signature(actor="an", leader="chutich", at=at + timedelta(seconds=1))
    who = [("binh", cast.officer2), ("an", cast.officer)]
    return sign(ledger, code, f.collect_events(), who, loaded.head_hash)


def receipt(ledger: Ledger, cast: Cast, n: int, at: datetime) -> list[bytes]:
    """A new file opened by the client (an), handed on to binh in the same submission."""
    # A new applicant, its key stored, as the prepare-receipt route makes one (issue 16: the
    # receipt's documents are sealed with it).
    applicant = ledger.receipts.applicant(None, at)
    unsigned = Intake(ledger).prepare_receipt(
        actor="an",
        key_id=cast.officer.key_id,
        at=at,
        unit=UNIT,
        procedure="certified_copy",
        channel=Channel.IN_PERSON,
        counter="Q01",
        department="mot-cua",
        documents=("Bản chính",),
        applicant_ref=applicant.ref,
        applicant_sealed="sealed",
        code=f"{UNIT}-260302-{9000 + n:04d}",
    )
    first = unsigned.sign(cast.officer)
    return [first.to_bytes()]


def held_by_binh(ledger: Ledger, cast: Cast, n: int) -> list[str]:
    """``n`` stored files, each received and handed to binh (add_files' every fourth file)."""
    codes = add_files(ledger, cast, START, 4 * n)
    return codes[::4]


def size(store: EventStore) -> int:
    """Stored events (not the last position: a rolled-back write leaves a gap on PostgreSQL)."""
    return int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])


def audited(ledger: Ledger) -> None:
    report = audit_report(ledger.store, origin=ledger.origin, authority_key=ledger.authority_key)
    assert report.ok, report.failure


@pytest.fixture
def intake(ledger: Ledger) -> Iterator[Intake]:
    it = Intake(ledger, workers=2)
    yield it
    it.close()


AT = START + timedelta(hours=5)


def test_a_batch_of_many_files_lands_exactly(ledger: Ledger, cast: Cast, intake: Intake) -> None:
    codes = held_by_binh(ledger, cast, 5)
    before = size(ledger.store)
    batch = [hand_offs(ledger, cast, c, AT) for c in codes]
    batch += [receipt(ledger, cast, n, AT) for n in range(3)]
    outcomes = intake.submit_many(batch, now=AT)
    assert [o.error for o in outcomes] == [None] * 8
    assert [len(o.submitted) for o in outcomes] == [2] * 5 + [1] * 3
    assert not any(s.stored_before for o in outcomes for s in o.submitted)
    assert size(ledger.store) == before + 13
    for code, signed in zip(codes, batch, strict=False):
        loaded = ledger.load(code)
        assert [e.signed_bytes() for e in loaded.envelopes[-2:]] == signed
        assert loaded.file.holder.officer == "chutich"
    # Log order within each file follows its versions.
    seen: dict[str, int] = {}
    for n in ledger.store.notifications(1, 10_000):
        assert n.originator_version == seen.get(str(n.originator_id), 0) + 1
        seen[str(n.originator_id)] = n.originator_version
    audited(ledger)


def forge(signed: bytes, key: Signer) -> bytes:
    """The envelope with a signature by ``key`` over its own message (the wrong key)."""
    env = decode(signed)
    return replace(env, signature=key.sign(env.unsigned.signing_message())).to_bytes()


def test_one_bad_file_fails_alone(ledger: Ledger, cast: Cast, intake: Intake) -> None:
    good, forged, stale, rule, half = held_by_binh(ledger, cast, 5)
    batch = [hand_offs(ledger, cast, c, AT) for c in (good, forged, stale, rule, half)]
    batch[1] = [forge(batch[1][0], cast.officer), batch[1][1]]  # binh's envelope, an's key
    batch[4] = [batch[4][0], forge(batch[4][1], cast.officer2)]  # the second one is bad
    # A concurrent command moved the stale file on before the batch came in.
    ledger.execute(
        stale,
        signer=cast.officer2,
        actor="binh",
        at=AT,
        command=lambda f: f.hand_off(
            actor="binh", to=Desk("chutich", "lanh-dao", UNIT), note="", at=AT
        ),
    )
    # The rule file: binh claims the hand-off came from someone else's desk.
    loaded = ledger.load(rule)
    loaded.file.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="", at=AT)
    (event,) = loaded.file.collect_events()
    type_, payload = codec.to_payload(event)
    payload["from_desk"] = {"officer": "an", "department": "x", "agency": UNIT}
    lie = build(
        origin=ledger.origin,
        stream=rule,
        version=event.originator_version,
        type_=type_,
        occurred_at=AT,
        actor="binh",
        key_id=cast.officer2.key_id,
        payload=payload,
        prev_hash=loaded.head_hash,
    )
    batch[3] = [lie.sign(cast.officer2).to_bytes()]
    before = size(ledger.store)
    heads = {c: ledger.load(c).file.version for c in (forged, stale, rule, half)}
    outcomes = intake.submit_many(batch, now=AT)
    assert outcomes[0].ok and len(outcomes[0].submitted) == 2
    for o in (outcomes[1], outcomes[4]):
        assert isinstance(o.error, PermissionRefused)
        assert isinstance(o.error.__cause__, TamperError)
        assert isinstance(o.error.__cause__.__cause__, VerificationError)
    assert isinstance(outcomes[2].error, StaleHead)
    assert isinstance(outcomes[3].error, Refused) and "does not match" in str(outcomes[3].error)
    assert size(ledger.store) == before + 2  # only the good file
    for code, version in heads.items():  # all or nothing: not even a first good envelope
        assert ledger.load(code).file.version == version
    audited(ledger)


def test_the_error_is_the_one_submit_names(ledger: Ledger, cast: Cast, intake: Intake) -> None:
    """Signatures are verified apart from the other checks, yet each file's error is the one
    ``submit`` (one by one, in order) names: whichever failure comes first in the file."""
    a, b = held_by_binh(ledger, cast, 2)
    sub_a, sub_b = hand_offs(ledger, cast, a, AT), hand_offs(ledger, cast, b, AT)
    cases = [
        # a bad first signature, then a second envelope off the clock: the signature
        ([forge(sub_a[0], cast.officer), sub_a[1]], AT - timedelta(minutes=4, seconds=59.5)),
        # a first envelope off the clock, then a bad signature: the clock
        ([sub_b[0], forge(sub_b[1], cast.officer2)], AT + timedelta(minutes=5, seconds=0.5)),
    ]
    one = Intake(ledger, workers=1)
    for sub, now in cases:
        with pytest.raises(LedgerError) as raised:
            one.submit(sub, now=now)
        (outcome,) = intake.submit_many([sub], now=now)
        assert (type(outcome.error), str(outcome.error)) == (raised.type, str(raised.value))
    assert isinstance(intake.submit_many([cases[0][0]], now=cases[0][1])[0].error,
                      PermissionRefused)  # fmt: skip
    assert isinstance(intake.submit_many([cases[1][0]], now=cases[1][1])[0].error, Refused)


def test_resubmission_is_idempotent(ledger: Ledger, cast: Cast, intake: Intake) -> None:
    codes = held_by_binh(ledger, cast, 3)
    batch = [hand_offs(ledger, cast, c, AT) for c in codes]
    first = intake.submit_many(batch[:2], now=AT)
    before = size(ledger.store)
    again = intake.submit_many(batch, now=AT + timedelta(seconds=30))
    assert all(o.ok for o in again)
    assert [[s.stored_before for s in o.submitted] for o in again] == [[True, True]] * 2 + [
        [False, False]
    ]
    assert [s.envelope for s in again[0].submitted] == [s.envelope for s in first[0].submitted]
    assert size(ledger.store) == before + 2
    dup = intake.submit_many([batch[0], batch[0]], now=AT)
    assert dup[0].ok and isinstance(dup[1].error, Refused)
    assert size(ledger.store) == before + 2


def test_a_concurrent_writer_fails_only_its_file(ledger: Ledger, cast: Cast) -> None:
    codes = held_by_binh(ledger, cast, 3)
    batch = [hand_offs(ledger, cast, c, AT) for c in codes] + [receipt(ledger, cast, 1, AT)]
    before = size(ledger.store)

    def opening(code: str, first: Envelope) -> list[SideWrite]:
        # While the batch is being checked, another writer reaches codes[1] first.
        ledger.execute(
            codes[1],
            signer=cast.officer2,
            actor="binh",
            at=AT,
            command=lambda f: f.submit_for_signature(actor="binh", leader="chutich", at=AT),
        )
        return [SideWrite("INSERT INTO hoso_file_pins (file_code, pin_hash) VALUES (?, ?)",
                          (code, "x"))]  # fmt: skip

    with_intake = Intake(ledger, workers=2)
    outcomes = with_intake.submit_many(batch, now=AT, opening=opening)
    with_intake.close()
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert isinstance(outcomes[1].error, ConflictError)
    assert size(ledger.store) == before + 1 + 2 + 2 + 1
    pins = db_sql.rows(ledger.store, "SELECT file_code FROM hoso_file_pins WHERE pin_hash = 'x'")
    assert [r["file_code"] for r in pins] == [outcomes[3].code]
    audited(ledger)


def test_a_row_edited_after_caching_is_caught(ledger: Ledger, cast: Cast, intake: Intake) -> None:
    (code,) = held_by_binh(ledger, cast, 1)
    loaded = ledger.load(code)
    f = loaded.file
    f.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="", at=AT)
    (first,) = sign(ledger, code, f.collect_events(), [("binh", cast.officer2)], loaded.head_hash)
    assert intake.submit_many([[first]], now=AT)[0].ok
    f.submit_for_signature(actor="an", leader="chutich", at=AT)
    prev = ledger.load(code).head_hash
    (second,) = sign(ledger, code, f.collect_events(), [("an", cast.officer)], prev)
    state = db_sql.rows(
        ledger.store,
        "SELECT state FROM hoso_events WHERE originator_id = ? AND originator_version = 1",
        (code,),
    )[0]["state"]
    edited = bytes(state).replace(b'"Q01"', b'"Q02"')
    db_sql.run(
        ledger.store,
        "UPDATE hoso_events SET state = ? WHERE originator_id = ? AND originator_version = 1",
        (edited, code),
    )
    (outcome,) = intake.submit_many([[second]], now=AT)
    assert isinstance(outcome.error, TamperError) and outcome.error.version == 1


class Statements:
    """Counts the statements the database receives (a counting hook, not a mock)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        for cls in (psycopg.Cursor, SQLiteCursor):
            for method in ("execute", "executemany"):
                self._wrap(monkeypatch, cls, method)

    def _wrap(self, monkeypatch: pytest.MonkeyPatch, cls: Any, method: str) -> None:
        original = getattr(cls, method)
        seen = self.seen

        def counting(curs: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            text = query if isinstance(query, str) else query.as_string(curs.connection)
            seen[(method, " ".join(text.split()[:3]).lower())] += 1
            return original(curs, query, *args, **kwargs)

        monkeypatch.setattr(cls, method, counting)

    def count(self, method: str, start: str) -> int:
        seen = self.seen.items()
        return sum(n for (m, text), n in seen if m == method and text.startswith(start))


def test_one_statement_per_table(
    ledger: Ledger, cast: Cast, intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = held_by_binh(ledger, cast, 4)
    batch = [hand_offs(ledger, cast, c, AT) for c in codes]
    batch += [receipt(ledger, cast, n, AT) for n in range(4)]

    def opening(code: str, first: Envelope) -> list[SideWrite]:
        return [SideWrite("INSERT INTO hoso_file_pins (file_code, pin_hash) VALUES (?, ?)",
                          (code, "h"))]  # fmt: skip

    ledger.registry()
    statements = Statements(monkeypatch)
    outcomes = intake.submit_many(batch, now=AT, opening=opening)
    assert all(o.ok for o in outcomes)
    assert statements.count("executemany", "insert into hoso_file_pins") == 1
    assert statements.count("execute", "insert into hoso_file_pins") == 0
    reads = statements.count("execute", "select originator_id, originator_version,")
    assert reads == 1
    if ledger.store.dialect == "postgresql":
        inserts = [t for (m, t) in statements.seen if t.startswith("insert into")]
        assert statements.count("execute", "insert into") == 1, inserts  # the 12 events


def noted(ledger: Ledger, cast: Cast, code: str, at: datetime) -> list[bytes]:
    """binh hands the file to an with a note, sealed under the file's applicant key."""
    loaded = ledger.load(code)
    f = loaded.file
    f.hand_off(actor="binh", to=Desk("an", "tu-phap", UNIT), note="kèm bản sao", at=at)
    return sign(ledger, code, f.collect_events(), [("binh", cast.officer2)], loaded.head_hash)


def test_a_batch_reads_its_applicants_keys_in_one_query(
    ledger: Ledger, cast: Cast, intake: Intake
) -> None:
    """The sealed text of every file of a batch is checked with keys read in one query (the
    receipts' too); a file whose applicant was forgotten since it was prepared is refused as
    ``submit`` refuses it, alone."""
    codes = held_by_binh(ledger, cast, 3)
    batch = [noted(ledger, cast, c, AT) for c in codes]
    batch += [receipt(ledger, cast, n, AT) for n in range(2)]
    ledger.forget(ledger.load(codes[1]).file.applicant_ref)
    keys = counting_keys(ledger)
    outcomes = intake.submit_many(batch, now=AT)
    assert keys.reads == Counter({"many": 1})
    assert [o.error is None for o in outcomes] == [True, False, True, True, True]
    refused = outcomes[1].error
    assert isinstance(refused, Refused) and "sealed under the file's applicant key" in str(refused)
    assert ledger.reveal(ledger.load(codes[0]).envelopes[-1].payload["note"]) == "kèm bản sao"
    audited(ledger)
