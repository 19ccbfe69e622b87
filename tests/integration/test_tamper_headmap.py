"""Tamper classes of a file's completeness (issue 15, point 4), on SQLite and PostgreSQL: the
last event of a file deleted from the store. Every remaining event is in the log, so inclusion
proofs alone would pass; the checkpoint's map of file heads names the real last event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ledger.audit.full import full_audit_report
from ledger.chain.service import Ledger
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.log.checkpoint import open_checkpoint
from ledger.log.headmap import key_of
from ledger.log.heads import head_map_at
from ledger.log.heads_verify import heads_root, parse_proof
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files


@pytest.fixture
def demo(store: EventStore, cast: Cast) -> tuple[Ledger, MerkleLog, list[str]]:
    ledger = make_ledger(store, cast)
    codes = add_files(ledger, cast, T0 + timedelta(hours=1), 8)
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    log.make_checkpoint(LOG_SIGNER, NOW)
    return ledger, log, codes


def delete_last_event(store: EventStore, code: str) -> int:
    last = store.stream_length(code)
    db_sql.run(
        store,
        "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
        (code, last),
    )
    return last


def test_the_bundle_of_a_truncated_history_is_refused_offline(
    demo: tuple[Ledger, MerkleLog, list[str]], cast: Cast
) -> None:
    ledger, log, codes = demo
    code = codes[3]  # four steps after its receipt
    last = delete_last_event(ledger.store, code)
    checkpoint = log.latest_checkpoint()
    assert checkpoint is not None
    doc: dict[str, Any] = build_bundle(log, code, checkpoint)  # the store's word: v1..v(last-1)
    assert len(doc["entries"]) == last - 1
    report = verify_bundle_report(doc, LOG_SIGNER.vkey())
    assert not report.ok
    assert "the file's history is truncated" in report.failures[0]
    assert f"commits to version {last}" in report.failures[0]
    audit = full_audit_report(
        ledger.store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        log_verifier=LOG_VERIFIER,
    )
    assert not audit.ok
    assert any("gone from the store (deleted)" in f for f in audit.failures), audit.failures


def test_a_leaf_removed_with_the_event_breaks_the_committed_map(
    demo: tuple[Ledger, MerkleLog, list[str]], cast: Cast
) -> None:
    """The insider removes the log's leaf too (and its nodes): the map the leaves now give is
    not the one the checkpoint committed to."""
    ledger, log, codes = demo
    code = codes[2]
    last = delete_last_event(ledger.store, code)
    db_sql.run(
        ledger.store,
        "DELETE FROM hoso_log_leaves WHERE stream = ? AND version = ?",
        (code, last),
    )
    latest = log.latest_checkpoint()
    assert latest is not None
    signed, _note = open_checkpoint(latest.note, LOG_VERIFIER)
    assert head_map_at(ledger.store, latest.size).root != heads_root(signed.extensions)
    proof = parse_proof(code, build_head_doc(ledger, latest.size, code))
    with pytest.raises(Exception, match="map root"):
        proof.verify(heads_root(signed.extensions))


def build_head_doc(ledger: Ledger, size: int, code: str) -> dict[str, Any]:
    from ledger.log.heads import head_proof_doc

    return head_proof_doc(head_map_at(ledger.store, size), code)


def test_absence_is_proven_and_a_forged_presence_fails(
    demo: tuple[Ledger, MerkleLog, list[str]],
) -> None:
    ledger, log, codes = demo
    latest = log.latest_checkpoint()
    assert latest is not None
    signed, _note = open_checkpoint(latest.note, LOG_VERIFIER)
    root = heads_root(signed.extensions)
    heads = head_map_at(ledger.store, latest.size)
    for code in codes:
        found = heads.proof(key_of(code)).verify(root)
        assert found is not None and found[0] == ledger.store.stream_length(code)
    unknown = heads.proof(key_of("PTEST-260302-9999"))
    assert unknown.verify(root) is None
    forged = parse_proof(
        "PTEST-260302-9999",
        {**build_head_doc(ledger, latest.size, codes[0]), "end": "present"},
    )
    with pytest.raises(Exception, match="map root"):
        forged.verify(root)


def test_the_kept_map_is_the_map_built_afresh(
    demo: tuple[Ledger, MerkleLog, list[str]], cast: Cast
) -> None:
    """A checkpoint rehashes only the changed files' paths: its root is the fresh map's."""
    ledger, log, _codes = demo
    for hours in (2, 3):
        add_files(ledger, cast, T0 + timedelta(hours=hours), 3)
        log.integrate()
        made = log.make_checkpoint(LOG_SIGNER, NOW + timedelta(hours=hours))
        signed, _note = open_checkpoint(made.note, LOG_VERIFIER)
        assert heads_root(signed.extensions) == head_map_at(ledger.store, made.size).root
        assert log.heads.at(made.size) is log.heads.at(made.size)  # kept, not rebuilt
