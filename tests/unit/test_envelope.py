"""The envelope: one canonical encoding, a domain-separated signature, strict decoding."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import rfc8785

from ledger.envelope import GENESIS_HASH, SIGNING_CONTEXT, Envelope, build, decode
from ledger.errors import MalformedEnvelope
from signing import PrivateKeySigner, generate_private_key
from signing.errors import VerificationError

SIGNER = PrivateKeySigner(generate_private_key(bytes([9]) * 32))
OTHER = PrivateKeySigner(generate_private_key(bytes([10]) * 32))


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
