"""Tamper classes of key validity by what the server saw (issue 15, point 1), on SQLite and
PostgreSQL: an insider who holds a revoked officer key stores an event dated before the
revocation. The audit and the offline verifier of the file's bundle must both refuse it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.audit.full import full_audit_report
from ledger.chain.service import Ledger
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from signing import Signer
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files
from tests.support.tamper import append_forged

HANDOFF = {
    "from_desk": {"agency": "PTEST", "department": "mot-cua", "officer": "an"},
    "note": "",
    "to_desk": {"agency": "PTEST", "department": "tu-phap", "officer": "binh"},
}


@pytest.fixture
def ledger(store: EventStore, cast: Cast) -> Ledger:
    ledger = make_ledger(store, cast)
    add_files(ledger, cast, T0 + timedelta(hours=1), 4)
    return ledger


def revoke_now(ledger: Ledger, cast: Cast) -> datetime:
    """Revoke the officer's key with immediate effect (the server's time); its instant."""
    at = datetime.now(UTC) - timedelta(seconds=1)
    ledger.revoke_key(
        signer=cast.admin,
        actor="admin",
        kid=cast.officer.key_id,
        effective_at=at,
        reason="device lost",
        at=at,
    )
    return at


def store_raw(
    ledger: Ledger,
    code: str,
    key: Signer,
    *,
    occurred: datetime,
    recorded: datetime | None,
) -> int:
    """A hand-off by ``an`` signed with ``key``, written straight into the store."""
    return append_forged(
        ledger,
        code,
        key,
        type_="FileHandedOff",
        payload=HANDOFF,
        occurred=occurred,
        recorded=recorded,
    )


def audit_failures(ledger: Ledger, cast: Cast, workers: int = 1) -> str:
    report = full_audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
        workers=workers,
    )
    assert not report.ok
    return " | ".join(report.failures)


def bundle_failures(ledger: Ledger, code: str) -> str:
    log = MerkleLog(ledger.store, ORIGIN)
    log.integrate()
    doc: dict[str, Any] = build_bundle(log, code, log.make_checkpoint(LOG_SIGNER, NOW))
    report = verify_bundle_report(doc, LOG_SIGNER.vkey())
    assert not report.ok
    return " | ".join(report.failures)


@pytest.mark.parametrize("workers", [1, 2])
def test_back_dated_event_signed_by_a_revoked_key(ledger: Ledger, cast: Cast, workers: int) -> None:
    """Dated an hour before the revocation, received (honestly) after it."""
    code = _file_codes(ledger)[0]
    revoked = revoke_now(ledger, cast)
    version = store_raw(
        ledger,
        code,
        cast.officer,
        occurred=revoked - timedelta(hours=1),
        recorded=datetime.now(UTC),
    )
    found = audit_failures(ledger, cast, workers)
    assert f"file {code} version {version}" in found and "revoked: device lost" in found
    assert "revoked: device lost" in bundle_failures(ledger, code)


@pytest.mark.parametrize("workers", [1, 2])
def test_back_dated_event_with_a_forged_receipt_time(
    ledger: Ledger, cast: Cast, workers: int
) -> None:
    """The insider forges recorded_at too (it is not signed): the event still comes after the
    revocation in the log, so it is judged at the revocation's time, not at its own claim."""
    code = _file_codes(ledger)[1]
    revoked = revoke_now(ledger, cast)
    early = revoked - timedelta(hours=1)
    version = store_raw(ledger, code, cast.officer, occurred=early, recorded=early)
    found = audit_failures(ledger, cast, workers)
    assert f"file {code} version {version}" in found and "revoked: device lost" in found
    assert "revoked: device lost" in bundle_failures(ledger, code)


def test_an_event_without_a_receipt_time(ledger: Ledger, cast: Cast) -> None:
    code = _file_codes(ledger)[2]
    version = store_raw(ledger, code, cast.officer, occurred=NOW, recorded=None)
    found = audit_failures(ledger, cast)
    assert f"file {code} version {version}" in found and "no recorded_at" in found
    assert "no recorded_at" in bundle_failures(ledger, code)


def test_an_event_dated_after_the_server_received_it(ledger: Ledger, cast: Cast) -> None:
    """occurred_at may lead recorded_at by the clock skew (5 minutes), no more."""
    code = _file_codes(ledger)[3]
    received = datetime.now(UTC)
    version = store_raw(
        ledger, code, cast.officer, occurred=received + timedelta(hours=2), recorded=received
    )
    found = audit_failures(ledger, cast)
    assert f"file {code} version {version}" in found
    assert "after the server received it" in found
    assert "after the server received it" in bundle_failures(ledger, code)


def test_an_event_received_long_after_its_time_when_a_window_is_set(
    ledger: Ledger, cast: Cast
) -> None:
    code = _file_codes(ledger)[0]
    received = datetime.now(UTC)
    # The fixture's history is dated in March and received now: a window of 300 days holds it.
    version = store_raw(
        ledger, code, cast.officer, occurred=received - timedelta(days=400), recorded=received
    )
    report = full_audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
        max_delay=timedelta(days=300),
    )
    assert report.chain.failure is not None
    assert (report.chain.failure.stream, report.chain.failure.version) == (code, version)
    assert "before the server received it" in report.chain.failure.reason


def test_an_honest_history_around_a_revocation_passes(ledger: Ledger, cast: Cast) -> None:
    """What the key signed before the revocation stays valid for ever; the audit passes."""
    revoke_now(ledger, cast)
    report = full_audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
    )
    assert report.chain.ok, report.failures


def _file_codes(ledger: Ledger) -> list[str]:
    return sorted({str(n.originator_id) for n in ledger.store.notifications(1, 10_000)} - {"KEYS"})
