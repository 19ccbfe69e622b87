"""The per-event shortcuts of the hot path refuse exactly what the general code refuses.

Each shortcut (cached instants, the canonical fast walk, the compiled payload decoders, the
splice of an envelope's bytes, the replay's event comparison) is tested against the general
code it stands in for, and against inputs it must still refuse.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import Desk, FileHandedOff
from ledger import canonical, codec
from ledger.canonical import MAX_DEPTH, CanonicalError, canonical_bytes, parse_canonical
from ledger.envelope import GENESIS_HASH, Envelope, build, decode
from ledger.errors import MalformedEnvelope
from ledger.timefmt import format_instant, parse_instant
from signing import PrivateKeySigner, b64, generate_private_key

SIGNER = PrivateKeySigner(generate_private_key(bytes([11]) * 32))
AT = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)


def sample(payload: dict[str, Any] | None = None) -> Envelope:
    return build(
        origin="test.hoso.vn/ledger",
        stream="PTEST-260302-0001",
        version=2,
        type_="FileHandedOff",
        occurred_at=AT,
        actor="an",
        key_id=SIGNER.key_id,
        payload=payload if payload is not None else {"note": "x", "n": 3},
        prev_hash=GENESIS_HASH,
    ).sign(SIGNER)


def doc_of(env: Envelope) -> dict[str, Any]:
    value = orjson.loads(env.to_bytes())
    assert isinstance(value, dict)
    return value


def raw(doc: dict[str, Any]) -> bytes:
    """``doc`` as orjson writes it with sorted keys: canonical unless ``doc`` is out of range."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


# --- instants -------------------------------------------------------------------------------


def test_format_instant_is_the_strftime_form_for_every_zone() -> None:
    rng = random.Random(7)
    zones = [UTC, timezone(timedelta(hours=7)), ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("UTC")]
    for _ in range(2000):
        utc = datetime(1000, 1, 2, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(0, 8990 * 365 * 86400 * 10**6)
        )
        at = utc.astimezone(rng.choice(zones))
        text = format_instant(at)
        assert text == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parsed = parse_instant(text)
        assert parsed == utc and parsed.tzinfo is UTC


def test_years_before_1000_format_as_four_digits_and_round_trip() -> None:
    at = datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert format_instant(at) == "0999-01-02T03:04:05.000006Z"
    assert parse_instant(format_instant(at)) == at


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02T01:02:03.456789Z\n",  # "$" matched before a final newline
        "2026-03-02T01:02:03.456789+00:00",
        "2026-03-02T01:02:03Z",
        "\u0662026-03-02T01:02:03.456789Z",  # an Arabic-Indic digit is a \d, not [0-9]
        "2026-02-30T01:02:03.456789Z",
        " 2026-03-02T01:02:03.456789Z",
    ],
)
def test_other_instant_texts_are_refused(text: str) -> None:
    with pytest.raises(MalformedEnvelope):
        parse_instant(text)


def test_an_envelope_with_a_newline_after_its_instant_is_refused() -> None:
    doc = doc_of(sample())
    doc["occurred_at"] += "\n"
    with pytest.raises(MalformedEnvelope):
        decode(raw(doc))
    doc = doc_of(sample().received(AT))
    doc["recorded_at"] += "\n"
    with pytest.raises(MalformedEnvelope):
        decode(raw(doc))


def test_decode_caches_the_instant_and_the_signature_text() -> None:
    env = decode(sample().received(AT + timedelta(seconds=1)).to_bytes())
    assert env.unsigned.__dict__["at"] == AT  # filled by decode, not parsed again
    assert env.occurred_at == parse_instant(env.unsigned.occurred_at) == AT
    assert env.sig_b64 == b64(env.signature)
    later = env.received(AT + timedelta(seconds=2))
    assert later.occurred_at == AT and later.sig_b64 == env.sig_b64
    built = sample()
    assert "at" not in built.unsigned.__dict__ and built.occurred_at == AT  # parsed when asked


# --- the canonical fast walk ----------------------------------------------------------------

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
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(json_values)
def test_fast_walk_never_passes_what_the_full_check_refuses(value: Any) -> None:
    try:
        canonical._check(value, 0, strings=False)
        full = True
    except canonical._Refused:
        full = False
    assert not canonical._plain(value, 0) or full


@pytest.mark.parametrize(
    "bad",
    [1.5, 1e20, 2**53, -(2**53), {"\u00e9": 1}, {"k": [1.0]}],
    ids=["float", "float-exp", "int-high", "int-low", "non-ascii-key", "nested-float"],
)
def test_a_stored_payload_outside_the_canonical_subset_is_refused(bad: Any) -> None:
    doc = doc_of(sample())
    doc["payload"] = {"note": bad}
    data = raw(doc)
    assert orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS) == data  # round trips
    with pytest.raises(CanonicalError):
        parse_canonical(data)
    with pytest.raises(MalformedEnvelope):
        decode(data)


def test_depth_is_still_limited_on_the_fast_path() -> None:
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):  # containers at depths 0..MAX_DEPTH: one too many
        deep = [deep]
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonical_bytes(deep)
    assert canonical_bytes(deep[0]).startswith(b"[[")


# --- envelope fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("origin", 1, "'origin' must be str"),
        ("stream", None, "'stream' must be str"),
        ("version", True, "'version' must be int"),
        ("version", "2", "'version' must be int"),
        ("type", ["FileHandedOff"], "'type' must be str"),
        ("actor", {}, "'actor' must be str"),
        ("key_id", 5, "'key_id' must be str"),
        ("payload", [], "'payload' must be dict"),
        ("prev_hash", "A" * 64, "64 lower-case hex"),
        ("prev_hash", "0" * 63, "64 lower-case hex"),
        ("prev_hash", "0" * 63 + "g", "64 lower-case hex"),
        ("prev_hash", "0" * 31 + " " + "0" * 32, "64 lower-case hex"),
        ("prev_hash", 0, "'prev_hash' must be str"),
        ("sig", "not base64", "not base64"),
        ("occurred_at", 7, "'occurred_at' must be str"),
    ],
)
def test_wrong_envelope_fields_are_named(field: str, value: Any, message: str) -> None:
    doc = doc_of(sample())
    doc[field] = value
    with pytest.raises(MalformedEnvelope, match=message):
        decode(raw(doc))


def test_the_first_wrong_field_is_named_in_the_usual_order() -> None:
    doc = doc_of(sample())
    doc["actor"], doc["stream"] = 1, 2
    with pytest.raises(MalformedEnvelope, match="'stream' must be str"):
        decode(raw(doc))


@pytest.mark.parametrize("keys", [{"extra"}, {"recorded_at", "extra"}, set()])
def test_unknown_or_missing_fields_are_refused(keys: set[str]) -> None:
    doc = doc_of(sample())
    for key in keys:
        doc[key] = "2026-03-02T01:02:03.456789Z"
    if not keys:
        del doc["actor"]
    with pytest.raises(MalformedEnvelope, match="missing or unknown"):
        decode(raw(doc))


def test_a_non_canonical_signature_text_is_refused() -> None:
    doc = doc_of(sample())
    sig = doc["sig"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    assert sig.endswith("==")  # 64 bytes: the last character carries 4 zero bits
    other = alphabet[alphabet.index(sig[-3]) ^ 1]
    doc["sig"] = sig[:-3] + other + "=="
    assert base64.b64decode(doc["sig"]) == base64.b64decode(sig)  # same bytes, other text
    with pytest.raises(MalformedEnvelope, match="not base64"):
        decode(raw(doc))


# --- compiled payload decoders --------------------------------------------------------------

DESK = {"officer": "an", "department": "tư pháp", "agency": "PTEST"}
HANDOFF = {"from_desk": DESK, "to_desk": DESK | {"officer": "binh"}, "note": "xem"}


def handed_off(payload: Any) -> Any:
    return codec.from_payload(
        "FileHandedOff", payload, stream="PTEST-260302-0001", version=2, occurred_at=AT, actor="an"
    )


def test_decoded_payload_is_the_event() -> None:
    event = handed_off(HANDOFF)
    assert isinstance(event, FileHandedOff)
    assert event.to_desk == Desk("binh", "tư pháp", "PTEST") and event.note == "xem"
    assert codec.to_payload(event) == ("FileHandedOff", HANDOFF)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"note": 1}, "FileHandedOff.note: expected str"),
        ({"note": None}, "FileHandedOff.note: expected str"),
        ({"to_desk": "binh"}, "FileHandedOff.to_desk: expected a desk"),
        ({"to_desk": DESK | {"extra": ""}}, "FileHandedOff.to_desk: expected a desk"),
        ({"to_desk": DESK | {"agency": 1}}, "FileHandedOff.to_desk: desk fields must be text"),
    ],
)
def test_wrong_typed_payload_fields_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedEnvelope, match=message):
        handed_off(HANDOFF | change)


def test_payload_field_set_must_be_exact() -> None:
    with pytest.raises(MalformedEnvelope, match="are not the expected"):
        handed_off({k: v for k, v in HANDOFF.items() if k != "note"})
    with pytest.raises(MalformedEnvelope, match="are not the expected"):
        handed_off(HANDOFF | {"extra": 1})


@pytest.mark.parametrize(
    ("type_name", "field", "value", "message"),
    [
        ("FeeRequested", "amount_vnd", True, "expected int"),
        ("FeeRequested", "amount_vnd", "5", "expected int"),
        ("SupplementRequested", "items", "giấy", "expected a list"),
        ("SupplementRequested", "items", ["a", 1], "expected str"),
        ("SupplementReceived", "new_due_at", 5, "expected an instant"),
        ("SupplementReceived", "new_due_at", "2026-03-02T01:02:03Z", "not of the form"),
    ],
)
def test_wrong_typed_fields_of_other_events_are_refused(
    type_name: str, field: str, value: Any, message: str
) -> None:
    cls = codec.EVENT_TYPES[type_name]
    sample_values: dict[Any, Any] = {
        str: "x",
        int: 5,
        bool: True,
        datetime: "2026-03-02T01:02:03.456789Z",
        tuple[str, ...]: ["a"],
        Desk: DESK,
    }
    payload = {name: sample_values[hint] for name, hint in codec._fields(cls)}
    codec.from_payload(
        type_name, payload, stream="PTEST-260302-0001", version=3, occurred_at=AT, actor="an"
    )  # the sample payload itself decodes
    with pytest.raises(MalformedEnvelope, match=message):
        codec.from_payload(
            type_name,
            payload | {field: value},
            stream="PTEST-260302-0001",
            version=3,
            occurred_at=AT,
            actor="an",
        )
