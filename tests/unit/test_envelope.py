"""The envelope: one canonical encoding, a domain-separated signature, strict decoding."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import rfc8785

from ledger.encoding.canonical import format_instant
from ledger.encoding.envelope import GENESIS_HASH, SIGNING_CONTEXT, Envelope, build, decode
from ledger.errors import CanonicalError, MalformedEnvelope
from signing.errors import VerificationError
from tests.support.envelopes import AT, OTHER, SIGNER, doc_of, general, handoff, raw


def sample() -> Envelope:
    return build(
        origin="test.hoso.vn/ledger",
        stream="PTEST-260302-0001",
        version=1,
        type_="FileReceived",
        occurred_at=datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC),
        actor="an",
        key_id=SIGNER.key_id,
        payload={"procedure": "certified_copy", "documents": ["Bản chính", "Tờ khai"], "n": 3},
        prev_hash=GENESIS_HASH,
    ).sign(SIGNER)


def test_bytes_are_rfc8785_and_round_trip() -> None:
    env = sample()
    data = env.to_bytes()
    assert data == rfc8785.dumps(
        decode(data).unsigned.body() | {"sig": data.split(b'"sig":"')[1].split(b'"')[0].decode()}
    )
    again = decode(data)
    assert again == env
    assert again.hash() == hashlib.sha256(data).hexdigest()
    assert b'"occurred_at":"2026-03-02T01:02:03.456789Z"' in data


def test_signature_is_domain_separated() -> None:
    env = sample()
    bare = env.unsigned.signing_message()[len(SIGNING_CONTEXT) :]
    assert env.unsigned.signing_message().startswith(SIGNING_CONTEXT)
    assert OTHER.public_key != SIGNER.public_key
    env.verify(SIGNER.public_key)
    with pytest.raises(VerificationError):
        Envelope(env.unsigned, SIGNER.sign(bare)).verify(SIGNER.public_key)
    with pytest.raises(VerificationError):
        env.verify(OTHER.public_key)


def test_every_byte_of_the_stored_envelope_matters() -> None:
    data = sample().to_bytes()
    for i in range(len(data)):
        changed = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        try:
            env = decode(changed)
        except MalformedEnvelope:
            continue
        with pytest.raises(VerificationError):
            env.verify(SIGNER.public_key)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.replace(b'"v":1', b'"v":2'),
        lambda d: d.replace(b'"v":1', b'"v":true'),  # regression: True == 1 passed as version 1
        lambda d: d.replace(b"{", b"{ ", 1),
        lambda d: d.replace(b'"actor":"an",', b""),
        lambda d: d[:-1] + b',"extra":1}',
        lambda d: d.replace(b'"version":1', b'"version":"1"'),
        lambda d: d.replace(b"456789Z", b"456789+00:00"),
        lambda d: d.replace(b'"prev_hash":"0000', b'"prev_hash":"ZZZZ'),
    ],
)
def test_malformed_envelopes_are_refused(mutate: object) -> None:
    data = sample().to_bytes()
    assert callable(mutate)
    with pytest.raises(MalformedEnvelope):
        decode(mutate(data))


def test_signer_must_match_key_id() -> None:
    env = sample()
    with pytest.raises(MalformedEnvelope):
        env.unsigned.sign(OTHER)


def test_recorded_at_sits_beside_the_signature_but_inside_the_hash() -> None:
    env = sample()
    received = env.received(datetime(2026, 3, 2, 1, 2, 4, tzinfo=UTC))
    data = received.to_bytes()
    assert b'"recorded_at":"2026-03-02T01:02:04.000000Z"' in data
    again = decode(data)
    assert again == received
    again.verify(SIGNER.public_key)  # the actor did not sign the server's receipt time...
    assert again.signed_bytes() == env.to_bytes()
    later = env.received(datetime(2026, 3, 2, 1, 9, tzinfo=UTC))
    assert later.hash() == received.hash() == env.hash()  # the chain is over what was sent...
    assert later.to_bytes() != received.to_bytes()  # ...the leaf bytes hold the receipt time
    with pytest.raises(MalformedEnvelope):
        decode(data.replace(b'"recorded_at":"2026-03-02T01:02:04.000000Z"', b'"recorded_at":7'))


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
    doc = doc_of(handoff())
    doc[field] = value
    with pytest.raises(MalformedEnvelope, match=message):
        decode(raw(doc))


def test_the_first_wrong_field_is_named_in_the_usual_order() -> None:
    doc = doc_of(handoff())
    doc["actor"], doc["stream"] = 1, 2
    with pytest.raises(MalformedEnvelope, match="'stream' must be str"):
        decode(raw(doc))


@pytest.mark.parametrize("keys", [{"extra"}, {"recorded_at", "extra"}, set()])
def test_unknown_or_missing_fields_are_refused(keys: set[str]) -> None:
    doc = doc_of(handoff())
    for key in keys:
        doc[key] = "2026-03-02T01:02:03.456789Z"
    if not keys:
        del doc["actor"]
    with pytest.raises(MalformedEnvelope, match="missing or unknown"):
        decode(raw(doc))


def test_a_non_canonical_signature_text_is_refused() -> None:
    doc = doc_of(handoff())
    sig = doc["sig"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    assert sig.endswith("==")  # 64 bytes: the last character carries 4 zero bits
    other = alphabet[alphabet.index(sig[-3]) ^ 1]
    doc["sig"] = sig[:-3] + other + "=="
    assert base64.b64decode(doc["sig"]) == base64.b64decode(sig)  # same bytes, other text
    with pytest.raises(MalformedEnvelope, match="not base64"):
        decode(raw(doc))


# --- the envelope's bytes spliced from one encoding -------------------------------------------


def test_a_receipt_time_not_from_received_is_encoded_by_the_general_path() -> None:
    env = handoff()
    odd = Envelope(env.unsigned, env.signature, 'not "an" instant')
    assert odd.to_bytes() == general(odd)
    assert orjson.loads(odd.to_bytes())["recorded_at"] == 'not "an" instant'
    with pytest.raises(CanonicalError):
        Envelope(env.unsigned, env.signature, 2**60).to_bytes()  # type: ignore[arg-type]


def test_a_built_envelope_still_refuses_a_value_outside_the_canonical_subset() -> None:
    for bad in (1.5, 2**53, {"\u00e9": 1}):
        with pytest.raises(CanonicalError):
            handoff({"note": bad})  # signing encodes the body


def test_received_reuses_the_text_of_the_decoded_instant_only_for_that_instant() -> None:
    env = decode(handoff().to_bytes())
    same = env.received(env.occurred_at)
    assert same.recorded_at == env.unsigned.occurred_at == format_instant(env.occurred_at)
    other_zone = env.occurred_at.astimezone(timezone(timedelta(hours=7)))
    assert env.received(other_zone).recorded_at == same.recorded_at
    assert env.received(AT + timedelta(microseconds=1)).recorded_at == "2026-03-02T01:02:03.456790Z"
