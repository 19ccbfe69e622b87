"""RFC 9162 Merkle tree math (cây Merkle): hashes, roots, inclusion and consistency proofs.

Pure: bytes and ints in, bytes out, no I/O. Proof generation reads hashes of *complete* subtrees
through a ``HashReader`` (a storage backend, or ``ListReader`` in memory) and touches O(log n) of
them, so it stays cheap for logs of millions of leaves.

Verification follows transparency-dev/merkle (``proof/verify.go``) and fails closed: ``None``
means the proof holds, anything else raises ``ProofError``. The Go verifier's checks are all
kept (index < size, exact proof length, a 32-byte leaf hash, size1 <= size2, no proof from an
empty tree, an empty proof between equal sizes); on top of them every proof hash, and every root
used in a computed proof, must be exactly 32 bytes. Between equal sizes the two roots are compared
byte for byte, exactly as the Go verifier does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger.errors import ProofError, ProofRequestError
from signing.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "HashReader",
    "ListReader",
    "consistency_ok",
    "consistency_proof",
    "inclusion_ok",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_at",
    "root_from_inclusion",
    "root_of",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) over already hashed leaves; ``EMPTY_ROOT`` for none. O(n)."""
    # A stack of perfect subtree hashes, largest first; folded right to left at the end.
    stack: list[bytes] = []
    for count, h in enumerate(leaf_hashes, start=1):
        _require_hash(h, "leaf hash", ProofRequestError)
        stack.append(h)
        while count & 1 == 0:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            count >>= 1
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


class HashReader(Protocol):
    """Read access to the hashes of complete subtrees of a log."""

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree over leaves [index * 2**level, (index+1) * 2**level)."""
        ...


def subtree_root(reader: HashReader, start: int, end: int) -> bytes:
    """The MTH of leaves [start, end), assembled from complete-subtree reads.

    Reads O(log n) subtrees when ``start`` is a multiple of the smallest power of two >= the range
    length (always so for ``root_at`` and for every range a proof needs); any other range is still
    correct but may need more reads.
    """
    _require_index(start, "start")
    _require_index(end, "end")
    if start > end:
        raise ProofRequestError(f"range start {start} is after its end {end}")
    if start == end:
        return EMPTY_ROOT
    return _range_hash(reader, start, end)


def root_at(reader: HashReader, size: int) -> bytes:
    """The root hash of the tree of the first ``size`` leaves."""
    return subtree_root(reader, 0, size)


def inclusion_proof(reader: HashReader, index: int, size: int) -> list[bytes]:
    """The RFC 9162 (2.1.3.1) inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    _require_index(index, "index")
    _require_index(size, "size")
    if index >= size:
        raise ProofRequestError(f"leaf index {index} is not in a tree of size {size}")
    siblings: list[bytes] = []  # top-down; RFC order is bottom-up
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            siblings.append(subtree_root(reader, start + k, end))
            end = start + k
        else:
            siblings.append(subtree_root(reader, start, start + k))
            start += k
    siblings.reverse()
    return siblings


def consistency_proof(reader: HashReader, size1: int, size2: int) -> list[bytes]:
    """The RFC 9162 (2.1.4.1) consistency proof from ``size1`` to ``size2`` leaves.

    Empty when ``size1 == size2`` or ``size1 == 0`` (nothing to prove; note that
    ``verify_consistency`` refuses ``size1 == 0`` as meaningless).
    """
    _require_index(size1, "size1")
    _require_index(size2, "size2")
    if size1 > size2:
        raise ProofRequestError(f"cannot prove consistency from size {size1} to smaller {size2}")
    if size1 in (0, size2):
        return []
    nodes: list[bytes] = []  # top-down; RFC order is bottom-up
    start, end = 0, size2
    whole = True  # RFC's "b": the current range starts the old tree, whose root the client has
    while size1 != end:
        k = _split(end - start)
        if size1 <= start + k:
            nodes.append(subtree_root(reader, start + k, end))
            end = start + k
        else:
            nodes.append(subtree_root(reader, start, start + k))
            start += k
            whole = False
    if not whole:
        nodes.append(subtree_root(reader, start, end))
    nodes.reverse()
    return nodes


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof of leaf hash ``leaf`` at ``index`` in ``size``."""
    _check_int(index, "index")
    _check_int(size, "size")
    if index < 0 or index >= size:
        raise ProofError(f"index {index} is beyond the tree size {size}")
    _require_hash(leaf, "leaf hash", ProofError)
    hashes = _proof_hashes(proof)
    inner, border = _decompose(index, size)
    if len(hashes) != inner + border:
        raise ProofError(f"wrong inclusion proof size {len(hashes)}, want {inner + border}")
    h = _chain_inner(leaf, hashes[:inner], index)
    return _chain_border_right(h, hashes[inner:])


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 2.1.3.2: None if ``proof`` shows leaf hash ``leaf`` at ``index`` under ``root``.

    ``leaf`` is the 32-byte leaf *hash* (see ``leaf_hash``), not the entry. Raises ``ProofError``.
    """
    calculated = root_from_inclusion(leaf, index, size, proof)
    if calculated != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 2.1.4.2: None if the tree (size2, root2) extends the tree (size1, root1).

    Raises ``ProofError``. A consistency proof from the empty tree is refused as meaningless, and
    equal sizes need an empty proof and identical roots (transparency-dev/merkle semantics).
    """
    _check_int(size1, "size1")
    _check_int(size2, "size2")
    if size1 < 0 or size2 < 0:
        raise ProofError(f"negative tree size ({size1}, {size2})")
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1}): the log would have shrunk")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if len(proof) > 0:
            raise ProofError("size1 == size2, but the proof is not empty")
        if not (isinstance(root1, bytes) and isinstance(root2, bytes)) or root1 != root2:
            raise ProofError(f"two different roots for the same tree size {size1}")
        return
    if len(proof) == 0:
        raise ProofError("empty consistency proof")
    _require_hash(root1, "root1", ProofError)
    _require_hash(root2, "root2", ProofError)
    hashes = _proof_hashes(proof)

    inner, border = _decompose(size1 - 1, size2)
    shift = _trailing_zeros(size1)
    inner -= shift  # shift < inner because size1 < size2
    # The proof starts with the root of the subtree of size 2**shift, unless size1 is that size.
    if size1 == 1 << shift:
        seed, first = root1, 0
    else:
        seed, first = hashes[0], 1
    if len(hashes) != first + inner + border:
        want = first + inner + border
        raise ProofError(f"wrong consistency proof size {len(hashes)}, want {want}")
    rest = hashes[first:]
    mask = (size1 - 1) >> shift

    hash1 = _chain_inner_right(seed, rest[:inner], mask)
    hash1 = _chain_border_right(hash1, rest[inner:])
    if hash1 != root1:
        raise ProofError("consistency proof does not lead to root1")
    hash2 = _chain_inner(seed, rest[:inner], mask)
    hash2 = _chain_border_right(hash2, rest[inner:])
    if hash2 != root2:
        raise ProofError("consistency proof does not lead to root2")


def inclusion_ok(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Twin of ``verify_inclusion``: True if it verifies, False on any ``VerificationError``."""
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except VerificationError:
        return False
    return True


def consistency_ok(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """Twin of ``verify_consistency``: True if it verifies, False on any ``VerificationError``."""
    try:
        verify_consistency(size1, size2, proof, root1, root2)
    except VerificationError:
        return False
    return True


class ListReader:
    """A ``HashReader`` over leaf hashes held in memory (tests, small trees, offline audits).

    Keeps every complete subtree hash, level by level, updated in O(log n) per ``append``.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @classmethod
    def from_entries(cls, entries: Iterable[bytes]) -> ListReader:
        """A reader over ``leaf_hash`` of each entry."""
        return cls(leaf_hash(e) for e in entries)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash and every subtree it completes."""
        _require_hash(leaf, "leaf hash", ProofRequestError)
        levels = self._levels
        levels[0].append(leaf)
        h, index, level = leaf, len(levels[0]) - 1, 0
        while index & 1:
            h = node_hash(levels[level][index - 1], h)
            level += 1
            index >>= 1
            if level == len(levels):
                levels.append([])
            levels[level].append(h)

    def subtree(self, level: int, index: int) -> bytes:
        _require_index(level, "level")
        _require_index(index, "index")
        if level >= len(self._levels) or index >= len(self._levels[level]):
            raise ProofRequestError(f"subtree ({level}, {index}) is not complete in this tree")
        return self._levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        return root_at(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self.size if size is None else size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(self, size1, self.size if size2 is None else size2)


# --- helpers ---------------------------------------------------------------------------------


def _range_hash(reader: HashReader, start: int, end: int) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        h = reader.subtree(level, start >> level)
        _require_hash(h, f"stored hash of subtree ({level}, {start >> level})", ProofRequestError)
        return h
    k = _split(n)
    return node_hash(_range_hash(reader, start, start + k), _range_hash(reader, start + k, end))


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Lengths of the inner and border parts of the inclusion proof of ``index`` in ``size``."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _proof_hashes(proof: Sequence[bytes]) -> list[bytes]:
    if isinstance(proof, (bytes, str)):
        raise ProofError("a proof is a sequence of hashes, not one byte string")
    hashes = list(proof)
    for i, h in enumerate(hashes):
        _require_hash(h, f"proof[{i}]", ProofError)
    return hashes


def _require_hash(h: object, what: str, error: type[Exception]) -> None:
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        size = len(h) if isinstance(h, bytes) else type(h).__name__
        raise error(f"{what} must be {HASH_SIZE} bytes, got {size}")


def _check_int(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProofError(f"{what} must be an integer")


def _require_index(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofRequestError(f"{what} must be a non-negative integer, got {value!r}")
