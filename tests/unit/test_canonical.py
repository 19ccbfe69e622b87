"""The canonical encoding (ledger/canonical.py) against RFC 8785 and the rfc8785 package."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from collections import OrderedDict
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.encoding.canonical import MAX_DEPTH, canonical_bytes, parse_canonical
from ledger.errors import CanonicalError

SAFE = 2**53 - 1
SPECIAL = ['"', "\\", "/", "\x00", "\x1f", "\x7f", "\b", "\f", "\n", "\r", "\t", "\u2028", "\u2029"]
SPECIAL += ["\ufeff", "😀", "Hồ sơ", "é", "\ue000", "\U0010ffff"]

ascii_keys = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
strings = st.one_of(
    st.text(), st.sampled_from(SPECIAL), st.lists(st.sampled_from(SPECIAL)).map("".join)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE, max_value=SAFE),
    st.sampled_from([0, -1, SAFE, -SAFE]),
    strings,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(ascii_keys, inner, max_size=5),
    ),
    max_leaves=25,
)


def jcs_string(s: str) -> bytes:
    """An independent reading of RFC 8785 section 3.2.2.2 for strings."""
    short = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for c in s:
        if c in short:
            out.append(short[c])
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return ('"' + "".join(out) + '"').encode("utf-8")


# --- agreement with RFC 8785 --------------------------------------------------------------------


@settings(max_examples=500)
@given(values)
def test_matches_rfc8785_package(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=300)
@given(values)
def test_parse_round_trip(value: Any) -> None:
    data = canonical_bytes(value)
    assert parse_canonical(data) == value
    assert canonical_bytes(parse_canonical(data)) == data


@given(strings)
def test_strings_match_independent_reference(s: str) -> None:
    assert canonical_bytes(s) == jcs_string(s)


def test_every_unicode_scalar_value_encodes_as_rfc8785() -> None:
    scalars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(scalars), 4096):
        chunk = "".join(scalars[start : start + 4096])
        assert canonical_bytes(chunk) == rfc8785.dumps(chunk) == jcs_string(chunk)


def test_control_characters_escape_forms() -> None:
    assert canonical_bytes("\b\t\n\f\r") == b'"\\b\\t\\n\\f\\r"'
    assert canonical_bytes("\x00\x0b\x1f") == b'"\\u0000\\u000b\\u001f"'
    assert canonical_bytes('"\\/\x7f\u2028') == b'"\\"\\\\/\x7f\xe2\x80\xa8"'


def test_rfc8785_section_3_2_2_example_without_numbers() -> None:
    text = r"""{
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        b'{"literals":[null,true,false],"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_bytes(json.loads(text)) == expected
    assert parse_canonical(expected) == json.loads(text)


def test_rfc8785_section_3_2_2_example_with_numbers_is_refused() -> None:
    text = '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}'
    with pytest.raises(CanonicalError, match=r"numbers\[0\]: float not allowed"):
        canonical_bytes(json.loads(text))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, b"0"), (1, b"1"), (-1, b"-1"), (SAFE, b"9007199254740991"), (-SAFE, b"-9007199254740991")],
)
def test_rfc8785_appendix_b_integers(value: int, expected: bytes) -> None:
    assert canonical_bytes(value) == expected == rfc8785.dumps(value)


def test_rfc8785_section_3_2_3_sorting_example_needs_utf16_order() -> None:
    """Why keys must be ASCII: orjson sorts by code point, RFC 8785 by UTF-16 code unit."""
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    rfc_order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert list(json.loads(rfc8785.dumps(value))) == rfc_order
    assert list(orjson.loads(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))) != rfc_order
    with pytest.raises(CanonicalError, match="non-ASCII key"):
        canonical_bytes(value)


def test_ascii_keys_sorted() -> None:
    value = {"b": 1, "a": {"z": [], "A": {}, "_": None, "0": True}, "": "empty"}
    assert canonical_bytes(value) == b'{"":"empty","a":{"0":true,"A":{},"_":null,"z":[]},"b":1}'


def test_tuples_and_enums_encode_as_plain_values() -> None:
    class Kind(enum.StrEnum):
        RECEIVED = "FileReceived"

    class Code(enum.IntEnum):
        IN_PROGRESS = 4

    assert canonical_bytes({"t": (1, "x"), "k": Kind.RECEIVED, "c": Code.IN_PROGRESS}) == (
        b'{"c":4,"k":"FileReceived","t":[1,"x"]}'
    )


# --- refused values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"payload": {"items": [1, 2, 3.0]}}, "payload.items[2]: float not allowed"),
        (1.5, "<root>: float not allowed"),
        ({"x": float("nan")}, "x: float not allowed"),
        ({"a": [{"b": 2**53}]}, "a[0].b: int outside ±(2**53 - 1) not allowed"),
        ([-(2**53)], "[0]: int outside"),
        ([2**64], "[0]: int outside"),
        ({"k": b"raw"}, "k: bytes not allowed"),
        ({"at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)}, "at: datetime not allowed"),
        ({"d": dt.date(2025, 1, 1)}, "d: date not allowed"),
        ({"n": decimal.Decimal("1")}, "n: Decimal not allowed"),
        ({"s": {1, 2}}, "s: set not allowed"),
        ({"o": OrderedDict(a=1)}, "o: OrderedDict not allowed"),
        ({"o": object()}, "o: object not allowed"),
        ({"p": {"é": 1}}, "p: non-ASCII key 'é' not allowed"),
        ({"p": {1: 1}}, "p: int key 1 not allowed"),
        ({"p": {None: 1}}, "p: NoneType key None not allowed"),
        ({"a b": [0, "\ud800"]}, '["a b"][1]: string with a lone surrogate not allowed'),
        ({"x": {"y": "ok\udfff"}}, "x.y: string with a lone surrogate"),
    ],
)
def test_refused_with_path(value: object, message: str) -> None:
    with pytest.raises(CanonicalError) as info:
        canonical_bytes(value)
    assert str(info.value).startswith(message)


def test_safe_integer_bounds_accepted() -> None:
    assert canonical_bytes([SAFE, -SAFE]) == b"[9007199254740991,-9007199254740991]"


def test_depth_limit() -> None:
    ok: object = []
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    canonical_bytes(ok)
    deep = [ok]
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonical_bytes(deep)


def test_canonical_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        canonical_bytes(1.0)


# --- parse_canonical refuses non-canonical input ------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',  # spacing
        b'{"a":1} ',
        b' {"a":1}',
        b'{"a":1}\n',
        b'{"b":1,"a":2}',  # unsorted keys
        b'{"a":1,"a":1}',  # duplicate keys, same value
        b'{"a":1,"a":2}',  # duplicate keys, different value
        b'{"a":{"x":1,"x":1}}',
        b'"\\u0041"',  # needless escape
        b'"\\/"',
        b'"\\u001F"',  # uppercase hex
        b"-0",
        b"1.0",
        b"1e2",
        b"9007199254740992",  # beyond 2**53 - 1
        b"18446744073709551616",
        b'{"\xc3\xa9":1}',  # non-ASCII key
        b"\xef\xbb\xbf1",  # BOM
        b'"\xff"',  # invalid UTF-8
        b'"\\ud800"',  # lone surrogate
        b"",
        b"{",
        b"[1,]",
        b"NaN",
    ],
)
def test_parse_refuses_non_canonical(data: bytes) -> None:
    with pytest.raises(CanonicalError):
        parse_canonical(data)


def test_parse_accepts_canonical() -> None:
    data = b'{"a":[1,true,null,"\xe1\xbb\x93 s\xc6\xa1"],"b":{}}'
    assert parse_canonical(data) == {"a": [1, True, None, "ồ sơ"], "b": {}}


def test_parse_requires_bytes() -> None:
    with pytest.raises(CanonicalError):
        parse_canonical('{"a":1}')  # type: ignore[arg-type]
