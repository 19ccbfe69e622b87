"""Evidence bundles: built from either backend, verified offline, and any changed byte fails."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from ledger.errors import BundleError
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle, verify_bundle_report
from ledger.log.storage import MerkleLog
from ledger.store.events import EventStore
from signing import b64, generate_private_key, unb64
from signing.note import NoteSigner
from tests.support.cast import LOG_SIGNER, NOW, ORIGIN, T0, UNIT, Cast, make_ledger
from tests.support.lifecycle import add_files

VKEY = LOG_SIGNER.vkey()


@pytest.fixture
def bundle(store: EventStore, cast: Cast) -> dict[str, Any]:
    ledger = make_ledger(store, cast)
    codes = add_files(ledger, cast, T0 + timedelta(hours=1), 6)
    log = MerkleLog(store, ORIGIN)
    log.integrate()
    checkpoint = log.make_checkpoint(LOG_SIGNER, NOW)
    doc = build_bundle(log, codes[3], checkpoint)
    received: dict[str, Any] = json.loads(json.dumps(doc))  # exactly what an inspector receives
    return received


def test_bundle_verifies_offline_with_a_timeline(bundle: dict[str, Any]) -> None:
    report = verify_bundle(bundle, VKEY)
    assert report.file.startswith(UNIT)
    assert [row.version for row in report.timeline] == [1, 2, 3, 4, 5]
    assert [row.type for row in report.timeline][:2] == ["FileReceived", "FileHandedOff"]
    assert {row.role for row in report.timeline} == {"officer", "leader"}
    assert report.registry_events == 6


def test_wrong_log_key_fails(bundle: dict[str, Any]) -> None:
    other = NoteSigner(ORIGIN, generate_private_key(bytes([43]) * 32))
    with pytest.raises(BundleError):
        verify_bundle(bundle, other.vkey())


def _flip(text: str, position: int) -> str:
    raw = bytearray(unb64(text))
    raw[position % len(raw)] ^= 0x01
    return b64(bytes(raw))


def _mutations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for part in ("entries", "registry"):
        for n in range(len(doc[part])):
            for pos in (0, 17, 101, -3):
                d = copy.deepcopy(doc)
                d[part][n]["entry"] = _flip(d[part][n]["entry"], pos)
                cases.append((f"{part}[{n}].entry byte {pos}", d))
            for k in range(len(doc[part][n]["inclusion_proof"])):
                d = copy.deepcopy(doc)
                d[part][n]["inclusion_proof"][k] = _flip(d[part][n]["inclusion_proof"][k], 5)
                cases.append((f"{part}[{n}].proof[{k}]", d))
            d = copy.deepcopy(doc)
            d[part][n]["leaf_index"] += 1
            cases.append((f"{part}[{n}].leaf_index", d))
    note = doc["checkpoint"]
    for pos in range(len(note)):
        if note[pos] in "\n—":
            continue
        d = copy.deepcopy(doc)
        ch = note[pos]
        d["checkpoint"] = note[:pos] + ("A" if ch != "A" else "B") + note[pos + 1 :]
        cases.append((f"checkpoint char {pos}", d))
    d = copy.deepcopy(doc)
    d["entries"].pop()
    cases.append(("the file's last event left out", d))
    for k in range(len(doc["head"]["siblings"])):
        d = copy.deepcopy(doc)
        d["head"]["siblings"][k] = _flip(d["head"]["siblings"][k], 3)
        cases.append((f"head.siblings[{k}]", d))
    d = copy.deepcopy(doc)
    d["head"]["value"] = _flip(d["head"]["value"], 2)
    cases.append(("head.value", d))
    d = copy.deepcopy(doc)
    d["head"] = {"end": "empty", "siblings": doc["head"]["siblings"]}
    cases.append(("head claimed absent", d))
    d = copy.deepcopy(doc)
    d["registry"].pop()
    cases.append(("the registry's last event left out", d))
    d = copy.deepcopy(doc)
    d["entries"][1], d["entries"][2] = d["entries"][2], d["entries"][1]
    cases.append(("two events reordered", d))
    return cases


def test_every_changed_byte_fails(bundle: dict[str, Any]) -> None:
    verify_bundle(bundle, VKEY)
    mutations = _mutations(bundle)
    assert len(mutations) > 100
    for label, doc in mutations:
        report = verify_bundle_report(doc, VKEY)
        # "the file's last event left out" fails too: the map of file heads names the last one.
        assert not report.ok, label
        assert report.failures, label


def test_malformed_documents_fail_closed() -> None:
    docs: list[object] = [None, [], {}, {"format": "hoso-bundle/v2"}, {"format": "other"}]
    for doc in docs:
        report = verify_bundle_report(doc, VKEY)
        assert not report.ok
    report = verify_bundle_report({"format": "hoso-bundle/v2"}, "not a key")
    assert not report.ok
    old = verify_bundle_report({"format": "hoso-bundle/v1"}, VKEY)
    assert old.failures == [
        "a hoso-bundle/v1 bundle carries no proof of its file's head: build it again"
    ]


def test_every_byte_of_one_entry_and_its_proof_matters(bundle: dict[str, Any]) -> None:
    entry = unb64(bundle["entries"][1]["entry"])
    for pos in range(len(entry)):
        d = copy.deepcopy(bundle)
        d["entries"][1]["entry"] = _flip(bundle["entries"][1]["entry"], pos)
        assert not verify_bundle_report(d, VKEY).ok, f"entry byte {pos}"
    proof = bundle["entries"][1]["inclusion_proof"]
    for k, h in enumerate(proof):
        for pos in range(len(unb64(h))):
            d = copy.deepcopy(bundle)
            d["entries"][1]["inclusion_proof"][k] = _flip(h, pos)
            assert not verify_bundle_report(d, VKEY).ok, f"proof[{k}] byte {pos}"
