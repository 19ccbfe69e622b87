"""Decoding stored envelopes for the projections: one ``orjson.loads``, checks compiled per type.

A rebuild decodes every stored event once, so this is the read path's hot loop. The fast path
parses the bytes once, requires them to be exactly their sorted-key ``orjson`` re-encoding (no
whitespace, no duplicate or unsorted keys, no needless escapes), then checks each field with a
converter chosen once per event type from the event class's annotations: the same types
``ledger.codec.from_payload`` accepts, plus the canonical safe-integer range. It accepts only
what ``ledger.envelope.decode`` + ``codec.from_payload`` accept; anything it does not accept goes
to that reference path, which gives the precise error (or, if the fast path was merely too
strict, the same event). So a malformed envelope still stops a projection loudly, and a
well-formed one decodes to an equal ``LedgerEvent`` either way (``test_projection_rebuild``
compares the two over whole histories).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from eventsourcing.domain import CanMutateAggregate

from domain.events import Desk
from ledger.encoding import codec
from ledger.encoding.envelope import FORMAT_VERSION, Envelope, decode
from signing import unb64
from signing.errors import VerificationError

MAX_SAFE = 2**53 - 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
# The one base64 text of a 64-byte Ed25519 signature (the last digit's 4 spare bits are zero);
# any other length is left to ``unb64``.
_SIG64 = re.compile(r"[A-Za-z0-9+/]{85}[AQgw]==")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_KEYS = frozenset(
    {
        "origin",
        "stream",
        "type",
        "actor",
        "key_id",
        "v",
        "version",
        "occurred_at",
        "payload",
        "prev_hash",
        "sig",
    }
)
_KEYS_RECORDED = _KEYS | {"recorded_at"}
_FROM_ENVELOPE = frozenset(codec.ENVELOPE_FIELDS)
Converter = Callable[[Any], Any]


class LedgerEvent(NamedTuple):
    """What a projection reads of a stored event: the envelope's fields and the domain event
    (the signature and chain hash are the audit's: ``envelope`` decodes them when asked)."""

    stream: str
    version: int
    type: str
    actor: str
    payload: dict[str, Any]
    event: CanMutateAggregate[str]
    data: bytes

    @property
    def envelope(self) -> Envelope:
        return decode(self.data)


class _Refused(Exception):
    """Internal: the fast path declines; the reference path decides."""


def _instant(value: Any) -> datetime:
    if type(value) is not str or not _INSTANT.fullmatch(value):
        raise _Refused
    try:
        return datetime.fromisoformat(value)  # "...Z" -> UTC, as ledger.timefmt.parse_instant
    except ValueError:
        raise _Refused from None


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _Refused
    return value


def _integer(value: Any) -> int:
    if type(value) is not int or not -MAX_SAFE <= value <= MAX_SAFE:
        raise _Refused
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise _Refused
    return value


def _desk(value: Any) -> Desk:
    if type(value) is not dict or len(value) != 3:
        raise _Refused
    try:
        parts = (value["officer"], value["department"], value["agency"])
    except KeyError:
        raise _Refused from None
    if type(parts[0]) is not str or type(parts[1]) is not str or type(parts[2]) is not str:
        raise _Refused
    return Desk(*parts)


def _converter(hint: Any) -> Converter:
    simple: dict[Any, Converter] = {
        datetime: _instant,
        Desk: _desk,
        str: _text,
        int: _integer,
        bool: _boolean,
    }
    if hint in simple:
        return simple[hint]
    if typing.get_origin(hint) is tuple:
        item_hint, *rest = typing.get_args(hint)
        if rest != [Ellipsis]:
            raise LookupError(hint)
        item = _converter(item_hint)

        def items(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _Refused
            return tuple(item(v) for v in value)

        return items
    raise LookupError(hint)


@dataclasses.dataclass(frozen=True)
class _EventType:
    cls: Any
    fields: tuple[tuple[str, Converter], ...]
    names: frozenset[str]
    topic: str | None

    def event(
        self, payload: Any, stream: str, version: int, at: datetime, actor: str
    ) -> CanMutateAggregate[str]:
        if type(payload) is not dict or payload.keys() != self.names:
            raise _Refused
        kwargs = {name: convert(payload[name]) for name, convert in self.fields}
        kwargs["originator_id"] = stream
        kwargs["originator_version"] = version
        kwargs["timestamp"] = at
        kwargs["actor"] = actor
        if self.topic is not None:
            kwargs["originator_topic"] = self.topic
        event: CanMutateAggregate[str] = self.cls(**kwargs)
        return event


def _compile(types: Mapping[str, Any]) -> dict[str, _EventType]:
    out: dict[str, _EventType] = {}
    for name, cls in types.items():
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.name not in _FROM_ENVELOPE]
        try:
            fields = tuple((n, _converter(hints[n])) for n in names)
        except LookupError:
            continue  # a type this path does not know: the reference path decodes it
        topic = codec._CREATED_TOPICS.get(cls)
        out[name] = _EventType(cls, fields, frozenset(names), topic)
    return out


_TYPES = _compile(codec.EVENT_TYPES)


def _fast(data: bytes) -> LedgerEvent:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise _Refused from None
    if type(doc) is not dict or orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) != data:
        raise _Refused
    recorded_at = doc.get("recorded_at")
    if doc.keys() != (_KEYS if recorded_at is None else _KEYS_RECORDED):
        raise _Refused
    if type(doc["v"]) is not int or doc["v"] != FORMAT_VERSION:
        raise _Refused
    if recorded_at is not None:
        _instant(recorded_at)
    stream, type_, actor = doc["stream"], doc["type"], doc["actor"]
    if type(stream) is not str or type(type_) is not str or type(actor) is not str:
        raise _Refused
    if type(doc["origin"]) is not str or type(doc["key_id"]) is not str:
        raise _Refused
    version = _integer(doc["version"])
    at = _instant(doc["occurred_at"])
    prev_hash = doc["prev_hash"]
    if type(prev_hash) is not str or not _HEX64.fullmatch(prev_hash):
        raise _Refused
    sig = doc["sig"]
    if type(sig) is not str or not _SIG64.fullmatch(sig):
        try:
            unb64(sig)  # refuses anything but the one base64 text of some bytes
        except VerificationError:
            raise _Refused from None
    kind = _TYPES.get(type_)
    if kind is None:
        raise _Refused
    payload = doc["payload"]
    return LedgerEvent(
        stream,
        version,
        type_,
        actor,
        payload,
        kind.event(payload, stream, version, at, actor),
        data,
    )


def reference(data: bytes) -> LedgerEvent:
    """The ledger's own decoder and codec (slow, precise errors)."""
    env = decode(data)
    event = codec.from_payload(
        env.type,
        env.payload,
        stream=env.stream,
        version=env.version,
        occurred_at=env.occurred_at,
        actor=env.actor,
    )
    return LedgerEvent(env.stream, env.version, env.type, env.actor, env.payload, event, data)


def decode_event(data: bytes) -> LedgerEvent:
    """The projection's view of stored bytes; ``MalformedEnvelope`` if they are not exactly one
    canonical envelope of a known event type."""
    try:
        return _fast(data)
    except _Refused:
        return reference(data)
