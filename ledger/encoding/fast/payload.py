"""Fast payload decoding: per event type, converters compiled once from the class's annotations.

Shortcut of ``codec.from_payload``'s field decoding for payloads that came out of
``orjson.loads``. A converter accepts only values that ``codec``'s decoder for the same type
accepts **and** that ``canonical_bytes`` encodes as they are (exact ``str``/``bool``, safe
``int``, instant texts, desks of text, lists of those), and returns what ``codec`` returns; for
anything else it raises ``Declined`` and the caller hands the event to the reference. So a
payload these converters accept needs no separate canonical walk.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import CanMutateAggregate

from domain.events import Desk
from ledger.encoding import codec
from ledger.encoding.canonical import INSTANT_FORM, MAX_SAFE_INTEGER
from ledger.errors import Declined

_is_instant_form = INSTANT_FORM.match
Converter = Callable[[Any], Any]
"""Decodes one payload value as ``codec`` does, or raises ``Declined``."""


def instant(value: Any) -> datetime:
    """``timefmt.parse_instant(value)`` for a ``str``; ``Declined`` where that would refuse."""
    if type(value) is str and _is_instant_form(value):
        try:
            return datetime.fromisoformat(value)  # "...Z" -> UTC, as parse_instant
        except ValueError:
            pass
    raise Declined


def text(value: Any) -> str:
    if type(value) is not str:
        raise Declined
    return value


def safe_integer(value: Any) -> int:
    """An exact ``int`` in the canonical range (``bool`` is not one)."""
    if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise Declined
    return value


def boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Declined
    return value


def desk_fields(value: Any) -> Any:
    """``desk`` without building the ``Desk`` (what a check needs)."""
    if type(value) is not dict or len(value) != 3:
        raise Declined
    try:
        parts = (value["officer"], value["department"], value["agency"])
    except KeyError:
        raise Declined from None
    if type(parts[0]) is not str or type(parts[1]) is not str or type(parts[2]) is not str:
        raise Declined
    return parts


def desk(value: Any) -> Desk:
    return Desk(*desk_fields(value))


_SIMPLE: dict[Any, tuple[Converter, Converter]] = {
    datetime: (instant, instant),
    Desk: (desk, desk_fields),
    str: (text, text),
    int: (safe_integer, safe_integer),
    bool: (boolean, boolean),
}


def converter(hint: Any, *, build: bool = True) -> Converter | None:
    """The converter of a field type (introspected once, here); None for a type it does not
    know (events of that type always go to the reference). ``build=False``: a check that
    accepts exactly the same values but need not return the decoded value (no ``Desk`` built)."""
    if hint in _SIMPLE:
        return _SIMPLE[hint][0 if build else 1]
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = converter(args[0], build=build)
        if item is None:
            return None
        each = item

        def items(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise Declined
            return tuple(each(v) for v in value)

        return items
    return None


@dataclasses.dataclass(frozen=True)
class EventKind:
    """One event type's compiled payload decoding (the fast twin of ``codec._plan``)."""

    cls: Any
    fields: tuple[tuple[str, Converter], ...]
    checks: tuple[tuple[str, Converter], ...]
    names: frozenset[str]
    topic: str | None

    def values(self, payload: Any) -> dict[str, Any]:
        """The event's own fields decoded from ``payload``: those ``codec.from_payload`` passes
        to the class; ``Declined`` unless the payload is one it accepts, canonical as it is."""
        if type(payload) is not dict or payload.keys() != self.names:
            raise Declined
        return {name: convert(payload[name]) for name, convert in self.fields}

    def check(self, payload: Any) -> None:
        """``values(payload)`` without the values: ``Declined`` exactly where it declines."""
        if type(payload) is not dict or payload.keys() != self.names:
            raise Declined
        for name, check in self.checks:
            check(payload[name])

    def event(
        self, values: dict[str, Any], stream: str, version: int, at: datetime, actor: str
    ) -> CanMutateAggregate[str]:
        """``codec.from_payload``'s event, from ``values`` (consumed) and the envelope's fields."""
        values["originator_id"] = stream
        values["originator_version"] = version
        values["timestamp"] = at
        values["actor"] = actor
        if self.topic is not None:
            values["originator_topic"] = self.topic
        event: CanMutateAggregate[str] = self.cls(**values)
        return event


def compile_kinds(types: Mapping[str, Any]) -> dict[str, EventKind]:
    """The ``EventKind`` of every type whose fields all have converters."""
    out: dict[str, EventKind] = {}
    for name, cls in types.items():
        hints = codec._fields(cls)
        fields, checks = _compiled(hints, build=True), _compiled(hints, build=False)
        if fields is not None and checks is not None:
            names = frozenset(n for n, _ in hints)
            out[name] = EventKind(cls, fields, checks, names, codec._CREATED_TOPICS.get(cls))
    return out


def _compiled(
    hints: tuple[tuple[str, Any], ...], *, build: bool
) -> tuple[tuple[str, Converter], ...] | None:
    found = []
    for name, hint in hints:
        convert = converter(hint, build=build)
        if convert is None:
            return None
        found.append((name, convert))
    return tuple(found)


KINDS = compile_kinds(codec.EVENT_TYPES)
"""Every ledger event type's ``EventKind``, by type name."""
