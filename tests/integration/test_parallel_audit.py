"""The parallel audit names exactly what the single-process audit names, on SQLite and PostgreSQL.

Signatures are verified by worker processes in small chunks (so many chunks are in flight at
once), while the chain, keys and roles are checked in log order here; whichever half finds a
broken event first in time, the report names the one with the lowest position.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.audit.full import AuditReport, audit_report
from ledger.chain.verify import ChainVerifier
from ledger.store.events import EventStore
from signing import signature_ok
from signing.registry import REGISTRY_STREAM, Role
from tests.support.audits import Demo
from tests.support.cast import NOW, ORIGIN, T0, UNIT, Cast, make_ledger, signer
from tests.support.lifecycle import add_files

CHUNKS = [1, 4, 2000]  # one signature per task, several tasks in flight, one task for all


@pytest.fixture
def demo(store: EventStore, cast: Cast) -> Demo:
    ledger = make_ledger(store, cast)
    codes = add_files(ledger, cast, T0 + timedelta(hours=1), 12)
    return Demo(store, ledger, cast, codes)


def same_as_single(demo: Demo, chunk_size: int) -> AuditReport:
    """Audit in-process and with two workers; assert they report the same; return it."""
    single = demo.audit(workers=1)
    parallel = demo.audit(workers=2, chunk_size=chunk_size)
    assert parallel.workers == 2 and single.workers == 1
    counts = ("events", "files", "registry_events", "signatures", "position")
    assert {c: getattr(parallel, c) for c in counts} == {c: getattr(single, c) for c in counts}
    if single.failure is None:
        assert parallel.failure is None
    else:
        assert parallel.failure is not None
        got, want = parallel.failure, single.failure
        assert (got.stream, got.version, got.reason) == (want.stream, want.version, want.reason)
    return single


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_clean_ledger_passes_with_the_same_counts(demo: Demo, chunk_size: int) -> None:
    report = same_as_single(demo, chunk_size)
    assert report.ok
    assert report.files == len(demo.codes) == 12
    assert report.registry_events == 6
    assert report.events == demo.store.max_position() > 40
    assert report.elapsed > 0 and report.events_per_second > 0


def test_small_store_default_is_in_process_and_agrees(demo: Demo) -> None:
    default = audit_report(demo.store, origin=ORIGIN, authority_key=demo.cast.authority.public_key)
    assert default.ok and default.workers == 1
    assert default.events == demo.audit(workers=2).events


def test_progress_reaches_the_end(demo: Demo) -> None:
    seen: list[tuple[int, int]] = []
    audit_report(
        demo.store,
        origin=ORIGIN,
        authority_key=demo.cast.authority.public_key,
        workers=2,
        chunk_size=4,
        progress=lambda done, total: seen.append((done, total)),
    )
    total = demo.store.max_position()
    assert seen and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_changed_payload_byte_is_a_bad_signature(demo: Demo, chunk_size: int) -> None:
    code = demo.codes[3]
    demo.break_signature(code)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, 2)
    assert "signature" in report.failure.reason


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_deleted_middle_event_breaks_the_chain(demo: Demo, chunk_size: int) -> None:
    code = demo.codes[6]
    demo.break_chain(code)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, 3)
    assert "missing" in report.failure.reason


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_unregistered_key_is_named(demo: Demo, chunk_size: int) -> None:
    code = demo.codes[0]
    version = demo.add_unregistered(code)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, version)
    assert "not registered" in report.failure.reason


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_earlier_chain_break_wins_over_a_later_bad_signature(demo: Demo, chunk_size: int) -> None:
    early, late = demo.codes[2], demo.codes[9]  # files are stored one after the other
    demo.break_chain(early)
    demo.break_signature(late)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (early, 3)
    assert "missing" in report.failure.reason


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_earlier_bad_signature_wins_over_a_later_chain_break(demo: Demo, chunk_size: int) -> None:
    early, late = demo.codes[2], demo.codes[9]
    demo.break_signature(early)
    demo.break_chain(late)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (early, 2)
    assert "signature" in report.failure.reason


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_two_bad_signatures_name_the_first(demo: Demo, chunk_size: int) -> None:
    early, late = demo.codes[1], demo.codes[10]
    demo.break_signature(late)
    demo.break_signature(early)
    report = same_as_single(demo, chunk_size)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (early, 2)


def test_deferred_check_returns_the_signature_to_verify(demo: Demo) -> None:
    """``check(verify=False)``: file events hand back a valid (key, message, signature);
    registry events are verified on the spot and hand back nothing."""
    verifier = ChainVerifier(ORIGIN, demo.cast.authority.public_key)
    for item in demo.store.notifications(1, 1000):
        checked, pending = verifier.check_deferred(item)
        assert pending == checked.signature
        if item.originator_id == REGISTRY_STREAM:
            assert pending is None
        else:
            assert pending is not None and signature_ok(*pending)


def test_a_key_used_before_the_registry_records_it(demo: Demo) -> None:
    """The workers know every key of the registry stream up front; the parent still refuses
    an event whose key is registered only later in the log."""
    late = signer(50)
    version = demo.forge(demo.codes[4], "dung", late, at=NOW + timedelta(hours=2))
    demo.ledger.register_key(
        signer=demo.cast.admin,
        actor="admin",
        holder="dung",
        role=Role.OFFICER,
        unit=UNIT,
        public_key=late.public_key,
        valid_from=NOW + timedelta(hours=1),
        at=NOW,
    )
    report = same_as_single(demo, 4)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (demo.codes[4], version)
    assert "not registered" in report.failure.reason


def test_a_key_used_after_its_revocation(demo: Demo) -> None:
    """An event stored after a revocation in force, with a forged receipt time from before it
    (and a claimed time too): judged at the server's time of what the log held before it."""
    revoked = datetime.now(UTC) - timedelta(seconds=1)
    demo.ledger.revoke_key(
        signer=demo.cast.admin,
        actor="admin",
        kid=demo.cast.officer.key_id,
        effective_at=revoked,
        reason="lost",
        at=revoked,
    )
    version = demo.forge(demo.codes[5], "an", demo.cast.officer, at=NOW + timedelta(hours=1))
    report = same_as_single(demo, 4)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (demo.codes[5], version)
    assert "not valid at" in report.failure.reason and "revoked: lost" in report.failure.reason


@pytest.mark.parametrize(
    ("actor", "who", "reason"),
    [("kiosk", "kiosk", "is not a registered"), ("binh", "officer", "belongs to")],
)
def test_a_role_or_holder_the_registry_does_not_allow(
    demo: Demo, actor: str, who: str, reason: str
) -> None:
    version = demo.forge(demo.codes[7], actor, getattr(demo.cast, who))
    report = same_as_single(demo, 4)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (demo.codes[7], version)
    assert reason in report.failure.reason


def test_a_forked_chain_is_named_at_the_fork(demo: Demo) -> None:
    """Two events claim to follow the same head: the second breaks the chain."""
    code = demo.codes[8]
    first = demo.ledger.load(code)
    demo.forge(code, "an", demo.cast.officer)
    version = demo.forge(code, "an", demo.cast.officer, prev=first.head_hash)
    report = same_as_single(demo, 4)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, version)
    assert "prev_hash" in report.failure.reason


def test_a_non_canonical_row_is_named_by_the_reference(demo: Demo) -> None:
    code = demo.codes[2]
    demo.set_state(code, 2, demo.row(code, 2).replace(b"{", b"{ ", 1))
    report = same_as_single(demo, 4)
    assert report.failure is not None
    assert (report.failure.stream, report.failure.version) == (code, 2)
    assert "canonical" in report.failure.reason
