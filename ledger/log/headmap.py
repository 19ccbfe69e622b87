"""The map of file heads (bản đồ đầu chuỗi hồ sơ): a sparse Merkle tree that each checkpoint
commits to, so a bundle can prove it holds a file's WHOLE history, and a code that was never used
can be proven absent. Pure: bytes in, bytes out.

Specification (enough to write another verifier):

- The key of a file is ``k = SHA-256(UTF-8 of its code)``, 256 bits; bit ``d`` (0 = the most
  significant bit of byte 0) chooses the left (0) or right (1) child at depth ``d``.
- The value of a file's head is ``v = uint64be(version) || uint64be(leaf index) || leaf hash``
  (48 bytes): its last event's version, that event's index in the log and its RFC 9162 leaf hash.
- A subtree holding no key hashes to ``EMPTY`` (32 zero bytes); a subtree holding exactly one
  key, at any depth, hashes to ``SHA-256(0x00 || k || v)``; any other subtree at depth ``d`` is
  ``SHA-256(0x01 || left || right)`` of its two children at depth ``d + 1``. The map's root is
  the tree at depth 0. The checkpoint carries it as ``hoso-heads <base64 root>``.
- A proof for key ``k`` is the list of siblings from depth 0 down, and what the path ends at:
  ``present`` (the subtree is k's own leaf, with its value), ``empty``, or ``other`` (the subtree
  is the single leaf of another key ``k'`` that shares the first ``len(siblings)`` bits of
  ``k``, with its value). The verifier hashes that end and folds the siblings upward; the
  result must be the root.
"""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import ProofError

HASH_SIZE = 32
EMPTY = bytes(HASH_SIZE)
KEY_BITS = 256
VALUE = struct.Struct(">QQ32s")


def key_of(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def value_of(version: int, leaf_index: int, leaf_hash: bytes) -> bytes:
    return VALUE.pack(version, leaf_index, leaf_hash)


def head_of(value: bytes) -> tuple[int, int, bytes]:
    """(version, leaf index, leaf hash) of a head's value."""
    if len(value) != VALUE.size:
        raise ProofError(f"a head's value is {VALUE.size} bytes, not {len(value)}")
    version, index, leaf = VALUE.unpack(value)
    return int(version), int(index), bytes(leaf)


def leaf_hash(key: bytes, value: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + key + value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def bit(key: bytes, depth: int) -> int:
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


@dataclass(frozen=True)
class HeadProof:
    """The path of ``key`` in the map: siblings from depth 0 down and what it ends at."""

    key: bytes
    siblings: tuple[bytes, ...]
    end: str  # "present", "empty" or "other"
    value: bytes = b""  # the file's head (present) or the other key's (other)
    other_key: bytes = b""

    def root(self) -> bytes:
        """The root this proof leads to; ``ProofError`` if it is malformed."""
        if len(self.key) != HASH_SIZE or len(self.siblings) > KEY_BITS:
            raise ProofError("a head proof has a 32-byte key and at most 256 siblings")
        if any(len(s) != HASH_SIZE for s in self.siblings):
            raise ProofError("a head proof's siblings are 32-byte hashes")
        depth = len(self.siblings)
        if self.end == "present":
            head_of(self.value)
            h = leaf_hash(self.key, self.value)
        elif self.end == "empty":
            h = EMPTY
        elif self.end == "other":
            head_of(self.value)
            other = self.other_key
            if len(other) != HASH_SIZE or other == self.key:
                raise ProofError("a proof of absence must end at another key's leaf")
            if any(bit(other, d) != bit(self.key, d) for d in range(depth)):
                raise ProofError("the other key's leaf is not on this key's path")
            h = leaf_hash(other, self.value)
        else:
            raise ProofError(f"a head proof ends 'present', 'empty' or 'other', not {self.end!r}")
        for d in range(depth - 1, -1, -1):
            sibling = self.siblings[d]
            h = node_hash(h, sibling) if bit(self.key, d) == 0 else node_hash(sibling, h)
        return h

    def verify(self, root: bytes) -> tuple[int, int, bytes] | None:
        """The file's head (version, leaf index, leaf hash) if present, None if proven absent;
        ``ProofError`` unless the proof leads to ``root``."""
        if self.root() != root:
            raise ProofError("the head proof does not lead to the checkpoint's map root")
        return head_of(self.value) if self.end == "present" else None


class HeadMap:
    """The map of a set of heads: its root and proofs (built from the heads, O(n log n) hashes;
    then ``update`` rehashes only the changed paths, and a proof costs its path)."""

    def __init__(self, heads: Sequence[tuple[bytes, bytes]]) -> None:
        """``heads``: (key, value) pairs, keys distinct."""
        items = sorted(heads)
        self.keys = [k for k, _ in items]
        self.values = [v for _, v in items]
        self._ints = [int.from_bytes(k, "big") for k in self.keys]
        if len(set(self._ints)) != len(self._ints):
            raise ProofError("a map holds each key once")
        # The hash of every subtree of two keys or more, by (depth, prefix): kept so that an
        # update rehashes only the paths of the keys it changes.
        self._memo: dict[tuple[int, int], bytes] = {}
        self._root = self._hash(0, len(items), 0)

    def update(self, heads: Sequence[tuple[bytes, bytes]]) -> None:
        """Set these (key, value) heads (new keys or new values) and rehash their paths only."""
        for key, value in heads:
            i = int.from_bytes(key, "big")
            pos = bisect_left(self._ints, i)
            if pos < len(self._ints) and self._ints[pos] == i:
                self.values[pos] = value
            else:
                self._ints.insert(pos, i)
                self.keys.insert(pos, key)
                self.values.insert(pos, value)
            for depth in range(KEY_BITS + 1):  # forget every subtree on the key's path
                self._memo.pop((depth, i >> (KEY_BITS - depth)), None)
        self._root = self._hash(0, len(self._ints), 0)

    @classmethod
    def of_files(cls, heads: Sequence[tuple[str, int, int, bytes]]) -> HeadMap:
        """The map of ``(code, version, leaf index, leaf hash)`` heads."""
        return cls([(key_of(c), value_of(v, i, h)) for c, v, i, h in heads])

    @property
    def root(self) -> bytes:
        return self._root

    def _split(self, lo: int, hi: int, depth: int) -> int:
        """The first index in [lo, hi) whose key has bit ``depth`` set (they share the bits
        before it)."""
        shift = KEY_BITS - depth
        base = (self._ints[lo] >> shift) << shift if depth else 0
        return bisect_left(self._ints, base | (1 << (shift - 1)), lo, hi)

    def _hash(self, lo: int, hi: int, depth: int) -> bytes:
        if hi == lo:
            return EMPTY
        if hi - lo == 1:
            return leaf_hash(self.keys[lo], self.values[lo])
        at = (depth, self._ints[lo] >> (KEY_BITS - depth))
        h = self._memo.get(at)
        if h is None:
            mid = self._split(lo, hi, depth)
            h = node_hash(self._hash(lo, mid, depth + 1), self._hash(mid, hi, depth + 1))
            self._memo[at] = h
        return h

    def proof(self, key: bytes) -> HeadProof:
        lo, hi, depth = 0, len(self.keys), 0
        siblings: list[bytes] = []
        while hi - lo > 1:
            mid = self._split(lo, hi, depth)
            if bit(key, depth) == 0:
                siblings.append(self._hash(mid, hi, depth + 1))
                hi = mid
            else:
                siblings.append(self._hash(lo, mid, depth + 1))
                lo = mid
            depth += 1
        if hi == lo:
            return HeadProof(key, tuple(siblings), "empty")
        if self.keys[lo] == key:
            return HeadProof(key, tuple(siblings), "present", self.values[lo])
        return HeadProof(key, tuple(siblings), "other", self.values[lo], self.keys[lo])
