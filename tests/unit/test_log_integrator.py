"""The integrator's pure core (ledger/log_integrator.py): frontier, extend, binary COPY rows."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LogError
from ledger.log.integrator import MAX_ENTRY, Entry, copy_leaves, copy_nodes, extend, frontier
from ledger.log.merkle import ListReader, leaf_hash, node_hash, root_of, subtree_root
from tests.support import vectors


def _entries(data: list[bytes], first_position: int = 1) -> list[Entry]:
    return [(first_position + j, f"F-{j % 3}", j // 3 + 1, d) for j, d in enumerate(data)]


def _fold(stack: list[bytes]) -> bytes:
    """The root of a tree from its frontier hashes (largest first)."""
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def _frontier_of(reader: ListReader, size: int) -> list[bytes]:
    return [reader.subtree(lv, i) for lv, i in frontier(size)]


def test_frontier_is_the_perfect_subtrees_largest_first() -> None:
    assert frontier(0) == []
    assert frontier(1) == [(0, 0)]
    assert frontier(6) == [(2, 0), (1, 2)]
    assert frontier(13) == [(3, 0), (2, 2), (0, 12)]
    for size in range(1, 300):
        coords = frontier(size)
        assert sum(1 << lv for lv, _ in coords) == size
        start = 0
        for lv, i in coords:  # contiguous, aligned, strictly shrinking
            assert i << lv == start
            start += 1 << lv
        assert [lv for lv, _ in coords] == sorted({lv for lv, _ in coords}, reverse=True)


def test_extend_gives_the_rfc9162_roots_of_every_prefix() -> None:
    roots = vectors.rfc9162_roots()
    data = [bytes.fromhex(h) for h in roots["leaf_inputs_hex"]]
    want = [bytes.fromhex(h) for h in roots["root_hash_by_tree_size_hex"]]
    for split in range(len(data) + 1):  # two batches, split anywhere
        reader = ListReader()
        first, nodes1, stack = extend(0, [], _entries(data[:split]))
        for row in first:
            reader.append(row[4])
        assert stack == _frontier_of(reader, split)
        second, nodes2, stack = extend(split, stack, _entries(data[split:]))
        for row in second:
            reader.append(row[4])
        assert [row[0] for row in first + second] == list(range(len(data)))
        for size in range(1, len(data) + 1):
            assert reader.root(size) == want[size]
            assert _fold(_frontier_of(reader, size)) == want[size]
        stored = {(lv, i): h for lv, i, h in nodes1 + nodes2}
        assert stored == {
            (lv, i): reader.subtree(lv, i) for lv in range(1, 4) for i in range(len(data) >> lv)
        }


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(max_size=40), min_size=1, max_size=70),
    cuts=st.lists(st.integers(min_value=0, max_value=70), max_size=6),
)
def test_extend_in_any_batches_equals_the_pure_tree(data: list[bytes], cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    reader = ListReader()
    nodes: dict[tuple[int, int], bytes] = {}
    for a, b in itertools.pairwise(bounds):
        leaves, new, stack = extend(a, _frontier_of(reader, a), _entries(data[a:b], a + 1))
        assert [(r[0], r[1]) for r in leaves] == [(j, j + 1) for j in range(a, b)]
        for row in leaves:
            reader.append(row[4])
        assert stack == _frontier_of(reader, b)
        for lv, i, h in new:
            assert (lv, i) not in nodes  # each subtree is written exactly once
            nodes[(lv, i)] = h
    assert [reader.subtree(0, j) for j in range(len(data))] == [leaf_hash(d) for d in data]
    assert reader.root() == root_of([leaf_hash(d) for d in data])
    expected = {
        (lv, i): subtree_root(reader, i << lv, (i + 1) << lv)
        for lv in range(1, len(data).bit_length())
        for i in range(len(data) >> lv)
    }
    assert nodes == expected


def test_extend_refuses_a_wrong_frontier_and_an_oversized_entry() -> None:
    with pytest.raises(LogError):
        extend(3, [leaf_hash(b"a")], _entries([b"x"]))  # size 3 needs two frontier hashes
    with pytest.raises(LogError, match="too large"):
        extend(0, [], _entries([b"x" * (MAX_ENTRY + 1)]))
    leaves, _, _ = extend(0, [], _entries([b"x" * MAX_ENTRY]))
    assert len(leaves) == 1


def _parse_copy(stream: bytes, kinds: str) -> list[tuple[object, ...]]:
    """Decode a PostgreSQL binary COPY stream: ``q`` int8, ``i`` int4, ``t`` text, ``b`` bytea."""
    assert stream[:11] == b"PGCOPY\n\xff\r\n\x00"
    assert struct.unpack(">ii", stream[11:19]) == (0, 0)
    pos, rows = 19, []
    while True:
        (count,) = struct.unpack_from(">h", stream, pos)
        pos += 2
        if count == -1:
            break
        assert count == len(kinds)
        row: list[object] = []
        for kind in kinds:
            (length,) = struct.unpack_from(">i", stream, pos)
            raw = stream[pos + 4 : pos + 4 + length]
            pos += 4 + length
            if kind in "qi":
                assert length == (8 if kind == "q" else 4)
                row.append(int.from_bytes(raw, "big", signed=True))
            else:
                row.append(raw.decode() if kind == "t" else raw)
        rows.append(tuple(row))
    assert pos == len(stream)  # nothing after the trailer
    return rows


def test_copy_streams_carry_exactly_the_rows() -> None:
    data = [b"entry %d" % j for j in range(37)]
    entries: list[Entry] = [
        (1000 + j, f"PBD-Tên-{j % 4}", j // 4 + 1, d) for j, d in enumerate(data)
    ]  # non-ASCII stream names: UTF-8 lengths, not character counts
    leaves, nodes, _ = extend(0, [], entries)
    assert _parse_copy(copy_leaves(leaves), "qqtib") == [tuple(r) for r in leaves]
    assert _parse_copy(copy_nodes(nodes), "iqb") == [tuple(n) for n in nodes]
    assert _parse_copy(copy_nodes([]), "iqb") == []
