"""The map of file heads: roots, proofs of presence and absence, and tampering."""

from __future__ import annotations

import hashlib
import random

import pytest

from ledger.errors import ProofError
from ledger.log.headmap import (
    EMPTY,
    HeadMap,
    HeadProof,
    key_of,
    leaf_hash,
    node_hash,
    value_of,
)


def heads(n: int, seed: int = 1) -> list[tuple[str, int, int, bytes]]:
    rng = random.Random(seed)
    return [
        (f"PTEST-260302-{i:04d}", rng.randint(1, 9), rng.randint(0, 10**6), rng.randbytes(32))
        for i in range(n)
    ]


def test_small_maps_by_hand() -> None:
    assert HeadMap([]).root == EMPTY
    k, v = key_of("A"), value_of(3, 7, bytes(32))
    assert HeadMap([(k, v)]).root == leaf_hash(k, v)
    a, b = bytes([0x00]) + bytes(31), bytes([0x80]) + bytes(31)  # differ at bit 0
    va, vb = value_of(1, 0, bytes(32)), value_of(2, 1, bytes(32))
    assert HeadMap([(b, vb), (a, va)]).root == node_hash(leaf_hash(a, va), leaf_hash(b, vb))
    c = bytes([0x40]) + bytes(31)  # shares bit 0 with a, differs at bit 1
    inner = node_hash(leaf_hash(a, va), leaf_hash(c, vb))
    assert HeadMap([(a, va), (c, vb)]).root == node_hash(inner, EMPTY)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 300])
def test_every_head_is_proven_and_unknown_codes_are_proven_absent(n: int) -> None:
    files = heads(n)
    m = HeadMap.of_files(files)
    for code, version, index, leaf in files:
        assert m.proof(key_of(code)).verify(m.root) == (version, index, leaf)
    for i in range(n, n + 50):
        proof = m.proof(key_of(f"PTEST-260302-{i:04d}"))
        assert proof.end in ("empty", "other")
        assert proof.verify(m.root) is None


def test_a_changed_head_changes_the_root() -> None:
    files = heads(40)
    code, version, index, leaf = files[7]
    changed = [*files[:7], (code, version - 1 if version > 1 else 2, index, leaf), *files[8:]]
    assert HeadMap.of_files(changed).root != HeadMap.of_files(files).root


def test_every_flipped_byte_of_a_proof_fails() -> None:
    files = heads(64, seed=3)
    m = HeadMap.of_files(files)
    for proof in (m.proof(key_of(files[5][0])), m.proof(key_of("NOT-A-FILE"))):
        fields = [proof.siblings[d] for d in range(len(proof.siblings))]
        for d, sibling in enumerate(fields):
            bad = bytearray(sibling)
            bad[d % 32] ^= 1
            siblings = (*proof.siblings[:d], bytes(bad), *proof.siblings[d + 1 :])
            with pytest.raises(ProofError):
                HeadProof(proof.key, siblings, proof.end, proof.value, proof.other_key).verify(
                    m.root
                )
        if proof.value:
            bad_value = bytearray(proof.value)
            bad_value[-1] ^= 1
            with pytest.raises(ProofError):
                HeadProof(
                    proof.key, proof.siblings, proof.end, bytes(bad_value), proof.other_key
                ).verify(m.root)


def test_presence_cannot_be_turned_into_absence_or_back() -> None:
    files = heads(30, seed=4)
    m = HeadMap.of_files(files)
    present = m.proof(key_of(files[2][0]))
    with pytest.raises(ProofError):  # the file's own leaf passed off as "another key's"
        HeadProof(present.key, present.siblings, "other", present.value, present.key).verify(m.root)
    with pytest.raises(ProofError):
        HeadProof(present.key, present.siblings, "empty").verify(m.root)
    absent = m.proof(key_of("PTEST-260302-9999"))
    if absent.end == "other":
        with pytest.raises(ProofError):  # another key's head claimed as this file's
            HeadProof(absent.key, absent.siblings, "present", absent.value).verify(m.root)
    with pytest.raises(ProofError):
        HeadProof(hashlib.sha256(b"x").digest(), (), "weird").verify(m.root)


def test_updates_give_the_root_of_the_map_built_afresh() -> None:
    files = heads(200, seed=5)
    m = HeadMap.of_files(files[:120])
    rng = random.Random(9)
    changed = [(c, v + 1, i + 7, rng.randbytes(32)) for c, v, i, _ in rng.sample(files[:120], 30)]
    new = files[120:]
    m.update([(key_of(c), value_of(v, i, h)) for c, v, i, h in changed + new])
    final = {c: (c, v, i, h) for c, v, i, h in files}
    final.update({c: (c, v, i, h) for c, v, i, h in changed})
    fresh = HeadMap.of_files(list(final.values()))
    assert m.root == fresh.root
    for code, version, index, leaf in final.values():
        assert m.proof(key_of(code)).verify(m.root) == (version, index, leaf)
    assert m.proof(key_of("NOT-A-FILE")).verify(m.root) is None
