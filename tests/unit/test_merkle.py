"""RFC 9162 Merkle math (ledger/merkle.py) against transparency-dev/merkle's vectors, and more."""

from __future__ import annotations

import base64
import hashlib
import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError, ProofRequestError
from ledger.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    ListReader,
    consistency_ok,
    consistency_proof,
    inclusion_ok,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_from_inclusion,
    root_of,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)
from signing.errors import VerificationError
from tests.support import vectors


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = vectors.read_json(path)
    return data


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b(p) for p in case["proof"] or []]


@cache
def vector_leaves() -> list[bytes]:
    """The leaf hashes of ``roots.json``'s leaf inputs (skips without the vectors)."""
    return [leaf_hash(bytes.fromhex(x)) for x in vectors.rfc9162_roots()["leaf_inputs_hex"]]


@cache
def vector_tree() -> ListReader:
    return ListReader(vector_leaves())


@cache
def tree(n: int) -> ListReader:
    """A tree of ``n`` distinct leaves, built once per size."""
    return ListReader.from_entries(f"entry {i}".encode() for i in range(n))


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, written out recursively."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


class CountingReader:
    """Wraps a reader and counts subtree reads."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads = 0

    def subtree(self, level: int, index: int) -> bytes:
        self.reads += 1
        result: bytes = self.inner.subtree(level, index)
        return result


class SyntheticReader:
    """Stand-in hashes for astronomically large trees: only the number of reads matters."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0

    def subtree(self, level: int, index: int) -> bytes:
        assert (index + 1) << level <= self.size, "read an incomplete subtree"
        self.reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


# --- hashing and roots ------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert HASH_SIZE == 32


@pytest.mark.parametrize("size", vectors.rfc9162_root_sizes())
def test_roots_vectors(size: int) -> None:
    want = bytes.fromhex(vectors.rfc9162_roots()["root_hash_by_tree_size_hex"][size])
    leaves = vector_leaves()
    assert root_of(leaves[:size]) == want
    assert root_at(vector_tree(), size) == want
    assert naive_mth(leaves[:size]) == want


@pytest.mark.parametrize("size", [*range(0, 70), 127, 128, 129, 1000])
def test_roots_agree(size: int) -> None:
    reader = tree(max(size, 1))
    leaves = [reader.subtree(0, i) for i in range(size)]
    want = naive_mth(leaves)
    assert root_of(leaves) == want
    assert root_at(reader, size) == want


def test_subtree_root_of_any_range() -> None:
    reader = tree(40)
    leaves = [reader.subtree(0, i) for i in range(40)]
    for start in range(40):
        for end in range(start, 41):
            assert subtree_root(reader, start, end) == naive_mth(leaves[start:end])


def test_list_reader_refuses_incomplete_subtrees() -> None:
    reader = tree(5)
    assert reader.subtree(2, 0) == root_at(reader, 4)
    for level, index in [(0, 5), (1, 2), (2, 1), (3, 0), (-1, 0), (0, -1)]:
        with pytest.raises(ProofRequestError):
            reader.subtree(level, index)
    with pytest.raises(ProofRequestError):
        reader.append(b"short")
    with pytest.raises(ProofRequestError):
        root_at(reader, -1)
    with pytest.raises(ProofRequestError):
        subtree_root(reader, 3, 2)


# --- the vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", vectors.rfc9162_files("inclusion"))
def test_inclusion_vectors(path: Path) -> None:
    case = _load(path)
    args = (_b(case["leafHash"]), case["leafIdx"], case["treeSize"], _proof(case), _b(case["root"]))
    assert inclusion_ok(*args) is not case["wantErr"], case["desc"]
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", vectors.rfc9162_files("consistency"))
def test_consistency_vectors(path: Path) -> None:
    case = _load(path)
    args = (case["size1"], case["size2"], _proof(case), _b(case["root1"]), _b(case["root2"]))
    assert consistency_ok(*args) is not case["wantErr"], case["desc"]
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_vectors_are_all_there() -> None:
    inclusion = vectors.rfc9162_file_paths("inclusion")
    consistency = vectors.rfc9162_file_paths("consistency")
    assert len(inclusion) >= 60
    assert len(consistency) >= 60
    happy = [p for p in inclusion + consistency if not _load(p)["wantErr"]]
    assert len(happy) >= 10


@pytest.mark.parametrize(
    "path", vectors.rfc9162_files("inclusion", where=lambda p: p.name == "happy-path.json")
)
def test_generated_inclusion_proofs_equal_vectors(path: Path) -> None:
    case = _load(path)
    index, size = case["leafIdx"], case["treeSize"]
    reader = vector_tree()
    assert _b(case["leafHash"]) == vector_leaves()[index]
    assert _b(case["root"]) == root_at(reader, size)
    assert inclusion_proof(reader, index, size) == _proof(case)


@pytest.mark.parametrize(
    "path", vectors.rfc9162_files("consistency", where=lambda p: _load(p)["desc"] == "happy path")
)
def test_generated_consistency_proofs_equal_vectors(path: Path) -> None:
    case = _load(path)
    size1, size2 = case["size1"], case["size2"]
    reader = vector_tree()
    assert _b(case["root1"]) == root_at(reader, size1)
    assert _b(case["root2"]) == root_at(reader, size2)
    assert consistency_proof(reader, size1, size2) == _proof(case)


# --- generated proofs verify ------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 71))
def test_every_inclusion_proof_verifies(size: int) -> None:
    reader = tree(size)
    root = root_at(reader, size)
    for index in range(size):
        proof = inclusion_proof(reader, index, size)
        leaf = reader.subtree(0, index)
        verify_inclusion(leaf, index, size, proof, root)
        assert root_from_inclusion(leaf, index, size, proof) == root
        if size > 1:
            assert not inclusion_ok(leaf, (index + 1) % size, size, proof, root)


def test_every_consistency_proof_verifies() -> None:
    reader = tree(40)
    roots = [root_at(reader, n) for n in range(41)]
    for size2 in range(1, 41):
        for size1 in range(1, size2 + 1):
            proof = consistency_proof(reader, size1, size2)
            verify_consistency(size1, size2, proof, roots[size1], roots[size2])
            if size1 < size2:
                assert not consistency_ok(size1, size2, proof, roots[size1 - 1], roots[size2])
                assert not consistency_ok(size1, size2, proof, roots[size1], roots[size2 - 1])


@pytest.mark.parametrize("size", [1023, 1024, 1025, 4097, 70_001])
def test_large_trees(size: int) -> None:
    reader = tree(size)
    root = root_at(reader, size)
    for index in {0, 1, size // 3, size // 2, size - 2, size - 1}:
        proof = inclusion_proof(reader, index, size)
        verify_inclusion(reader.subtree(0, index), index, size, proof, root)
    for size1 in {1, 2, 3, size // 3, size // 2, size - 1, size}:
        proof = consistency_proof(reader, size1, size)
        verify_consistency(size1, size, proof, root_at(reader, size1), root)


def test_list_reader_grows_consistently() -> None:
    reader = ListReader()
    previous = []
    for i in range(33):
        reader.append(leaf_hash(bytes([i])))
        previous.append(reader.root())
        assert reader.size == len(reader) == i + 1
    for size1, root1 in enumerate(previous, start=1):
        verify_consistency(size1, 33, reader.consistency_proof(size1), root1, reader.root())


# --- efficiency: O(log n) subtree reads -------------------------------------------------------


@pytest.mark.parametrize("size", [1_000_000, 2**40 + 12345, 2**63 - 1])
def test_proofs_read_logarithmically_many_subtrees(size: int) -> None:
    log = math.ceil(math.log2(size))
    for index in [0, 1, size // 3, size // 2, size - 2, size - 1]:
        reader = SyntheticReader(size)
        proof = inclusion_proof(reader, index, size)
        assert len(proof) <= log
        assert reader.reads <= 2 * log + 2
    for size1 in [1, 3, size // 3, size // 2 + 1, size - 1]:
        reader = SyntheticReader(size)
        proof = consistency_proof(reader, size1, size)
        assert len(proof) <= 2 * log
        assert reader.reads <= 3 * log + 2
    reader = SyntheticReader(size)
    root_at(reader, size)
    assert reader.reads <= log + 1


def test_counting_reader_on_a_real_tree() -> None:
    size = 70_001
    counting = CountingReader(tree(size))
    inclusion_proof(counting, 12_345, size)
    assert counting.reads <= 2 * 17 + 2


# --- requests that cannot be answered ---------------------------------------------------------


def test_impossible_proof_requests() -> None:
    reader = tree(8)
    with pytest.raises(ProofRequestError):
        inclusion_proof(reader, 8, 8)
    with pytest.raises(ProofRequestError):
        inclusion_proof(reader, 0, 0)
    with pytest.raises(ProofRequestError):
        inclusion_proof(reader, -1, 8)
    with pytest.raises(ProofRequestError):
        consistency_proof(reader, 5, 4)
    with pytest.raises(ProofRequestError):
        inclusion_proof(reader, 0, 9)  # beyond what the reader holds
    with pytest.raises(ValueError, match="non-negative"):
        consistency_proof(reader, True, 4)
    assert consistency_proof(reader, 0, 8) == []
    assert consistency_proof(reader, 8, 8) == []


# --- fail closed ------------------------------------------------------------------------------


def test_verifier_fails_closed_on_odd_inputs() -> None:
    reader = tree(6)
    root = root_at(reader, 6)
    leaf = reader.subtree(0, 2)
    proof = inclusion_proof(reader, 2, 6)
    assert inclusion_ok(leaf, 2, 6, proof, root)
    assert not inclusion_ok(leaf, 2, 6, proof, root[:31])
    assert not inclusion_ok(leaf[:31], 2, 6, proof, root)
    assert not inclusion_ok(leaf, 2, 6, [*proof[:-1], proof[-1] + b"\x00"], root)
    assert not inclusion_ok(leaf, 2, 6, [], root)
    assert not inclusion_ok(leaf, -1, 6, proof, root)
    assert not inclusion_ok(leaf, True, 6, proof, root)
    assert not inclusion_ok(leaf, 2, 6, b"".join(proof), root)  # type: ignore[arg-type]

    cproof = consistency_proof(reader, 3, 6)
    root3 = root_at(reader, 3)
    assert consistency_ok(3, 6, cproof, root3, root)
    assert not consistency_ok(0, 6, [], EMPTY_ROOT, root)
    assert not consistency_ok(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    assert not consistency_ok(3, 6, cproof, root3 + b"\x00", root)
    assert not consistency_ok(3, 6, [*cproof, cproof[-1]], root3, root)
    assert not consistency_ok(3, 6, cproof[:-1], root3, root)
    assert not consistency_ok(-3, 6, cproof, root3, root)
    assert not consistency_ok(6, 6, [root], root, root)
    assert consistency_ok(6, 6, [], root, root)
    with pytest.raises(VerificationError):
        verify_consistency(6, 3, [], root, root3)


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 70),
    data=st.data(),
)
def test_flipping_any_bit_breaks_inclusion(size: int, data: st.DataObject) -> None:
    reader = tree(size)
    index = data.draw(st.integers(0, size - 1))
    root = root_at(reader, size)
    leaf = reader.subtree(0, index)
    proof = inclusion_proof(reader, index, size)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.sampled_from(["leaf", "root", "proof"] if proof else ["leaf", "root"]))
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = _flip(proof[i], bit)
    assert not inclusion_ok(leaf, index, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(size2=st.integers(2, 70), data=st.data())
def test_flipping_any_bit_breaks_consistency(size2: int, data: st.DataObject) -> None:
    reader = tree(size2)
    size1 = data.draw(st.integers(1, size2 - 1))
    root1, root2 = root_at(reader, size1), root_at(reader, size2)
    proof = consistency_proof(reader, size1, size2)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.sampled_from(["root1", "root2", "proof"]))
    if target == "root1":
        root1 = _flip(root1, bit)
    elif target == "root2":
        root2 = _flip(root2, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = _flip(proof[i], bit)
    assert not consistency_ok(size1, size2, proof, root1, root2)
