"""Every fast encoding or decoding path gives its reference path's result: one suite, one row each.

``FAST_PATHS`` lists each fast path of ``ledger.encoding`` beside the reference it shortcuts
(``ledger/encoding/fast/__init__.py`` has the same map). For each row, on the same input:

* if the fast path gives a result, the reference gives the same result;
* if the reference refuses, the fast path refuses the same way or declines (fails closed: a
  fast path never accepts what the reference refuses);
* the fast path declines only where the row allows it, and never on the valid inputs it exists
  for (otherwise it would be no shortcut).

Inputs: hypothesis-generated envelopes of every event type (values drawn per field type, encoded
by the codec), the stored envelopes of a file's lifecycle and a key registry (built by the
domain), one-step mutations of those bytes (whitespace, reordered or duplicate keys, ``\\u``
escapes, floats, large integers, bad base64, wrong types, extra or missing fields, byte edits), and
a table of hand-written edge cases. Adding a fast path means adding one row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.encoding import canonical, codec
from ledger.encoding.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    format_instant,
    parse_instant,
)
from ledger.encoding.envelope import (
    Envelope,
    UnsignedEnvelope,
    _body_from_stored,
    decode,
)
from ledger.encoding.fast import envelope as fast_envelope
from ledger.encoding.fast import event as fast_event
from ledger.encoding.fast.payload import instant
from ledger.errors import CanonicalError, Declined, MalformedEnvelope
from tests.support import encoding_inputs as inputs
from tests.support.encoding_inputs import doc_bytes, payload_bytes
from tests.support.envelopes import (
    AT,
    SIGNER,
    general,
    handoff,
    lifecycle,
    stored,
)

LATER = AT + timedelta(days=3, microseconds=7)
SORT = orjson.OPT_SORT_KEYS

# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one path made of one input: a result, a refusal (its class and message), or
    ``declined`` (a fast path not sure: its caller would ask the reference)."""

    kind: str
    value: Any = None


DECLINED = Outcome("declined")
REFUSALS = (MalformedEnvelope, CanonicalError)


def outcome(path: Callable[[Any], Any], case: Any) -> Outcome:
    try:
        return Outcome("result", path(case))
    except Declined:
        return DECLINED
    except REFUSALS as e:
        return Outcome("refused", (type(e).__name__, str(e)))


# --- the rows: each fast path and its reference, on one kind of input ---------------------------


def check_fast(value: Any) -> bool:
    if not canonical._check_fast(value, 0):
        raise Declined
    return True


def check_reference(value: Any) -> bool:
    try:
        canonical._check(value, 0, strings=False)
    except canonical._Refused as r:
        raise CanonicalError(r.reason) from None
    return True


def plan_fast(case: tuple[str, str, Any]) -> Any:
    """One field as ``codec.from_payload`` decodes it, through its plan."""
    type_name, name, value = case
    for field, where, exact, decode_value in codec._plan(codec.EVENT_TYPES[type_name]).fields:
        if field == name:
            return value if type(value) is exact else decode_value(value, where)
    raise AssertionError(name)


def plan_reference(case: tuple[str, str, Any]) -> Any:
    type_name, name, value = case
    hint = dict(codec._fields(codec.EVENT_TYPES[type_name]))[name]
    return codec._decode_value(hint, value, f"{type_name}.{name}")


def cut_fast(data: bytes) -> tuple[bytes, bytes]:
    env = decode(data)
    found = _body_from_stored(env.unsigned, data, env.sig_b64, env.recorded_at)
    if found is None:
        raise Declined
    body, cut = found
    return body, body[cut:]


def cut_reference(data: bytes) -> tuple[bytes, bytes]:
    unsigned = decode(data).unsigned
    body = canonical.canonical_bytes(unsigned.body())
    return body, b"," + unsigned._tail()[1:]


def encodings(env: Envelope, general_path: bool) -> tuple[Any, ...]:
    """Everything encoded of ``env``, as the envelope does it or as the general encoder does."""
    later = env.received(LATER)
    if general_path:
        body = canonical.canonical_bytes(env.unsigned.body())
        signed = general(env, receipt=False)
        return (
            body, signed, general(env), general(later), b"hoso/envelope/v1\x00" + body,
            signed, later.recorded_at,
        )  # fmt: skip
    return (
        env.unsigned.body_bytes(), env.signed_bytes(), env.to_bytes(), later.to_bytes(),
        env.unsigned.signing_message(), later.signed_bytes(), later.recorded_at,
    )  # fmt: skip


def fresh(env: Envelope) -> Envelope:
    """``env``'s fields in new objects: nothing cached from decoding."""
    unsigned = UnsignedEnvelope(**{f: getattr(env.unsigned, f) for f in FIELDS})
    return Envelope(unsigned, env.signature, env.recorded_at)


FIELDS: tuple[str, ...] = ("origin", "stream", "version", "type", "occurred_at", "actor")
FIELDS += ("key_id", "payload", "prev_hash")


def splice_fast(data: bytes) -> tuple[Any, ...]:
    env = decode(data)
    return encodings(env, False), encodings(fresh(env), False)


def splice_reference(data: bytes) -> tuple[Any, ...]:
    env = decode(data)
    return encodings(env, True), encodings(fresh(env), True)


def fields_of(env: Envelope) -> dict[str, Any]:
    return {f: getattr(env.unsigned, f) for f in FIELDS} | {
        "v": 1,
        "sig": env.sig_b64,
        "recorded_at": env.recorded_at,
    }


def event_of(env: Envelope) -> Any:
    return codec.event_of(env)


def decode_fields_fast(data: bytes) -> tuple[Any, ...]:
    doc, at, kind, values = fast_envelope.decode_fields(data)
    event = kind.event(values, doc["stream"], doc["version"], at, doc["actor"])
    return {"recorded_at": None} | doc, at, event


def decode_fields_reference(data: bytes) -> tuple[Any, ...]:
    env = decode(data)
    return fields_of(env), env.occurred_at, event_of(env)


def check_fields_fast(data: bytes) -> tuple[Any, ...]:
    doc, at, kind = fast_envelope.check_fields(data)
    return {"recorded_at": None} | doc, at, kind.cls


def check_fields_reference(data: bytes) -> tuple[Any, ...]:
    env = decode(data)
    return fields_of(env), env.occurred_at, type(event_of(env))


def signed_parts_fast(data: bytes) -> tuple[str, bytes, bytes]:
    return fast_envelope.signed_parts(fast_envelope.decode_fields(data)[0])


def signed_parts_reference(data: bytes) -> tuple[str, bytes, bytes]:
    env = decode(data)
    event_of(env)  # what decode_fields also decodes
    return env.hash(), env.unsigned.signing_message(), env.signature


def as_stored_fast(data: bytes) -> tuple[Envelope, bytes]:
    return fast_envelope.as_stored(decode(data).received(LATER))


def as_stored_reference(data: bytes) -> tuple[Envelope, bytes]:
    row = decode(data).received(LATER).to_bytes()
    return decode(row), row


def instant_reference(text: Any) -> datetime:
    if not isinstance(text, str):
        raise MalformedEnvelope("not text")
    return parse_instant(text)


@dataclass(frozen=True)
class FastPath:
    """One fast path, its reference, and the input it takes (``"bytes"``: stored envelopes,
    ``"value"``: JSON-like values, ``"field"``: (event type, field, value), ``"text"``)."""

    name: str
    fast: Callable[[Any], Any]
    reference: Callable[[Any], Any]
    inputs: str
    may_decline: bool = True


FAST_PATHS = [
    FastPath("canonical._check_fast", check_fast, check_reference, "value"),
    FastPath("codec._FromPayloadPlan", plan_fast, plan_reference, "field", may_decline=False),
    FastPath("envelope._body_from_stored", cut_fast, cut_reference, "bytes"),
    FastPath("Envelope spliced bytes", splice_fast, splice_reference, "bytes", False),
    FastPath("fast.payload.instant", instant, instant_reference, "text"),
    FastPath("fast.envelope.decode_fields", decode_fields_fast, decode_fields_reference, "bytes"),
    FastPath("fast.envelope.check_fields", check_fields_fast, check_fields_reference, "bytes"),
    FastPath("fast.envelope.signed_parts", signed_parts_fast, signed_parts_reference, "bytes"),
    FastPath("fast.envelope.as_stored", as_stored_fast, as_stored_reference, "bytes", False),
    FastPath(
        "fast.event.decode_event", fast_event.decode_event, fast_event.reference, "bytes", False
    ),
]
ROWS = pytest.mark.parametrize("path", FAST_PATHS, ids=[p.name for p in FAST_PATHS])


def assert_equivalent(path: FastPath, case: Any, *, valid: bool = False) -> Outcome:
    """The row's rule on one input; ``valid``: an input the fast path exists for."""
    fast, reference = outcome(path.fast, case), outcome(path.reference, case)
    if fast == DECLINED:
        assert path.may_decline, f"{path.name} declined {case!r}"
        assert not (valid and reference.kind == "result"), f"{path.name} declined {case!r}"
    else:
        assert fast == reference, f"{path.name} on {case!r}"
    return reference


# --- generated inputs -------------------------------------------------------------------------

VALID: dict[str, st.SearchStrategy[Any]] = {
    "bytes": inputs.valid_envelopes(),
    "value": inputs.json_values,
    "field": inputs.field_cases(valid_only=True),
    "text": inputs.instants.map(format_instant),
}
ANY: dict[str, st.SearchStrategy[Any]] = {
    "bytes": inputs.mutated_envelopes(),
    "value": inputs.json_values,
    "field": inputs.field_cases(valid_only=False),
    "text": inputs.instant_texts,
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROWS
@SETTINGS
@given(data=st.data())
def test_valid_inputs_take_the_fast_path_to_the_reference_result(
    path: FastPath, data: st.DataObject
) -> None:
    case = data.draw(VALID[path.inputs])
    result = assert_equivalent(path, case, valid=True)
    assert path.inputs == "value" or result.kind == "result", result


@ROWS
@SETTINGS
@given(data=st.data())
def test_any_input_gets_the_reference_verdict_or_a_decline(
    path: FastPath, data: st.DataObject
) -> None:
    assert_equivalent(path, data.draw(ANY[path.inputs]))


def test_the_generated_mutations_are_mostly_refused() -> None:
    rng = random.Random(14)
    refused = 0
    for data in inputs.DOMAIN:
        for _ in range(50):
            try:
                decode(inputs.mutate(data, rng))
            except MalformedEnvelope:
                refused += 1
    assert refused > 0.8 * 50 * len(inputs.DOMAIN)


def test_every_event_type_is_among_the_domain_envelopes() -> None:
    assert {decode(data).type for data in inputs.DOMAIN} == set(codec.EVENT_TYPES)


# --- hand-written edge cases ------------------------------------------------------------------


EDGE_CASES: dict[str, list[Any]] = {
    "value": [
        inputs.Colour.RED,
        {"k": inputs.Colour.RED},
        {1: "x"},
        {"\u00e9": 1},
        [1.0],
        (MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER),
        [MAX_SAFE_INTEGER + 1],
        "\ud800",
        b"bytes",
        *[
            inputs.nested(levels, leaf, wrap)
            for levels in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1)
            for leaf in inputs.LEAVES
            for wrap in (lambda v: [v], lambda v: {"k": v}, lambda v: (v,))
        ],
    ],
    "field": [
        ("FileHandedOff", "note", 1),
        ("FileHandedOff", "note", None),
        ("FileHandedOff", "to_desk", "binh"),
        ("FileHandedOff", "to_desk", {"officer": "a", "department": "b", "agency": 1}),
        ("FileHandedOff", "to_desk", {"officer": "a", "department": "b", "agency": "c", "x": 1}),
        ("FeeRequested", "amount_vnd", True),
        ("FeeRequested", "amount_vnd", "5"),
        ("FeeRequested", "amount_vnd", 2**60),
        ("SupplementRequested", "items", "giấy"),
        ("SupplementRequested", "items", ["a", 1]),
        ("SupplementReceived", "new_due_at", 5),
        ("SupplementReceived", "new_due_at", "2026-03-02T01:02:03Z"),
    ],
    "text": [
        "2026-03-02T01:02:03.456789Z\n",
        "2026-03-02T01:02:03.456789+00:00",
        "2026-03-02T01:02:03Z",
        "\u0662026-03-02T01:02:03.456789Z",
        "2026-02-30T01:02:03.456789Z",
        " 2026-03-02T01:02:03.456789Z",
        "0999-01-02T03:04:05.000006Z",
        "2026-03-02t01:02:03.456789Z",
        1,
    ],
    "bytes": [
        *[handoff(p).to_bytes() for p in inputs.PAYLOADS],
        *[handoff(p).received(LATER).to_bytes() for p in inputs.PAYLOADS],
        inputs.UNSIGNED_HANDOFF.sign(SIGNER).to_bytes(),
        Envelope(inputs.UNSIGNED_HANDOFF, b"\x01" * 10).to_bytes(),  # valid base64, not 64 bytes
        doc_bytes(v=True),
        doc_bytes(v=2),
        doc_bytes(version=True),
        doc_bytes(version=2**53),
        doc_bytes(recorded_at=None),
        doc_bytes(recorded_at=...),
        doc_bytes(type="NoSuchEvent"),
        doc_bytes(type="KeyRevoked"),
        doc_bytes(type=["FileHandedOff"]),
        doc_bytes(origin=1),
        doc_bytes(payload=[]),
        doc_bytes(prev_hash="A" * 64),
        doc_bytes(occurred_at="2026-02-30T00:00:00.000000Z"),
        payload_bytes(note=1.5),
        payload_bytes(0, statutory_amount=MAX_SAFE_INTEGER),
        payload_bytes(0, statutory_amount=MAX_SAFE_INTEGER + 1),
        payload_bytes(4, amount_vnd=-(MAX_SAFE_INTEGER + 1)),
        payload_bytes(4, amount_vnd=True),
        payload_bytes(note=...),
        payload_bytes(extra=1),
        payload_bytes(to_desk={"officer": "a", "department": "b", "agency": "c", "é": 1}),
        payload_bytes(to_desk={"officer": "a", "department": "b", "agency": 2**60}),
        stored(lifecycle()[1]).replace(b'"note":"', b'"note":"\\u0041', 1),
        stored(lifecycle()[1]).replace(b'"note":"', b'"note":"\\ud800', 1),
        stored(lifecycle()[1]).decode().encode("utf-16"),
        b'{"v":1}',
        b"not json",
    ],
}


@ROWS
def test_edge_cases_get_the_reference_verdict_or_a_decline(path: FastPath) -> None:
    verdicts = {assert_equivalent(path, case).kind for case in EDGE_CASES[path.inputs]}
    assert "refused" in verdicts or path.inputs == "value"


def test_the_fast_decoder_takes_a_stored_event_without_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(data: bytes) -> Any:
        raise AssertionError("the reference was asked")

    monkeypatch.setattr(fast_event, "reference", refuse)
    for data in inputs.DOMAIN:
        assert fast_event.decode_event(data).data == data


def test_as_stored_gives_the_decoded_envelope_itself() -> None:
    env = decode(inputs.DOMAIN[1]).received(LATER)
    assert fast_envelope.as_stored(env)[0] is env
    built = handoff().received(LATER)  # not from decode: read back by the reference
    again, row = fast_envelope.as_stored(built)
    assert again is not built and again == built and row == built.to_bytes()
