"""Fast envelope decoding: one ``orjson.loads``, every check of ``envelope.decode`` done on the
parsed document, and the signed parts re-encoded from it; and a decoded envelope taken as the
stored row it becomes, without encoding and decoding it again.

The stored bytes must be exactly their sorted-key ``orjson`` re-encoding (no whitespace, no
duplicate or unsorted keys, no needless escapes); every field, payload values included, is then
of a type and range whose ``orjson`` encoding is its canonical encoding, so that re-encoding is
``canonical_bytes``. Anything else is ``Declined``: the caller's reference path decides.
"""

from __future__ import annotations

import hashlib
import re
from binascii import a2b_base64
from datetime import datetime
from typing import Any

import orjson

from ledger.encoding.canonical import MAX_SAFE_INTEGER
from ledger.encoding.envelope import (
    ENVELOPE_KEYS,
    FORMAT_VERSION,
    SIGNING_CONTEXT,
    Envelope,
    decode,
)
from ledger.encoding.fast.payload import KINDS, EventKind, instant
from ledger.errors import Declined

_KEYS_RECORDED = ENVELOPE_KEYS | {"recorded_at"}
_is_hex64 = re.compile(r"[0-9a-f]{64}").fullmatch
# The one base64 text of a 64-byte Ed25519 signature (the last digit's 4 spare bits are zero);
# any other signature is declined (``unb64`` and the reference decide).
_is_signature_text = re.compile(r"[A-Za-z0-9+/]{85}[AQgw]==").fullmatch
_SORT = orjson.OPT_SORT_KEYS


Fields = tuple[dict[str, Any], datetime, EventKind, dict[str, Any]]
"""What ``decode_fields`` gives: the parsed envelope (``doc["payload"]`` its payload), its
``occurred_at`` parsed, the event type's compiled decoding, and the payload decoded (what
``kind.event`` makes the domain event of). A plain tuple: this is the hot loop."""


def decode_fields(data: bytes) -> Fields:
    """Shortcut of ``env = envelope.decode(data)`` then ``codec.from_payload(env.type, ...)``:
    raises ``Declined`` unless both accept ``data``; then ``doc``'s fields are ``env``'s and
    ``kind.event(values, ...)`` is the reference's event (only 64-byte signatures, and only
    event types whose every field has a converter, are taken)."""
    doc, at, kind = _envelope(data)
    return doc, at, kind, kind.values(doc["payload"])


def check_fields(data: bytes) -> tuple[dict[str, Any], datetime, EventKind]:
    """``decode_fields(data)`` without decoding the payload's values (a check that declines
    exactly where it declines; for callers that need no domain event)."""
    doc, at, kind = _envelope(data)
    kind.check(doc["payload"])
    return doc, at, kind


def _envelope(data: bytes) -> tuple[dict[str, Any], datetime, EventKind]:
    """Every check of ``decode_fields`` but the payload's values (the callers' next step)."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Declined from None
    if type(doc) is not dict:
        raise Declined
    recorded_at = doc.get("recorded_at")
    if doc.keys() != (ENVELOPE_KEYS if recorded_at is None else _KEYS_RECORDED):
        raise Declined  # a "recorded_at": null is the reference's too
    if recorded_at is not None:
        instant(recorded_at)
    v = doc["v"]
    if type(v) is not int or v != FORMAT_VERSION:  # True == 1: not a version
        raise Declined
    if type(doc["origin"]) is not str or type(doc["stream"]) is not str:
        raise Declined
    if type(doc["actor"]) is not str or type(doc["key_id"]) is not str:
        raise Declined
    version = doc["version"]
    if type(version) is not int or not -MAX_SAFE_INTEGER <= version <= MAX_SAFE_INTEGER:
        raise Declined
    prev_hash, sig = doc["prev_hash"], doc["sig"]
    if type(prev_hash) is not str or not _is_hex64(prev_hash):
        raise Declined
    if type(sig) is not str or not _is_signature_text(sig):
        raise Declined
    at = instant(doc["occurred_at"])
    type_ = doc["type"]
    kind = KINDS.get(type_) if type(type_) is str else None
    if kind is None:
        raise Declined
    try:
        if orjson.dumps(doc, option=_SORT) != data:
            raise Declined
    except orjson.JSONEncodeError:
        raise Declined from None
    return doc, at, kind


def signed_parts(doc: dict[str, Any]) -> tuple[str, bytes, bytes]:
    """Shortcut of ``(env.hash(), env.unsigned.signing_message(), env.signature)`` for
    ``env = decode(data)`` and ``doc = decode_fields(data).doc``, re-encoded from ``doc``
    (every value in it is one ``canonical_bytes`` writes as ``orjson`` does). Consumes ``doc``:
    its ``"recorded_at"`` and ``"sig"`` are removed."""
    signature = a2b_base64(doc["sig"])  # its one canonical text, checked by decode_fields
    doc.pop("recorded_at", None)
    chain_hash = hashlib.sha256(orjson.dumps(doc, option=_SORT)).hexdigest()
    del doc["sig"]
    return chain_hash, SIGNING_CONTEXT + orjson.dumps(doc, option=_SORT), signature


def as_stored(env: Envelope) -> tuple[Envelope, bytes]:
    """Shortcut of ``data = env.to_bytes(); return decode(data), data`` (the stored row an
    envelope becomes, read back) for an envelope from ``decode`` given its receipt time by
    ``received``: ``decode`` checked every field, ``received`` wrote an instant's one text, so
    reading the row back gives ``env`` itself. Any other envelope takes the reference path."""
    data = env.to_bytes()
    if "_stored" in env.unsigned.__dict__ and env.__dict__.get("_plain_receipt"):
        return env, data
    return decode(data), data
