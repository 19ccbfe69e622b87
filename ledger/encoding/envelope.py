"""The signed event envelope and its one canonical encoding.

An envelope is the RFC 8785 canonical JSON of::

    {"v": 1, "origin": ..., "stream": <file code>, "version": n, "type": "FileReceived",
     "occurred_at": "2026-11-23T07:51:48.123456Z", "actor": ..., "key_id": ...,
     "payload": {...}, "prev_hash": <hex SHA-256 of the stream's previous envelope>,
     "sig": <base64 Ed25519 signature>, "recorded_at": <the server's receipt time>}

The signature covers ``SIGNING_CONTEXT || canonical(envelope without "sig" and "recorded_at")``.
``recorded_at`` is the server's own receipt time, written beside what the actor signed (an actor
cannot sign the moment the server will receive it). The chain hash (``prev_hash`` of the next
event) is SHA-256 of what the actor sent: the envelope with its signature, without the receipt
time, so a client can chain several envelopes before sending them. The stored bytes are exactly
``to_bytes()``, receipt time included, and they are the Merkle leaf: once logged, neither the
signature nor the receipt time can change unseen, so no one can back-date an action.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from ledger.encoding.canonical import (
    canonical_bytes,
    format_instant,
    parse_canonical,
    parse_instant,
)
from ledger.errors import CanonicalError, MalformedEnvelope
from signing import Signer, b64, unb64
from signing.errors import VerificationError
from signing.keys import verify_signature

FORMAT_VERSION = 1
SIGNING_CONTEXT = b"hoso/envelope/v1\x00"
GENESIS_HASH = "0" * 64
ENVELOPE_KEYS = frozenset(
    {
        "v",
        "origin",
        "stream",
        "version",
        "type",
        "occurred_at",
        "actor",
        "key_id",
        "payload",
        "prev_hash",
        "sig",
    }
)
_HEX = "0123456789abcdef"
# The members spliced into the body's canonical bytes (their values need no JSON escapes: base64
# and instant texts); each is preceded by the body's members up to "prev_hash".
_RECORDED = b',"recorded_at":"'
_SIG = b',"sig":"'


@dataclass(frozen=True)
class UnsignedEnvelope:
    origin: str
    stream: str
    version: int
    type: str
    occurred_at: str
    actor: str
    key_id: str
    payload: dict[str, Any]
    prev_hash: str

    @cached_property
    def at(self) -> datetime:
        """``occurred_at`` as an instant, parsed once (``decode`` fills it in as it checks it)."""
        return parse_instant(self.occurred_at)

    def body(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "origin": self.origin,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "key_id": self.key_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def body_bytes(self) -> bytes:
        """``canonical_bytes(self.body())``, encoded once (``decode`` cuts it from the stored
        bytes). An envelope is a value: its payload must not change once it is built."""
        return self._encoded()[0]

    def _encoded(self) -> tuple[bytes, int]:
        """The body's canonical bytes and the offset of the ``,"stream":`` member in them: where
        ``"recorded_at"`` and ``"sig"`` go (key order: ``prev_hash`` < them < ``stream``)."""
        found: tuple[bytes, int] | None = self.__dict__.get("_body_cut")
        if found is None:
            stored = self.__dict__.get("_stored")
            found = _body_from_stored(self, *stored) if stored is not None else None
            if found is None:
                body = canonical_bytes(self.body())
                tail = self._tail()
                cut = len(body) - len(tail)
                # Always so for orjson's sorted output; if not, no splicing (cut -1).
                found = (body, cut if body[cut:] == b"," + tail[1:] else -1)
            self.__dict__["_body_cut"] = found
        return found

    def _tail(self) -> bytes:
        """``{"stream":..,"type":..,"v":..,"version":..}``: the members after ``"sig"``."""
        tail = {"stream": self.stream, "type": self.type, "v": FORMAT_VERSION}
        tail["version"] = self.version
        return orjson.dumps(tail, option=orjson.OPT_SORT_KEYS)

    def signing_message(self) -> bytes:
        return SIGNING_CONTEXT + self.body_bytes()

    def sign(self, signer: Signer) -> Envelope:
        if signer.key_id != self.key_id:
            raise MalformedEnvelope(
                f"signer key {signer.key_id} is not the envelope's {self.key_id}"
            )
        return Envelope(unsigned=self, signature=signer.sign(self.signing_message()))


@dataclass(frozen=True)
class Envelope:
    unsigned: UnsignedEnvelope
    signature: bytes
    recorded_at: str | None = None

    def received(self, at: datetime) -> Envelope:
        """This envelope with the server's receipt time."""
        unsigned = self.unsigned
        # The text of an instant that decode parsed is that instant's one text.
        same = at is unsigned.__dict__.get("at")
        received = Envelope(
            unsigned, self.signature, unsigned.occurred_at if same else format_instant(at)
        )
        received.__dict__["_plain_receipt"] = True  # an instant's text: no JSON escape needed
        if "sig_b64" in self.__dict__:
            received.__dict__["sig_b64"] = self.__dict__["sig_b64"]
        return received

    # Convenience accessors.
    @property
    def stream(self) -> str:
        return self.unsigned.stream

    @property
    def version(self) -> int:
        return self.unsigned.version

    @property
    def type(self) -> str:
        return self.unsigned.type

    @property
    def actor(self) -> str:
        return self.unsigned.actor

    @property
    def key_id(self) -> str:
        return self.unsigned.key_id

    @property
    def payload(self) -> dict[str, Any]:
        return self.unsigned.payload

    @property
    def prev_hash(self) -> str:
        return self.unsigned.prev_hash

    @property
    def occurred_at(self) -> datetime:
        return self.unsigned.at

    @cached_property
    def sig_b64(self) -> str:
        """The signature as the envelope writes it (base64), encoded once."""
        return b64(self.signature)

    def to_bytes(self) -> bytes:
        recorded_at = self.recorded_at
        if recorded_at is None:
            return self.signed_bytes()
        if not self.__dict__.get("_plain_receipt"):  # set by received() and decode()
            doc = {**self.unsigned.body(), "sig": self.sig_b64, "recorded_at": recorded_at}
            return canonical_bytes(doc)
        body, cut = self.unsigned._encoded()
        if cut < 0:
            doc = {**self.unsigned.body(), "sig": self.sig_b64, "recorded_at": recorded_at}
            return canonical_bytes(doc)
        return b"".join(
            (body[:cut], _RECORDED, recorded_at.encode(), b'"', _SIG, self.sig_b64.encode(),
             b'"', body[cut:])
        )  # fmt: skip

    def signed_bytes(self) -> bytes:
        """What the actor signed and sent, without the server's receipt time."""
        body, cut = self.unsigned._encoded()
        if cut < 0:
            return canonical_bytes({**self.unsigned.body(), "sig": self.sig_b64})
        return b"".join((body[:cut], _SIG, self.sig_b64.encode(), b'"', body[cut:]))

    def hash(self) -> str:
        """The chain hash: SHA-256 of what the actor signed and sent (signature included, the
        server's receipt time not), so a client can chain several envelopes before sending."""
        return hashlib.sha256(self.signed_bytes()).hexdigest()

    def verify(self, public_key: bytes) -> None:
        """Raise ``VerificationError`` unless the actor's key signed exactly these fields."""
        verify_signature(public_key, self.unsigned.signing_message(), self.signature)


def build(
    *,
    origin: str,
    stream: str,
    version: int,
    type_: str,
    occurred_at: datetime,
    actor: str,
    key_id: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> UnsignedEnvelope:
    return UnsignedEnvelope(
        origin=origin,
        stream=stream,
        version=version,
        type=type_,
        occurred_at=format_instant(occurred_at),
        actor=actor,
        key_id=key_id,
        payload=payload,
        prev_hash=prev_hash,
    )


def _field(doc: dict[str, Any], name: str, kind: type) -> Any:
    value = doc[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedEnvelope(f"envelope field {name!r} must be {kind.__name__}")
    return value


def decode(data: bytes) -> Envelope:
    """Parse stored bytes; refuse anything that is not exactly one canonical envelope."""
    try:
        doc = parse_canonical(data)
    except CanonicalError as e:
        raise MalformedEnvelope(f"not a canonical envelope: {e}") from e
    if not isinstance(doc, dict):
        raise MalformedEnvelope("envelope fields are missing or unknown")
    size = len(doc)  # exactly ENVELOPE_KEYS, with or without "recorded_at"
    if not (size == 11 or (size == 12 and "recorded_at" in doc)) or not doc.keys() >= ENVELOPE_KEYS:
        raise MalformedEnvelope("envelope fields are missing or unknown")
    recorded_at = doc.get("recorded_at")
    if recorded_at is not None:
        if not isinstance(recorded_at, str):
            raise MalformedEnvelope("envelope field 'recorded_at' must be str")
        parse_instant(recorded_at)
    if type(doc["v"]) is not int or doc["v"] != FORMAT_VERSION:  # True == 1: not a version
        raise MalformedEnvelope(f"unknown envelope format version {doc['v']!r}")
    prev_hash = _field(doc, "prev_hash", str)
    if len(prev_hash) != 64 or prev_hash.strip(_HEX):  # strip leaves "" iff every char is hex
        raise MalformedEnvelope("prev_hash must be 64 lower-case hex digits")
    sig = _field(doc, "sig", str)
    try:
        signature = unb64(sig)
    except VerificationError as e:
        raise MalformedEnvelope(f"signature is not base64: {e}") from e
    occurred_at = _field(doc, "occurred_at", str)
    at = parse_instant(occurred_at)
    origin, stream, version = doc["origin"], doc["stream"], doc["version"]
    type_, actor, key_id, payload = doc["type"], doc["actor"], doc["key_id"], doc["payload"]
    if not (
        type(origin) is str
        and type(stream) is str
        and type(version) is int
        and type(type_) is str
        and type(actor) is str
        and type(key_id) is str
        and type(payload) is dict
    ):  # the first wrong one, named in the same order as always
        for name, kind in _TYPED:
            _field(doc, name, kind)
    unsigned = UnsignedEnvelope(
        origin=origin,
        stream=stream,
        version=version,
        type=type_,
        occurred_at=occurred_at,
        actor=actor,
        key_id=key_id,
        payload=payload,
        prev_hash=prev_hash,
    )
    unsigned.__dict__["at"] = at  # the cached_property, already parsed
    unsigned.__dict__["_stored"] = (data, sig, recorded_at)  # its body bytes, cut when asked
    env = Envelope(unsigned=unsigned, signature=signature, recorded_at=recorded_at)
    env.__dict__["sig_b64"] = sig  # unb64 is strict: b64(signature) == sig
    env.__dict__["_plain_receipt"] = True  # an instant's text (checked above) or None
    return env


def _body_from_stored(
    unsigned: UnsignedEnvelope, data: bytes, sig: str, recorded_at: str | None
) -> tuple[bytes, int] | None:
    """Shortcut of ``canonical_bytes(unsigned.body())`` (the reference) and the offset where
    ``"recorded_at"`` and ``"sig"`` go, for an envelope ``decode`` read from ``data``: the body's
    bytes cut out of the canonical stored bytes ``{..prev_hash} [,"recorded_at":R] ,"sig":S
    ,"stream"..}`` without those two members (each piece checked where it must be; None, and
    the reference encoding, if one is not)."""
    tail = unsigned._tail()
    end = len(data) - len(tail)
    if data[end:] != b"," + tail[1:]:
        return None
    signature = _SIG + sig.encode() + b'"'
    start = end - len(signature)
    if data[start:end] != signature:
        return None
    if recorded_at is not None:
        receipt = _RECORDED + recorded_at.encode() + b'"'
        if data[start - len(receipt) : start] != receipt:
            return None
        start -= len(receipt)
    if data[start - 1 : start] != b'"':  # prev_hash's end, not a "recorded_at": null
        return None
    return data[:start] + data[end:], start


_TYPED: tuple[tuple[str, type], ...] = (
    ("origin", str),
    ("stream", str),
    ("version", int),
    ("type", str),
    ("actor", str),
    ("key_id", str),
    ("payload", dict),
)
