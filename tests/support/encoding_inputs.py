"""Inputs for the encoding equivalence suite: hypothesis strategies for valid envelopes of every
event type (values drawn per field type, encoded by the codec) and for one-step mutations of their
bytes, JSON-like values, payload fields and instant texts; and builders of hand-written cases."""

from __future__ import annotations

import enum
import random
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import strategies as st

from domain.events import Desk
from ledger.encoding import codec
from ledger.encoding.canonical import MAX_SAFE_INTEGER, format_instant
from ledger.encoding.envelope import GENESIS_HASH, build
from tests.support.envelopes import AT, ORIGIN, SIGNER, endings, lifecycle, registry_events, stored

SORT = orjson.OPT_SORT_KEYS

texts = st.text(max_size=6)
safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
instants = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)
desks = st.builds(Desk, texts, texts, texts)


def values_of(hint: Any) -> st.SearchStrategy[Any]:
    """Valid field values of a payload type, as the domain holds them."""
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: texts,
        int: safe_ints,
        bool: st.booleans(),
        datetime: instants,
        Desk: desks,
    }
    if hint in simple:
        return simple[hint]
    (item, _ellipsis) = typing.get_args(hint)
    return st.lists(values_of(item), max_size=3).map(tuple)


@st.composite
def events(draw: st.DrawFn) -> Any:
    """A valid domain event of any ledger type, through the codec's own decoding."""
    with_fields = [t for t in sorted(codec.EVENT_TYPES) if codec._fields(codec.EVENT_TYPES[t])]
    type_name = draw(st.sampled_from(with_fields))  # (PinReissued has no fields of its own)
    fields = codec._fields(codec.EVENT_TYPES[type_name])
    values = {name: draw(values_of(hint)) for name, hint in fields}
    payload = {name: codec._encode_value(value) for name, value in values.items()}
    return codec.from_payload(
        type_name,
        payload,
        stream=draw(texts),
        version=draw(st.integers(min_value=1, max_value=MAX_SAFE_INTEGER)),
        occurred_at=draw(instants),
        actor=draw(texts),
    )


DOMAIN = [stored(e) for e in lifecycle() + endings() + registry_events()]
DOMAIN += [stored(e, received=False) for e in lifecycle()[:3]]


@st.composite
def valid_envelopes(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.sampled_from(DOMAIN))
    event = draw(events())
    prev_hash = draw(st.sampled_from([GENESIS_HASH, "ab" * 32]))
    return stored(event, prev_hash=prev_hash, received=draw(st.booleans()))


JUNK: list[Any] = [None, True, False, 0, 1, -1, 1.5, 1.0, 2**53, -(2**53), 2**64 - 1]
JUNK += ["", "x", [], {}, ["x"]]


def edit(doc: dict[str, Any], rng: random.Random) -> Any:
    """One field of the envelope or its payload set to a wrong, missing or extra value."""
    target = doc["payload"] if doc["payload"] and rng.random() < 0.5 else doc
    key = rng.choice(sorted(target))
    choice = rng.randrange(4)
    if choice == 0:
        target[key] = rng.choice(JUNK)
    elif choice == 1:
        del target[key]
    elif choice == 2:
        target[rng.choice(["extra", "é", "recorded_at", "sig"])] = rng.choice(JUNK)
    elif isinstance(target[key], str) and target[key]:
        text = target[key]
        i = rng.randrange(len(text))
        target[key] = text[:i] + rng.choice(["\n", " ", "é", "\x00", "Z", "0"]) + text[i + 1 :]
    else:
        target[key] = rng.choice(JUNK)
    return doc


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One edit of stored bytes that the reference refuses (almost always)."""
    doc = orjson.loads(data)
    kind = rng.randrange(12)
    if kind == 0:  # whitespace
        i = rng.randrange(len(data))
        return data[:i] + rng.choice([b" ", b"\n", b"\t"]) + data[i:]
    if kind == 1:  # keys in another order
        keys = list(doc)
        rng.shuffle(keys)
        return orjson.dumps({k: doc[k] for k in keys})
    if kind == 2:  # a needless \u escape
        i = data.index(b'"', rng.randrange(1, len(data) // 2)) + 1
        return data[:i] + b"\\u%04x" % data[i] + data[i + 1 :]
    if kind == 3:  # a float or a large integer where an integer is
        return data.replace(b'"v":1', rng.choice([b'"v":1.0', b'"v":1e0', b'"v":true', b'"v":-0']))
    if kind == 4:  # a signature text that is not its one base64
        sig = doc["sig"]
        doc["sig"] = rng.choice([sig[:-3] + "B==", sig[:-1], sig + "=", "-" + sig[1:], sig[:84]])
        return orjson.dumps(doc, option=SORT)
    if kind == 5:  # a duplicate key
        return data.replace(b'"actor":', b'"actor":"x","actor":', 1)
    if kind == 6:  # a byte flipped, inserted or deleted
        i = rng.randrange(len(data))
        return rng.choice(
            [data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :], data[:i] + data[i + 1 :]]
        )
    if kind == 7:  # an escape that is a lone surrogate, or unicode escaped
        return data.replace(b'"actor":"', rng.choice([b'"actor":"\\ud800', b'"actor":"\\u00e9']))
    if kind == 8:  # instants in another form
        field = rng.choice(["occurred_at", "recorded_at"])
        doc[field] = rng.choice(
            [
                doc["occurred_at"].replace("Z", "+00:00"),
                doc["occurred_at"][:-8] + "Z",
                doc["occurred_at"] + "\n",
                "2026-02-30T00:00:00.000000Z",
                "\u0662026-03-02T01:02:03.456789Z",
                None,
            ]
        )
        return orjson.dumps(doc, option=SORT)
    if kind == 9:  # the version out of range, or a hash not in lower-case hex
        doc[rng.choice(["version", "prev_hash"])] = rng.choice([2**53, -1, 0, "A" * 64, "0" * 63])
        return orjson.dumps(doc, option=SORT)
    if kind == 10:  # not a JSON object, or trailing bytes
        return rng.choice([b"[" + data + b"]", data + b" ", data + b"{}", b"", b"null"])
    return orjson.dumps(edit(doc, rng), option=SORT)


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    return mutate(draw(valid_envelopes()), random.Random(draw(st.integers(0, 2**32))))


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=4),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
    ),
    max_leaves=20,
)


@st.composite
def field_cases(draw: st.DrawFn, *, valid_only: bool) -> tuple[str, str, Any]:
    """(event type, field, value): a value the codec encodes for that field, or any value."""
    with_fields = [t for t in sorted(codec.EVENT_TYPES) if codec._fields(codec.EVENT_TYPES[t])]
    type_name = draw(st.sampled_from(with_fields))  # (PinReissued has no fields of its own)
    name, hint = draw(st.sampled_from(codec._fields(codec.EVENT_TYPES[type_name])))
    valid = values_of(hint).map(codec._encode_value)
    return type_name, name, draw(valid if valid_only else st.one_of(valid, json_values))


instant_texts = st.one_of(
    instants.map(format_instant),
    instants.map(lambda at: format_instant(at)[: -1 - 7] + "Z"),
    st.text(alphabet="0123456789-T:.Z \n\u0662", min_size=20, max_size=28),
    st.sampled_from(JUNK),
)

LEAVES: list[Any] = ["x", 1, None, [], {}]


class Colour(enum.StrEnum):
    RED = "red"


def nested(levels: int, leaf: Any, wrap: Callable[[Any], Any]) -> Any:
    value = leaf
    for _ in range(levels):
        value = wrap(value)
    return value


def doc_bytes(event: int = 1, **changes: Any) -> bytes:
    """The stored bytes of the lifecycle's event ``event`` with fields changed (``...``: gone)."""
    doc = orjson.loads(stored(lifecycle()[event])) | changes
    return orjson.dumps({k: v for k, v in doc.items() if v is not ...}, option=SORT)


def payload_bytes(event: int = 1, **changes: Any) -> bytes:
    payload = orjson.loads(stored(lifecycle()[event]))["payload"] | changes
    return doc_bytes(event, payload={k: v for k, v in payload.items() if v is not ...})


PAYLOADS: list[dict[str, Any]] = [
    {},
    {"note": "x", "n": 3},
    {"stream": "PX-1", "sig": "a", "recorded_at": "b", "nested": {"sig": "c", "stream": "d"}},
    {"text": 'quote " backslash \\ newline \n tab \t ctrl \x01 Hồ sơ 😀 \u2028'},
    {"z": [1, [2, [3]], {"y": None, "a": True}], "a": -(2**53 - 1)},
]
UNSIGNED_HANDOFF = build(
    origin=ORIGIN,
    stream="PTEST-260302-0001",
    version=2,
    type_="FileHandedOff",
    occurred_at=AT,
    actor="an",
    key_id=SIGNER.key_id,
    payload=codec.to_payload(lifecycle()[1])[1],
    prev_hash=GENESIS_HASH,
)
