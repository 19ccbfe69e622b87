"""Domain events <-> (stable type name, JSON payload), with no floats and one form per value.

The type name is the event class's name (``FileReceived``...): stable, never a Python path.
Payload fields are the event's own dataclass fields; the envelope carries the common ones
(stream, version, time, actor). Instants are encoded as in ``ledger.encoding.canonical``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic

from domain.events import FILE_EVENT_TYPES, Desk, FileNotAccepted, FileReceived
from domain.file import AdministrativeFile
from ledger.encoding.canonical import format_instant, parse_instant
from ledger.errors import MalformedEnvelope
from signing.registry import REGISTRY_EVENT_TYPES, KeyRegistry, RegistryEstablished

ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "originator_topic"}
)
EVENT_TYPES: Mapping[str, type[CanMutateAggregate[str]]] = {
    cls.__name__: cls for cls in (*FILE_EVENT_TYPES, *REGISTRY_EVENT_TYPES)
}
_CREATED_TOPICS: Mapping[type, str] = {
    FileReceived: get_topic(AdministrativeFile),
    FileNotAccepted: get_topic(AdministrativeFile),
    RegistryEstablished: get_topic(KeyRegistry),
}


_FIELDS_CACHE: dict[str, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: Any) -> tuple[tuple[str, Any], ...]:
    """The payload fields of an event class with their resolved types (cached by class name)."""
    found = _FIELDS_CACHE.get(cls.__name__)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = tuple(
            (f.name, hints[f.name])
            for f in dataclasses.fields(cls)
            if f.name not in ENVELOPE_FIELDS
        )
        _FIELDS_CACHE[cls.__name__] = found
    return found


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, tuple | list):
        return [_encode_value(v) for v in value]
    if isinstance(value, Desk):
        return {"officer": value.officer, "department": value.department, "agency": value.agency}
    if isinstance(value, str | int | bool) or value is None:
        return value
    raise MalformedEnvelope(f"cannot encode {type(value).__name__} in a payload")


def _decode_value(hint: Any, value: Any, where: str) -> Any:
    """The general decoder of one payload value (``_decoder`` compiles the same rules)."""
    return _decoder(hint)(value, where)


Decoder = Callable[[Any, str], Any]
"""Decodes one payload value (``where`` names it in an error)."""


def _decode_instant(value: Any, where: str) -> Any:
    if not isinstance(value, str):
        raise MalformedEnvelope(f"{where}: expected an instant")
    return parse_instant(value)


def _decode_desk(value: Any, where: str) -> Any:
    if not isinstance(value, dict) or value.keys() != _DESK_KEYS:
        raise MalformedEnvelope(f"{where}: expected a desk")
    parts = [value["officer"], value["department"], value["agency"]]
    if not all(isinstance(p, str) for p in parts):
        raise MalformedEnvelope(f"{where}: desk fields must be text")
    return Desk(*parts)


_DESK_KEYS = frozenset({"officer", "department", "agency"})


def _decoder(hint: Any) -> Decoder:
    """The decoder of a field type, its type introspection done once here, not per value."""
    if hint is datetime:
        return _decode_instant
    if hint is Desk:
        return _decode_desk
    if typing.get_origin(hint) is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        item = _decoder(item_hint)

        def decode_tuple(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise MalformedEnvelope(f"{where}: expected a list")
            return tuple(item(v, where) for v in value)

        return decode_tuple
    if hint in (str, int, bool):
        kind: type = hint
        message = f"expected {kind.__name__}"

        def decode_scalar(value: Any, where: str) -> Any:
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise MalformedEnvelope(f"{where}: {message}")
            return value

        return decode_scalar

    def unsupported(value: Any, where: str) -> Any:
        raise MalformedEnvelope(f"{where}: unsupported field type {hint!r}")

    return unsupported


@dataclass(frozen=True)
class _FromPayloadPlan:
    """How ``from_payload`` decodes one event class's payload: per field its name, its name in
    errors, the exact scalar type a plain value has (``str``, ``int``, ``bool``) or None, and its
    decoder. Shortcut of ``_decode_value(hint, value, where)`` per field (the reference): a
    value of exactly that scalar type is taken as it is, which is what its decoder returns."""

    fields: tuple[tuple[str, str, type | None, Decoder], ...]
    names: frozenset[str]
    topic: str | None


_PLANS: dict[type, _FromPayloadPlan] = {}


def _plan(cls: Any) -> _FromPayloadPlan:
    found = _PLANS.get(cls)
    if found is None:
        fields = tuple(
            (name, f"{cls.__name__}.{name}", hint if hint in (str, int, bool) else None,
             _decoder(hint))
            for name, hint in _fields(cls)
        )  # fmt: skip
        names = frozenset(name for name, *_ in fields)
        found = _PLANS[cls] = _FromPayloadPlan(fields, names, _CREATED_TOPICS.get(cls))
    return found


def to_payload(event: CanMutateAggregate[str]) -> tuple[str, dict[str, Any]]:
    cls: Any = type(event)
    name = cls.__name__
    if EVENT_TYPES.get(name) is not cls:
        raise MalformedEnvelope(f"event class {name} is not a registered ledger event")
    return name, {fname: _encode_value(getattr(event, fname)) for fname, _ in _fields(cls)}


def payload_equals(event: CanMutateAggregate[str], payload: Mapping[str, Any]) -> bool:
    """``to_payload(event)[1] == payload`` (same errors), without building the encoded payload:
    plain ``str``/``int``/``bool``/``None`` values are what they encode to; other values are
    encoded one by one. Every field is encoded, even after a difference, as ``to_payload`` does."""
    cls: Any = type(event)
    name = cls.__name__
    if EVENT_TYPES.get(name) is not cls:
        raise MalformedEnvelope(f"event class {name} is not a registered ledger event")
    fields = _fields(cls)
    same = len(fields) == len(payload)
    for fname, _ in fields:
        value = getattr(event, fname)
        t = type(value)
        if not (t is str or t is int or t is bool or value is None):
            value = _encode_value(value)
        # The comparison dict == makes, this way round.
        same = same and fname in payload and bool(value == payload[fname])
    return same


def from_payload(
    type_name: str,
    payload: Mapping[str, Any],
    *,
    stream: str,
    version: int,
    occurred_at: datetime,
    actor: str,
) -> CanMutateAggregate[str]:
    cls: Any = EVENT_TYPES.get(type_name)
    if cls is None:
        raise MalformedEnvelope(f"unknown event type {type_name!r}")
    plan = _plan(cls)
    if payload.keys() != plan.names:
        raise MalformedEnvelope(
            f"{type_name} payload fields {sorted(payload)} are not the expected "
            f"{sorted(plan.names)}"
        )
    kwargs: dict[str, Any] = {}
    for name, where, exact, decode in plan.fields:
        value = payload[name]
        # type(True) is bool, not int: an exact match is what the decoder would accept as is.
        kwargs[name] = value if type(value) is exact else decode(value, where)
    kwargs.update(
        originator_id=stream, originator_version=version, timestamp=occurred_at, actor=actor
    )
    if plan.topic is not None:
        kwargs["originator_topic"] = plan.topic
    event: CanMutateAggregate[str] = cls(**kwargs)
    return event


class Enveloped(typing.Protocol):
    """What ``event_of`` reads of an envelope (``ledger.encoding.envelope.Envelope`` is one)."""

    @property
    def type(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def stream(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...


def event_of(env: Enveloped) -> CanMutateAggregate[str]:
    """The domain event an envelope carries (``from_payload`` with the envelope's own fields)."""
    return from_payload(
        env.type,
        env.payload,
        stream=env.stream,
        version=env.version,
        occurred_at=env.occurred_at,
        actor=env.actor,
    )
