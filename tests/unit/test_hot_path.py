"""The per-event shortcuts of the hot path refuse exactly what the general code refuses.

The instant format, the canonical depth limit, the compiled payload decoders' errors, the
replay's event comparison and the cached file-code parse, each against the inputs it must still
refuse. Every fast encoding or decoding path is proven equal to its reference path in
``test_encoding_equivalence.py``; the envelope's strict fields are tested in ``test_envelope.py``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from domain.calendar import VN_TZ
from domain.codes import FileCode, parse_file_code
from domain.errors import InvalidValue
from domain.events import Desk, FileHandedOff
from ledger.encoding import codec
from ledger.encoding.canonical import (
    MAX_DEPTH,
    canonical_bytes,
    format_instant,
    parse_canonical,
    parse_instant,
)
from ledger.encoding.envelope import decode
from ledger.errors import CanonicalError, MalformedEnvelope
from signing import b64
from tests.support.envelopes import doc_of, lifecycle, raw
from tests.support.envelopes import handoff as sample

AT = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)


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


# --- the replay's payload comparison and the cached file-code parse ---------------------------


def variants(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = [payload, {**payload, "extra": 1}]
    for name, value in payload.items():
        out.append({k: v for k, v in payload.items() if k != name})
        if isinstance(value, bool):
            changed: Any = not value
        elif isinstance(value, int):
            changed = value + 1
        elif isinstance(value, str):
            changed = value[:-1] + chr(ord(value[-1]) ^ 1) if value else "x"
        elif isinstance(value, list):
            changed = [*value, "more"]
        else:
            changed = {**value, "officer": value["officer"] + "x"}
        out += [{**payload, name: changed}, {**payload, name: None}]
    return out


def test_payload_comparison_is_the_encoded_comparison() -> None:
    events = lifecycle()
    assert len({type(e) for e in events}) == 12
    for event in events:
        _, payload = codec.to_payload(event)
        assert codec.payload_equals(event, payload)
        for variant in variants(payload):
            expected = codec.to_payload(event)[1] == variant
            assert codec.payload_equals(event, variant) is expected
    assert any(isinstance(v, datetime) and v.tzinfo is VN_TZ for v in vars(events[3]).values())


def test_payload_comparison_refuses_an_unregistered_class() -> None:
    class Stray(FileHandedOff):
        pass

    event = lifecycle()[1]
    stray = Stray(**{f: getattr(event, f) for f in vars(event)})
    with pytest.raises(MalformedEnvelope, match="not a registered"):
        codec.payload_equals(stray, codec.to_payload(event)[1])


def test_cached_file_code_parse_still_refuses() -> None:
    assert parse_file_code("PBD-260302-0001") is parse_file_code("PBD-260302-0001")
    assert parse_file_code("PBD-260302-0001") == FileCode("PBD", date(2026, 3, 2), 1)
    for bad in ("PBD-260230-0001", "PBD-260302-0000", "pbd-260302-0001"):
        for _ in range(2):  # a refusal is not remembered as an answer
            with pytest.raises(InvalidValue):
                parse_file_code(bad)
