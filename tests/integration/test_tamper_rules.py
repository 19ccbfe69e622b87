"""Tamper classes of the rules (issue 15, point 2), on SQLite and PostgreSQL: events signed by a
valid key, chained and logged correctly, that the procedure forbids. The audit replays every
file through the domain and names the first; the offline verifier does it for the bundle's file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.calendar import vietnam_calendar
from domain.deadlines import SupplementPolicy
from ledger.audit.full import FullAuditReport, full_audit_report
from ledger.audit.rules import RuleSettings
from ledger.chain.service import Ledger
from ledger.encoding.canonical import format_instant
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files
from tests.support.tamper import append_forged

RULES = RuleSettings(vietnam_calendar(), SupplementPolicy.EXTEND)
HANDOFF = {
    "from_desk": {"agency": "PTEST", "department": "mot-cua", "officer": "an"},
    "note": "",
    "to_desk": {"agency": "PTEST", "department": "mot-cua", "officer": "an"},
}


@pytest.fixture
def files(store: EventStore, cast: Cast) -> tuple[Ledger, list[str]]:
    """Four files: 0 handed off (open), ..., 3 returned (terminal)."""
    ledger = make_ledger(store, cast)
    return ledger, add_files(ledger, cast, T0 + timedelta(hours=1), 4)


def store_raw(
    ledger: Ledger,
    cast: Cast,
    code: str,
    type_: str,
    payload: dict[str, Any],
    at: datetime,
    actor: str = "an",
) -> int:
    """An event by ``actor`` (an or binh), signed with their valid key, chained to the head,
    received now, written straight into the store (no rule checked): its version."""
    key = cast.officer if actor == "an" else cast.officer2
    return append_forged(
        ledger,
        code,
        key,
        actor=actor,
        type_=type_,
        payload=payload,
        occurred=at,
        recorded=datetime.now(UTC),
    )


def audit(ledger: Ledger, cast: Cast) -> FullAuditReport:
    return full_audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
        rules=RULES,
    )


def bundle_failures(ledger: Ledger, code: str) -> str:
    log = MerkleLog(ledger.store, ORIGIN)
    log.integrate()
    doc = build_bundle(log, code, log.make_checkpoint(LOG_SIGNER, NOW))
    report = verify_bundle_report(doc, LOG_SIGNER.vkey())
    assert not report.ok
    return " | ".join(report.failures)


def assert_named(report: FullAuditReport, code: str, version: int, *fragments: str) -> None:
    assert report.chain.ok  # signatures, keys and chains are all fine...
    assert report.rules is not None and report.rules.failure is not None  # ...the rule is not
    failure = report.rules.failure
    assert (failure.stream, failure.version) == (code, version), failure
    text = " | ".join(report.failures)
    assert f"file {code} version {version}" in text
    for fragment in fragments:
        assert fragment in text, text


def test_untouched_files_replay_clean(files: tuple[Ledger, list[str]], cast: Cast) -> None:
    ledger, _codes = files
    report = audit(ledger, cast)
    assert report.ok, report.failures
    assert report.rules is not None and report.rules.files == 4 and report.rules.events > 4


def test_an_apology_after_the_return_dated_before_the_receipt(
    files: tuple[Ledger, list[str]], cast: Cast
) -> None:
    """The issue's case: validly signed, stored after the file was returned, dated before it
    was even received."""
    ledger, codes = files
    code = codes[3]
    payload = {"new_appointment_at": format_instant(NOW + timedelta(days=30)), "reason": "trễ"}
    version = store_raw(ledger, cast, code, "ApologyIssued", payload, T0)
    assert_named(audit(ledger, cast), code, version, "ApologyIssued is not a legal step")
    assert f"file {code} version {version}" in bundle_failures(ledger, code)


def test_an_apology_after_a_terminal_state(files: tuple[Ledger, list[str]], cast: Cast) -> None:
    ledger, codes = files
    code = codes[3]
    payload = {"new_appointment_at": format_instant(NOW + timedelta(days=30)), "reason": "trễ"}
    version = store_raw(ledger, cast, code, "ApologyIssued", payload, NOW)
    assert_named(audit(ledger, cast), code, version, "returned")
    assert "returned" in bundle_failures(ledger, code)


def test_an_event_dated_before_its_predecessor(files: tuple[Ledger, list[str]], cast: Cast) -> None:
    ledger, codes = files
    code = codes[0]
    held = ledger.load(code).file.holder
    handoff = {**HANDOFF, "from_desk": {"agency": held.agency, "department": held.department,
                                        "officer": "binh"}}  # fmt: skip
    version = store_raw(ledger, cast, code, "FileHandedOff", handoff, T0, actor="binh")
    assert_named(audit(ledger, cast), code, version, "before its last event")
    assert "before its last event" in bundle_failures(ledger, code)


def test_an_event_the_rule_would_not_produce(files: tuple[Ledger, list[str]], cast: Cast) -> None:
    """A hand-off whose giver is not the file's holder: the rule gives another event."""
    ledger, codes = files
    code = codes[0]
    forged = {**HANDOFF, "from_desk": {"agency": "PTEST", "department": "x", "officer": "binh"}}
    version = store_raw(ledger, cast, code, "FileHandedOff", forged, NOW, actor="binh")
    assert_named(audit(ledger, cast), code, version, "does not match what the rule produces")
    assert "does not match what the rule produces" in bundle_failures(ledger, code)


def test_a_step_after_a_withdrawal(files: tuple[Ledger, list[str]], cast: Cast) -> None:
    """A withdrawn file takes no step; the replay keeps only its final state and names it."""
    ledger, codes = files
    code = codes[1]
    holder = ledger.load(code).file.holder.officer
    key = {"an": cast.officer, "binh": cast.officer2, "chutich": cast.leader}[holder]
    ledger.execute(
        code,
        signer=key,
        actor=holder,
        at=NOW,
        command=lambda f: f.withdraw(actor=holder, reason="công dân rút hồ sơ", at=NOW),
    )
    version = store_raw(ledger, cast, code, "FileHandedOff", HANDOFF, NOW, actor="an")
    assert_named(audit(ledger, cast), code, version, "after the file was finished (withdrawn)")
    assert "withdrawn" in bundle_failures(ledger, code)
