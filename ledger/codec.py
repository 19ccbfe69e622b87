"""Domain events <-> (stable type name, JSON payload), with no floats and one form per value.

The type name is the event class's name (``FileReceived``...): stable, never a Python path.
Payload fields are the event's own dataclass fields; the envelope carries the common ones
(stream, version, time, actor). Instants are encoded as in ``ledger.timefmt``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic

from domain.events import FILE_EVENT_TYPES, Desk, FileReceived
from domain.file import AdministrativeFile
from ledger.errors import MalformedEnvelope
from ledger.timefmt import format_instant, parse_instant
from signing.registry import REGISTRY_EVENT_TYPES, KeyRegistry, RegistryEstablished

ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "originator_topic"}
)
EVENT_TYPES: Mapping[str, type[CanMutateAggregate[str]]] = {
    cls.__name__: cls for cls in (*FILE_EVENT_TYPES, *REGISTRY_EVENT_TYPES)
}
_CREATED_TOPICS: Mapping[type, str] = {
    FileReceived: get_topic(AdministrativeFile),
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
    if hint is datetime:
        if not isinstance(value, str):
            raise MalformedEnvelope(f"{where}: expected an instant")
        return parse_instant(value)
    if hint is Desk:
        if not isinstance(value, dict) or set(value) != {"officer", "department", "agency"}:
            raise MalformedEnvelope(f"{where}: expected a desk")
        parts = [value["officer"], value["department"], value["agency"]]
        if not all(isinstance(p, str) for p in parts):
            raise MalformedEnvelope(f"{where}: desk fields must be text")
        return Desk(*parts)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise MalformedEnvelope(f"{where}: expected a list")
        (item_hint, _ellipsis) = typing.get_args(hint)
        return tuple(_decode_value(item_hint, v, where) for v in value)
    if hint in (str, int, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise MalformedEnvelope(f"{where}: expected {hint.__name__}")
        return value
    raise MalformedEnvelope(f"{where}: unsupported field type {hint!r}")


def to_payload(event: CanMutateAggregate[str]) -> tuple[str, dict[str, Any]]:
    cls: Any = type(event)
    name = cls.__name__
    if EVENT_TYPES.get(name) is not cls:
        raise MalformedEnvelope(f"event class {name} is not a registered ledger event")
    return name, {fname: _encode_value(getattr(event, fname)) for fname, _ in _fields(cls)}


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
    fields = _fields(cls)
    names = {name for name, _ in fields}
    if set(payload) != names:
        raise MalformedEnvelope(
            f"{type_name} payload fields {sorted(payload)} are not the expected {sorted(names)}"
        )
    kwargs: dict[str, Any] = {
        name: _decode_value(hint, payload[name], f"{type_name}.{name}") for name, hint in fields
    }
    kwargs.update(
        originator_id=stream, originator_version=version, timestamp=occurred_at, actor=actor
    )
    if cls in _CREATED_TOPICS:
        kwargs["originator_topic"] = _CREATED_TOPICS[cls]
    event: CanMutateAggregate[str] = cls(**kwargs)
    return event
