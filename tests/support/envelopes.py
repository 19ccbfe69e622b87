"""Envelopes built and signed for tests: a sample hand-off, its JSON, and a client's signing.

``sign`` is the client's side of intake: collected domain events as envelopes chained to a head
hash, each signed by its actor's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.chain.service import Ledger
from ledger.encoding import codec
from ledger.encoding.envelope import GENESIS_HASH, Envelope, build
from signing import PrivateKeySigner, Signer, generate_private_key

SIGNER = PrivateKeySigner(generate_private_key(bytes([9]) * 32))
AT = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)


def handoff(payload: dict[str, Any] | None = None) -> Envelope:
    """A signed hand-off envelope (version 2 of a test file), with ``payload`` if given."""
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
    """The envelope's stored JSON as a dict."""
    value = orjson.loads(env.to_bytes())
    assert isinstance(value, dict)
    return value


def raw(doc: dict[str, Any]) -> bytes:
    """``doc`` as orjson writes it with sorted keys: canonical unless ``doc`` is out of range."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def sign(ledger: Ledger, code: str, events: Sequence[Any], who: Sequence[tuple[str, Signer]],
         prev: str) -> list[bytes]:  # fmt: skip
    """The client's side: each collected event as an envelope chained to ``prev``, signed."""
    out = []
    for event, (actor, key) in zip(events, who, strict=True):
        type_, payload = codec.to_payload(event)
        env = build(
            origin=ledger.origin,
            stream=code,
            version=event.originator_version,
            type_=type_,
            occurred_at=event.timestamp,
            actor=actor,
            key_id=key.key_id,
            payload=payload,
            prev_hash=prev,
        ).sign(key)
        prev = env.hash()
        out.append(env.to_bytes())
    return out
