"""The ledger contract, run against both backends (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from functools import partial

import pytest

from domain.errors import IllegalTransition
from domain.events import Desk, FileState, ReturnMethod
from domain.procedures import Channel
from ledger.audit.full import audit, audit_report
from ledger.chain.personal import ERASED, PersonalData
from ledger.chain.service import Ledger, Receipt
from ledger.errors import NotFound, PermissionRefused, TamperError
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from signing.errors import KeyNotValid, RegistryRefused
from signing.registry import Role
from tests.support.cast import ORIGIN, T0, UNIT, Cast, make_ledger
from tests.support.clock import Clock

PERSON = PersonalData("Nguyễn Văn An", "001090012345", "0912345678", "12 Đội Cấn, Hà Nội")
T1 = T0 + timedelta(hours=1)


def receive(
    ledger: Ledger, cast: Cast, at: datetime = T1, procedure: str = "certified_copy"
) -> Receipt:
    return ledger.receive(
        signer=cast.officer,
        actor="an",
        procedure=procedure,
        channel=Channel.IN_PERSON,
        unit=UNIT,
        counter="Q01",
        department="mot-cua",
        documents=("Bản chính giấy khai sinh",),
        applicant=PERSON,
        at=at,
    )


def full_cycle(ledger: Ledger, cast: Cast, code: str) -> None:
    t = T1
    steps = [
        (
            cast.officer,
            "an",
            lambda f, t: f.hand_off(
                actor="an", to=Desk("binh", "tu-phap", UNIT), note="xử lý", at=t
            ),
        ),
        (
            cast.officer2,
            "binh",
            lambda f, t: f.submit_for_signature(actor="binh", leader="chutich", at=t),
        ),
        (
            cast.leader,
            "chutich",
            lambda f, t: f.sign_result(actor="chutich", document_sha256="ab" * 32, at=t),
        ),
        (
            cast.leader,
            "chutich",
            lambda f, t: f.hand_off(
                actor="chutich", to=Desk("an", "mot-cua", UNIT), note="trả", at=t
            ),
        ),
        (
            cast.officer,
            "an",
            lambda f, t: f.return_result(
                actor="an", method=ReturnMethod.COUNTER, at=t, calendar=ledger.calendar
            ),
        ),
    ]
    for signer, actor, step in steps:
        t = t + timedelta(minutes=10)
        ledger.execute(code, signer=signer, actor=actor, at=t, command=partial(step, t=t))


def test_receive_and_lifecycle_verify_on_read(ledger: Ledger, cast: Cast) -> None:
    receipt = receive(ledger, cast)
    assert receipt.code == f"{UNIT}-260302-0001"
    assert len(receipt.pin) == 6 and receipt.pin.isdigit()
    full_cycle(ledger, cast, receipt.code)
    verified = ledger.load(receipt.code)
    assert verified.file.state is FileState.RETURNED
    assert verified.file.timeliness == "on_time"
    assert [e.version for e in verified.envelopes] == [1, 2, 3, 4, 5, 6]
    for prev, env in zip(verified.envelopes, verified.envelopes[1:], strict=False):
        assert env.prev_hash == prev.hash()
    assert ledger.personal_data(verified.file) == PERSON
    report = audit(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)
    assert (report.files, report.events) == (1, 6 + 6)


def test_pin_stored_only_as_hash(ledger: Ledger, cast: Cast, store: EventStore) -> None:
    receipt = receive(ledger, cast)
    assert ledger.check_pin(receipt.code, receipt.pin)
    assert not ledger.check_pin(receipt.code, "000000" if receipt.pin != "000000" else "111111")
    assert not ledger.check_pin("PTEST-260302-9999", receipt.pin)
    rows = db_sql.rows(store, "SELECT pin_hash FROM hoso_file_pins")
    assert receipt.pin not in str(rows)
    for stored in store.stream(receipt.code):
        assert receipt.pin.encode() not in stored.state


def test_personal_data_is_sealed_and_forgettable(
    ledger: Ledger, cast: Cast, store: EventStore
) -> None:
    receipt = receive(ledger, cast)
    raw = b"".join(s.state for s in store.stream(receipt.code))
    assert PERSON.id_number.encode() not in raw
    assert "Nguyễn".encode() not in raw
    ledger.forget(receipt.applicant_ref)
    erased = ledger.personal_data(ledger.load(receipt.code).file)
    assert erased.full_name == ERASED and erased.id_number == ERASED
    audit(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)
    with pytest.raises(NotFound):
        ledger.forget(receipt.applicant_ref)


def test_codes_unique_under_concurrent_receipts(ledger: Ledger, cast: Cast) -> None:
    codes: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                codes.append(receive(ledger, cast).code)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == 20 and len(set(codes)) == 20
    assert sorted(codes)[-1] == f"{UNIT}-260302-0020"


def test_concurrent_commands_on_one_file_chain_without_fork(ledger: Ledger, cast: Cast) -> None:
    code = receive(ledger, cast).code
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(n: int) -> None:
        barrier.wait()
        try:
            ledger.execute(
                code,
                signer=cast.officer,
                actor="an",
                at=T1 + timedelta(minutes=n),
                command=lambda f: f.request_fee(
                    actor="an", amount_vnd=2000, description="lệ phí", at=T1 + timedelta(minutes=n)
                ),
            )
            outcomes.append("stored")
        except IllegalTransition as e:
            outcomes.append(f"refused: {e}")

    threads = [threading.Thread(target=pay, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One of the two wins; the other retries on the new head and is refused by the rule.
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "stored"]
    verified = ledger.load(code)
    assert [e.type for e in verified.envelopes].count("FeeRequested") == 1
    assert [e.version for e in verified.envelopes] == [1, 2]


def test_refusals_by_key_registry_and_roles(ledger: Ledger, cast: Cast) -> None:
    code = receive(ledger, cast).code
    t = T1 + timedelta(minutes=5)
    with pytest.raises(KeyNotValid, match="not registered"):
        ledger.execute(
            code,
            signer=cast.stranger,
            actor="an",
            at=t,
            command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=t),
        )
    with pytest.raises(KeyNotValid, match="belongs to"):
        ledger.execute(
            code,
            signer=cast.officer2,
            actor="an",
            at=t,
            command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=t),
        )
    ledger.execute(
        code,
        signer=cast.officer,
        actor="an",
        at=t,
        command=lambda f: f.submit_for_signature(actor="an", leader="binh", at=t),
    )
    with pytest.raises(PermissionRefused, match="leader"):
        ledger.execute(
            code,
            signer=cast.officer2,
            actor="binh",
            at=t,
            command=lambda f: f.sign_result(actor="binh", document_sha256="0" * 64, at=t),
        )
    assert [e.version for e in ledger.load(code).envelopes] == [1, 2]


def test_revoked_key_refused_after_effective_time(store: EventStore, cast: Cast) -> None:
    """Keys are judged at the server's receipt time: before the revocation's effective time an
    event verifies (for ever), after it the key signs nothing."""
    clock = Clock(T0)
    ledger = make_ledger(store, cast, clock)
    clock.set(T1)
    code = receive(ledger, cast).code
    kid = cast.officer.key_id
    cut = T1 + timedelta(hours=1)
    with pytest.raises(RegistryRefused, match="retroactive"):
        ledger.revoke_key(
            signer=cast.admin,
            actor="admin",
            kid=kid,
            effective_at=T1 - timedelta(minutes=1),
            reason="lost",
            at=T1,
        )
    clock.set(T1 + timedelta(seconds=10))
    ledger.revoke_key(
        signer=cast.admin, actor="admin", kid=kid, effective_at=cut, reason="device lost", at=T1
    )
    before = cut - timedelta(minutes=1)
    clock.set(before)
    ledger.execute(
        code,
        signer=cast.officer,
        actor="an",
        at=before,
        command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=before),
    )
    after = cut + timedelta(minutes=1)
    clock.set(after)
    with pytest.raises(KeyNotValid, match="not valid"):
        receive(ledger, cast, at=after)
    audit(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)


def test_a_revoked_key_cannot_sign_an_event_dated_before_its_revocation(
    store: EventStore, cast: Cast
) -> None:
    """The back-dating attack: after the revocation, an event claiming a time before it is
    refused, because the server received it after (issue 15, point 1)."""
    clock = Clock(T0)
    ledger = make_ledger(store, cast, clock)
    clock.set(T1)
    code = receive(ledger, cast).code
    revoked = T1 + timedelta(minutes=1)
    clock.set(revoked)
    ledger.revoke_key(
        signer=cast.admin,
        actor="admin",
        kid=cast.officer.key_id,
        effective_at=revoked,
        reason="device lost",
        at=revoked,
    )
    clock.set(revoked + timedelta(minutes=1))
    with pytest.raises(PermissionRefused, match="not valid at"):
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=T0,  # claims a time long before the revocation
            command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=T1),
        )
    assert ledger.load(code).file.version == 1


def test_rotation_keeps_history_valid(store: EventStore, cast: Cast) -> None:
    clock = Clock(T0)
    ledger = make_ledger(store, cast, clock)
    clock.set(T1)
    code = receive(ledger, cast).code
    rotate_at = T1 + timedelta(hours=2)
    clock.set(T1 + timedelta(seconds=10))
    ledger.rotate_key(
        signer=cast.admin,
        actor="admin",
        old_kid=cast.officer.key_id,
        new_public_key=cast.stranger.public_key,
        effective_at=rotate_at,
        at=T1,
    )
    t = rotate_at + timedelta(minutes=1)
    clock.set(t)
    ledger.execute(
        code,
        signer=cast.stranger,
        actor="an",
        at=t,
        command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=t),
    )
    assert len(ledger.load(code).envelopes) == 2
    report = audit(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)
    assert report.files == 1


def test_domain_refusal_writes_nothing(ledger: Ledger, cast: Cast, store: EventStore) -> None:
    code = receive(ledger, cast).code
    before = store.max_position()
    with pytest.raises(IllegalTransition, match=f"file {code} is 'received': cannot return_result"):
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=T1 + timedelta(minutes=1),
            command=lambda f: f.return_result(
                actor="an",
                method=ReturnMethod.COUNTER,
                at=T1 + timedelta(minutes=1),
                calendar=ledger.calendar,
            ),
        )
    assert store.max_position() == before


def test_registry_rules(ledger: Ledger, cast: Cast) -> None:
    with pytest.raises(RegistryRefused, match="may not register unit administrators"):
        ledger.register_key(
            signer=cast.admin,
            actor="admin",
            holder="x",
            role=Role.UNIT_ADMIN,
            unit=UNIT,
            public_key=cast.stranger.public_key,
            valid_from=T1,
            at=T1,
        )
    with pytest.raises(RegistryRefused, match="does not administer"):
        ledger.register_key(
            signer=cast.admin,
            actor="admin",
            holder="x",
            role=Role.OFFICER,
            unit="OTHER",
            public_key=cast.stranger.public_key,
            valid_from=T1,
            at=T1,
        )
    with pytest.raises(RegistryRefused, match="already registered"):
        ledger.register_key(
            signer=cast.admin,
            actor="admin",
            holder="x",
            role=Role.OFFICER,
            unit=UNIT,
            public_key=cast.officer.public_key,
            valid_from=T1,
            at=T1,
        )


# ------------------------------------------------------------------ tampering


def _tamper(store: EventStore, sql: str, params: tuple[object, ...]) -> None:
    """Direct database access, as an attacker or a broken restore would do it."""
    db_sql.run(store, sql, params)


def _state(store: EventStore, code: str, version: int) -> bytes:
    rows = db_sql.rows(
        store,
        "SELECT state FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
        (code, version),
    )
    return bytes(rows[0]["state"])


def _cycled(ledger: Ledger, cast: Cast) -> str:
    code = receive(ledger, cast).code
    full_cycle(ledger, cast, code)
    receive(ledger, cast, at=T1 + timedelta(minutes=1))
    return code


def _expect_tamper(ledger: Ledger, cast: Cast, code: str, version: int, reason: str) -> None:
    report = audit_report(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, version)
    assert reason in report.failure.reason
    with pytest.raises(TamperError) as caught:
        ledger.load(code)
    assert caught.value.stream == code


def test_one_changed_digit_is_caught_and_named(
    ledger: Ledger, cast: Cast, store: EventStore
) -> None:
    code = _cycled(ledger, cast)
    state = _state(store, code, 3)
    at = state.index(b'"occurred_at":"') + len(b'"occurred_at":"2026-03-02T0')
    digit = state[at : at + 1]
    assert digit.isdigit()
    changed = state[:at] + (b"1" if digit != b"1" else b"2") + state[at + 1 :]
    _tamper(
        store,
        "UPDATE hoso_events SET state = ? WHERE originator_id = ? AND originator_version = 3",
        (changed, code),
    )
    _expect_tamper(ledger, cast, code, 3, "signature")


def test_swapped_signature_is_caught(ledger: Ledger, cast: Cast, store: EventStore) -> None:
    code = _cycled(ledger, cast)
    a, b = _state(store, code, 2), _state(store, code, 3)
    sig_b = b[b.index(b'"sig":"') :].split(b'"')[3]
    sig_a = a[a.index(b'"sig":"') :].split(b'"')[3]
    _tamper(
        store,
        "UPDATE hoso_events SET state = ? WHERE originator_id = ? AND originator_version = 2",
        (a.replace(sig_a, sig_b), code),
    )
    _expect_tamper(ledger, cast, code, 2, "signature")


def test_deleted_middle_event_is_caught(ledger: Ledger, cast: Cast, store: EventStore) -> None:
    code = _cycled(ledger, cast)
    _tamper(
        store, "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = 3", (code,)
    )
    _expect_tamper(ledger, cast, code, 4, "missing")


def test_row_columns_must_match_envelope(ledger: Ledger, cast: Cast, store: EventStore) -> None:
    code = _cycled(ledger, cast)
    _tamper(
        store,
        "UPDATE hoso_events SET topic = 'FileRefused' WHERE originator_id = ? "
        "AND originator_version = 2",
        (code,),
    )
    _expect_tamper(ledger, cast, code, 2, "disagree")


def test_wrong_authority_fails_closed(ledger: Ledger, cast: Cast) -> None:
    receive(ledger, cast)
    report = audit_report(ledger.store, origin=ORIGIN, authority_key=cast.stranger.public_key)
    assert report.failure is not None and report.failure.stream == "KEYS"
    report = audit_report(ledger.store, origin=ORIGIN, authority_key=None)
    assert report.failure is not None and "nothing to trust" in report.failure.reason


def test_event_actor_must_own_the_signing_key(
    ledger: Ledger, cast: Cast, store: EventStore
) -> None:
    """Regression: a command whose event names another actor than the key's holder was stored,
    and made the file unreadable forever. Now it is refused before anything is written."""
    code = receive(ledger, cast).code
    t = T1 + timedelta(minutes=5)
    ledger.execute(
        code,
        signer=cast.officer,
        actor="an",
        at=t,
        command=lambda f: f.hand_off(actor="an", to=Desk("binh", "x", UNIT), note="", at=t),
    )
    before = store.max_position()
    later = t + timedelta(minutes=1)
    with pytest.raises(PermissionRefused, match="belongs to an, not binh"):
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=later,
            command=lambda f: f.hand_off(actor="binh", to=Desk("an", "x", UNIT), note="", at=later),
        )
    assert store.max_position() == before
    assert len(ledger.load(code).envelopes) == 2
    audit(ledger.store, origin=ORIGIN, authority_key=cast.authority.public_key)
