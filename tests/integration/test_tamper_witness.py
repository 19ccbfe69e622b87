"""Tamper class: a rewrite with stolen officer and log keys (issue 15, point 5), on SQLite and
PostgreSQL.

An insider holding officer ``an``'s key and the log's key re-signs the last event of a file,
rebuilds the log tables from the events and signs a new checkpoint. Every signature, chain link
and checkpoint then verifies: the events half and the log half of the audit pass. Only a witness
that cosigned the tree before can tell, so: the audit warns UNWITNESSED and fails with
``required``; a cosignature kept under the new tree does not verify and is a finding; the new
bundle fails a verifier that demands the witness; the original bundle, which carries the
witness's cosignature, still verifies and counts it; and the witness refuses to cosign the fork.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.witness import create_witness_app
from ledger.audit.full import FullAuditReport, full_audit_report
from ledger.audit.witness_checks import WitnessAuditReport, witness_audit_report
from ledger.encoding.envelope import Envelope, build, decode
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.witness.client import Post, request_cosignature
from ledger.witness.cosigner import Witness
from ledger.witness.errors import WitnessRequestError
from ledger.witness.policy import WitnessPolicy, policy_from_keys
from signing import generate_private_key
from signing.cosignature import CosignatureSigner, CosignatureVerifier
from tests.support import tamper
from tests.support.cast import LOG_SIGNER, LOG_VERIFIER, NOW, ORIGIN, T0, Cast, make_ledger
from tests.support.lifecycle import add_files

WITNESS_NAME = "witness.test/outside"
OTHER_NAME = "witness.test/never-asked"


@dataclass
class Witnessed:
    """A small ledger whose latest checkpoint a witness cosigned, and that file's bundle."""

    store: EventStore
    cast: Cast
    log: MerkleLog
    witness: Witness
    post: Post
    code: str
    bundle: dict[str, Any]

    def policy(self, minimum: int = 1) -> WitnessPolicy:
        return policy_from_keys([self.witness.vkey()], minimum)

    def audit(self) -> FullAuditReport:
        return full_audit_report(
            self.store,
            origin=ORIGIN,
            authority_key=self.cast.authority.public_key,
            log_verifier=LOG_VERIFIER,
        )

    def witness_audit(self, *, required: bool = False) -> WitnessAuditReport:
        return witness_audit_report(self.log, self.policy(0), required=required)

    def rewrite(self, *, keep_cosignatures: bool) -> None:
        """Re-sign the file's last event with the officer's key and rebuild the log."""
        env = decode(tamper.state(self.store, self.code, 2))
        assert (env.actor, env.type) == ("an", "FileHandedOff")
        forged = build(
            origin=ORIGIN,
            stream=env.stream,
            version=env.version,
            type_=env.type,
            occurred_at=env.occurred_at,
            actor=env.actor,
            key_id=env.key_id,
            payload={**env.payload, "note": "hồ sơ đã chuyển (sửa lại)"},
            prev_hash=env.prev_hash,
        ).sign(self.cast.officer)
        received = Envelope(forged.unsigned, forged.signature, env.recorded_at)
        tamper.set_state(self.store, self.code, 2, received.to_bytes())
        tables = ["hoso_log_leaves", "hoso_log_nodes", "hoso_log_checkpoints"]
        if not keep_cosignatures:
            tables.append("hoso_log_cosignatures")
        for table in tables:
            db_sql.run(self.store, f"DELETE FROM {table}", ())
        self.log.integrate()
        self.log.make_checkpoint(LOG_SIGNER, NOW + timedelta(hours=1))

    def new_bundle(self) -> dict[str, Any]:
        latest = self.log.latest_checkpoint()
        assert latest is not None
        return build_bundle(self.log, self.code, latest)


def poster(client: TestClient) -> Post:
    def post(body: bytes) -> tuple[int, str, bytes]:
        r = client.post("/add-checkpoint", content=body)
        return r.status_code, r.headers.get("content-type", ""), r.content

    return post


@pytest.fixture
def witnessed(store: EventStore, cast: Cast, tmp_path: Path) -> Any:
    ledger = make_ledger(store, cast)
    codes = add_files(ledger, cast, T0 + timedelta(hours=1), 8)
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    latest = log.make_checkpoint(LOG_SIGNER, NOW)
    witness = Witness(
        WITNESS_NAME, generate_private_key(bytes([91]) * 32), tmp_path / "w.json", create=True
    )
    witness.add_log(ORIGIN, LOG_SIGNER.vkey())
    with TestClient(create_witness_app(witness)) as client:
        post = poster(client)
        verifier = CosignatureVerifier.from_vkey(witness.vkey())
        request_cosignature(log, post, WITNESS_NAME, verifier=verifier)
        code = codes[0]  # received, then handed off by an: its last event is an's
        yield Witnessed(store, cast, log, witness, post, code, build_bundle(log, code, latest))


def other_witness_key() -> str:
    return CosignatureSigner(OTHER_NAME, generate_private_key(bytes([92]) * 32)).vkey()


def test_the_original_is_witnessed_and_its_bundle_counts_the_witness(
    witnessed: Witnessed,
) -> None:
    assert witnessed.audit().ok
    found = witnessed.witness_audit(required=True)
    assert found.ok and not found.unwitnessed and found.warning is None
    assert found.cosigners == (WITNESS_NAME,)

    report = verify_bundle_report(
        witnessed.bundle, LOG_SIGNER.vkey(), witnesses=witnessed.policy(1)
    )
    assert report.ok, report.failures
    assert (report.cosignatures, report.witnesses) == (1, (WITNESS_NAME,))
    # without witness keys nothing is counted: the line is reported, unchecked
    unchecked = verify_bundle_report(witnessed.bundle, LOG_SIGNER.vkey())
    assert unchecked.ok
    assert (unchecked.cosignatures, unchecked.unchecked_cosignatures) == (0, (WITNESS_NAME,))


def test_rewrite_with_stolen_keys_passes_the_chain_but_is_unwitnessed(
    witnessed: Witnessed,
) -> None:
    original = witnessed.bundle
    witnessed.rewrite(keep_cosignatures=False)

    audit = witnessed.audit()
    assert audit.ok, audit.failures  # every signature, chain and checkpoint verifies
    warned = witnessed.witness_audit()
    assert warned.ok and warned.unwitnessed  # a warning, not yet a failure...
    assert warned.warning is not None
    assert "UNWITNESSED" in warned.warning and WITNESS_NAME in warned.warning
    assert "rewrite" in warned.warning
    required = witnessed.witness_audit(required=True)
    assert not required.ok  # ...and a failure when a witness is required
    assert any("UNWITNESSED" in f and "required" in f for f in required.failures)
    nobody = witness_audit_report(witnessed.log, WitnessPolicy(), required=True)
    assert not nobody.ok and "no witness is configured" in " ".join(nobody.failures)

    bundle = witnessed.new_bundle()
    assert bundle["entries"] != original["entries"]
    assert verify_bundle_report(bundle, LOG_SIGNER.vkey()).ok  # the hole a policy closes
    demanded = verify_bundle_report(bundle, LOG_SIGNER.vkey(), witnesses=witnessed.policy(1))
    assert not demanded.ok and demanded.cosignatures == 0
    assert any("required" in f and "0 found" in f for f in demanded.failures), demanded.failures

    kept = verify_bundle_report(original, LOG_SIGNER.vkey(), witnesses=witnessed.policy(1))
    assert kept.ok and kept.cosignatures == 1  # the evidence given out before still holds

    with pytest.raises(WitnessRequestError, match="split view"):
        request_cosignature(witnessed.log, witnessed.post, WITNESS_NAME, guess_old=0)
    assert witnessed.log.cosigned_note(bundle_size(bundle)).count("\u2014 ") == 1


def bundle_size(bundle: dict[str, Any]) -> int:
    return int(str(bundle["checkpoint"]).split("\n")[1])


def test_rewrite_under_a_kept_cosignature_is_a_finding(witnessed: Witnessed) -> None:
    size = bundle_size(witnessed.bundle)
    witnessed.rewrite(keep_cosignatures=True)
    assert bundle_size(witnessed.new_bundle()) == size  # same size, another root

    found = witnessed.witness_audit()
    assert not found.ok
    text = " | ".join(found.failures)
    assert f"checkpoint of size {size}" in text and WITNESS_NAME in text, text
    assert "does not verify" in text
    assert found.unwitnessed  # a line that does not verify counts for nothing

    bundle = witnessed.new_bundle()
    report = verify_bundle_report(bundle, LOG_SIGNER.vkey(), witnesses=witnessed.policy(1))
    assert not report.ok and report.cosignatures == 0
    assert any("does not verify" in f for f in report.failures), report.failures


def test_a_forged_stored_cosignature_is_a_finding(witnessed: Witnessed) -> None:
    select = "SELECT size, signature_line FROM hoso_log_cosignatures"
    rows = db_sql.rows(witnessed.store, select, ())
    assert len(rows) == 1
    line = str(rows[0]["signature_line"])
    forged = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    db_sql.run(witnessed.store, "UPDATE hoso_log_cosignatures SET signature_line = ?", (forged,))
    found = witnessed.witness_audit()
    assert not found.ok and "does not verify" in " ".join(found.failures)
    assert witnessed.audit().ok  # nothing else was touched


def test_only_the_named_witnesses_count(witnessed: Witnessed) -> None:
    other = policy_from_keys([other_witness_key()], 1)
    report = verify_bundle_report(witnessed.bundle, LOG_SIGNER.vkey(), witnesses=other)
    assert not report.ok and report.cosignatures == 0
    assert report.unchecked_cosignatures == (WITNESS_NAME,)
    assert any(OTHER_NAME in f and "required" in f for f in report.failures)
    found = witness_audit_report(witnessed.log, other, required=True)
    assert not found.ok and OTHER_NAME in " ".join(found.failures)
    both = policy_from_keys([witnessed.witness.vkey(), other_witness_key()], 2)
    two = verify_bundle_report(witnessed.bundle, LOG_SIGNER.vkey(), witnesses=both)
    assert not two.ok and two.cosignatures == 1
    assert any("2 cosignatures" in f and "1 found" in f for f in two.failures)
