"""The tamper matrix: each attack on a copy of a small demo ledger, on SQLite and PostgreSQL.

The full audit (events and log) must fail on every one and name what it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from ledger.audit.full import FullAuditReport, full_audit_report
from ledger.audit.log_checks import WitnessView
from ledger.chain.service import Ledger
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from tests.support import tamper
from tests.support.cast import (
    LOG_SIGNER,
    LOG_VERIFIER,
    NOW,
    ORIGIN,
    T0,
    Cast,
    make_ledger,
    signer,
)
from tests.support.lifecycle import add_files


@dataclass
class Demo:
    store: EventStore
    ledger: Ledger
    log: MerkleLog
    cast: Cast
    codes: list[str]

    def audit(self, witness: WitnessView | None = None) -> FullAuditReport:
        return full_audit_report(
            self.store,
            origin=ORIGIN,
            authority_key=self.cast.authority.public_key,
            log_verifier=LOG_VERIFIER,
            witness=witness,
        )

    def id_column(self) -> str:
        return "rowid" if self.store.dialect == "sqlite" else "notification_id"

    def row(self, code: str, version: int) -> bytes:
        return tamper.state(self.store, code, version)

    def set_state(self, code: str, version: int, state: bytes) -> None:
        tamper.set_state(self.store, code, version, state)


@pytest.fixture
def demo(store: EventStore, cast: Cast) -> Demo:
    ledger = make_ledger(store, cast)
    codes = add_files(ledger, cast, T0 + timedelta(hours=1), 12)
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    log.make_checkpoint(LOG_SIGNER, NOW)
    return Demo(store, ledger, log, cast, codes)


def assert_fails(report: FullAuditReport, *expected: str) -> None:
    assert not report.ok
    text = " | ".join(report.failures)
    for fragment in expected:
        assert fragment in text, text


def test_untouched_demo_passes(demo: Demo) -> None:
    report = demo.audit()
    assert report.ok, report.failures
    assert report.log.leaves == demo.log.size() > 40
    assert report.log.checkpoints == 1


def test_edit_a_payload(demo: Demo) -> None:
    code = demo.codes[3]
    state = demo.row(code, 2)
    demo.set_state(code, 2, state.replace(b'"note":""', b'"note":"x"'))
    assert_fails(demo.audit(), f"file {code} version 2", "signature", "leaf")


def test_swap_a_signature(demo: Demo) -> None:
    a, b = demo.codes[5], demo.codes[6]
    sig_a = demo.row(a, 2).split(b'"sig":"')[1].split(b'"')[0]
    sig_b = demo.row(b, 2).split(b'"sig":"')[1].split(b'"')[0]
    demo.set_state(a, 2, demo.row(a, 2).replace(sig_a, sig_b))
    assert_fails(demo.audit(), f"file {a} version 2", "signature")


def test_delete_a_middle_event(demo: Demo) -> None:
    code = demo.codes[3]
    db_sql.run(
        demo.store,
        "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = 2",
        (code,),
    )
    assert_fails(demo.audit(), f"file {code} version 3", "missing", "deleted")


def test_delete_a_files_last_event(demo: Demo) -> None:
    code = demo.codes[3]
    last = max(e.version for e in demo.ledger.load(code).envelopes)
    db_sql.run(
        demo.store,
        "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
        (code, last),
    )
    # The file's own chain still verifies; only the log sees the hole.
    report = demo.audit()
    assert report.chain.ok
    assert_fails(report, f"{code} version {last}", "gone from the store (deleted)")


def test_reorder_two_events(demo: Demo) -> None:
    code = demo.codes[3]
    two, three = demo.row(code, 2), demo.row(code, 3)
    demo.set_state(code, 2, three)
    demo.set_state(code, 3, two)
    assert_fails(demo.audit(), f"file {code} version 2", "disagree")


def test_insert_an_event_signed_by_an_unregistered_key(demo: Demo) -> None:
    code = demo.codes[0]
    version = tamper.append_forged(demo.ledger, code, signer(99), occurred=NOW, recorded=NOW)
    assert_fails(demo.audit(), f"file {code} version {version}", "not registered")


def test_restore_an_older_copy_after_a_witnessed_checkpoint(demo: Demo) -> None:
    old_size = demo.log.size()
    old_position = demo.log.last_position()
    add_files(demo.ledger, demo.cast, T0 + timedelta(hours=5), 4)
    demo.log.integrate()
    witnessed = demo.log.make_checkpoint(LOG_SIGNER, NOW + timedelta(minutes=5))
    witness = WitnessView(witnessed.size, witnessed.root)
    assert demo.audit(witness).ok
    # The restore: every row written after the older copy was taken disappears.
    id_col = demo.id_column()
    for sql, params in [
        (f"DELETE FROM hoso_events WHERE {id_col} > ?", (old_position,)),
        ("DELETE FROM hoso_log_leaves WHERE leaf_index >= ?", (old_size,)),
        ("DELETE FROM hoso_log_nodes WHERE (idx + 1) * (1 << level) > ?", (old_size,)),
        ("DELETE FROM hoso_log_checkpoints WHERE size > ?", (old_size,)),
    ]:
        db_sql.run(demo.store, sql, params)
    restored = demo.audit(witness)
    assert restored.chain.ok  # an older copy is internally consistent...
    assert_fails(restored, "rollback", f"size {witnessed.size}")  # ...but the witness saw more


def test_back_date_the_receipt_time(demo: Demo) -> None:
    code = demo.codes[3]
    state = demo.row(code, 2)
    stamp = state.split(b'"recorded_at":"')[1].split(b'"')[0]
    demo.set_state(code, 2, state.replace(stamp, b"2026-03-01T00:00:00.000000Z"))
    report = demo.audit()
    # The server cannot have received it before its own time (the receipt time is checked)...
    assert_fails(report, f"file {code} version 2", "after the server received it")
    # ...and the log committed to other bytes.
    assert_fails(report, f"{code} version 2", "not the bytes the log committed to")
