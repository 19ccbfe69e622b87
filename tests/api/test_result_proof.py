"""A result's proof by its document's SHA-256 (issue 18, point 3): ``POST /public/results`` gives
the signing event, its inclusion proof and the signed checkpoint; ``verify_result_proof`` (the
browser's twin) passes it, and refuses every byte changed, another document, another log key."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.errors import Problem
from api.http.routes.results import proof_answer
from ledger.encoding.envelope import decode
from ledger.errors import ProofError
from ledger.log.result_proof import verify_result_proof
from ledger.store import sql as db_sql
from signing import b64, generate_private_key, unb64
from signing.note import NoteSigner
from signing.registry import Role
from tests.support.cast import T0, UNIT, signer
from tests.support.http import Demo, World, project
from tests.support.problems import assert_problem


def _a_signed_result(demo: Demo, http: TestClient) -> tuple[str, str]:
    """(document SHA-256, file code) of a result the demo signed."""
    from api.bootstrap import open_ledger

    ledger = open_ledger(demo.settings)
    try:
        project(demo.settings, ledger)  # the read model that finds a file by its result
        row = db_sql.rows(
            ledger.store,
            "SELECT state FROM hoso_events WHERE topic = 'ResultSigned' ORDER BY originator_id "
            "LIMIT 1",
        )[0]
    finally:
        ledger.close()
    env = decode(bytes(row["state"]))
    return str(env.payload["document_sha256"]), env.stream


def test_a_result_is_proven_to_its_holder(demo: Demo, http: TestClient) -> None:
    sha, code = _a_signed_result(demo, http)
    r = http.post("/public/results", json={"sha256": sha})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    doc = r.json()
    proof = verify_result_proof(doc, demo.vkey, sha)
    assert proof.code == code and proof.tree_size == doc["tree_size"]
    assert set(doc) == {
        "format", "document_sha256", "entry", "leaf_index", "tree_size", "inclusion_proof",
        "checkpoint",
    }  # fmt: skip
    # nothing but the signing event itself: no applicant, no free text
    assert decode(unb64(doc["entry"])).type == "ResultSigned"
    for bad in ({"sha256": "ab" * 32}, {"sha256": sha.upper()}, {"sha256": sha, "pin": "1"}):
        answer = http.post("/public/results", json=bad)
        assert answer.status_code in (404, 422), bad
        assert answer.headers["content-type"] == "application/problem+json"
    assert_problem(http.post("/public/results", json={"sha256": "ab" * 32}), 404, "not-found")


def _tampered(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    proof = copy.deepcopy(doc)
    if proof["inclusion_proof"]:
        first = bytearray(unb64(proof["inclusion_proof"][0]))
        first[0] ^= 1
        proof["inclusion_proof"][0] = b64(bytes(first))
        cases.append(("inclusion proof", proof))
    entry = copy.deepcopy(doc)
    raw = bytearray(unb64(entry["entry"]))
    at = raw.index(b'"actor":"') + len(b'"actor":"')
    raw[at] = ord("x") if raw[at] != ord("x") else ord("y")  # another signer named
    entry["entry"] = b64(bytes(raw))
    cases.append(("entry", entry))
    moved = copy.deepcopy(doc)
    moved["leaf_index"] += 1
    cases.append(("leaf index", moved))
    note = copy.deepcopy(doc)
    note["checkpoint"] = note["checkpoint"].replace("\n", "\n\n", 1)
    cases.append(("checkpoint", note))
    return cases


def test_every_tampered_byte_is_refused(demo: Demo, http: TestClient) -> None:
    sha, _code = _a_signed_result(demo, http)
    doc = http.post("/public/results", json={"sha256": sha}).json()
    cases = _tampered(doc)
    assert len(cases) == 4
    for _what, bad in cases:
        with pytest.raises(ProofError):
            verify_result_proof(bad, demo.vkey, sha)
    with pytest.raises(ProofError, match="another document"):
        verify_result_proof(doc, demo.vkey, "ab" * 32)
    stranger = NoteSigner(demo.settings.origin, generate_private_key(bytes([9]) * 32)).vkey()
    with pytest.raises(ProofError, match="does not verify"):
        verify_result_proof(doc, stranger, sha)
    with pytest.raises(ProofError, match="not a hoso-result-proof/v1"):
        verify_result_proof({**doc, "extra": 1}, demo.vkey, sha)


def test_a_result_not_yet_checkpointed_says_retry(world: World) -> None:
    ledger = world.ledger
    leader = signer(5)
    ledger.register_key(
        signer=signer(2), actor="admin", holder="chutich", role=Role.LEADER, unit=UNIT,
        public_key=leader.public_key, valid_from=T0, at=T0,
    )  # fmt: skip
    code, at = world.receipts[1].code, T0 + timedelta(hours=3)
    ledger.execute(
        code, signer=signer(3), actor="an", at=at,
        command=lambda f: f.submit_for_signature(actor="an", leader="chutich", at=at),
    )  # fmt: skip
    ledger.execute(
        code, signer=leader, actor="chutich", at=at + timedelta(minutes=1),
        command=lambda f: f.sign_result(
            actor="chutich", document_sha256="ef" * 32, at=at + timedelta(minutes=1)
        ),
    )  # fmt: skip
    project(world.settings, ledger)
    with pytest.raises(Problem) as refused:
        proof_answer(ledger, "ef" * 32)
    assert refused.value.status == 409 and refused.value.kind == "not-yet-checkpointed"
