"""Decoding stored envelopes for the projections: the read path's hot loop.

A rebuild decodes every stored event once. ``decode_event`` is the shortcut of ``reference``
(``envelope.decode`` then ``codec.from_payload``): ``fast.envelope.decode_fields`` takes what it
is sure of, and anything it declines goes to the reference, which gives the precise error (or,
if the fast path was merely too strict, the same event). So a malformed envelope still stops a
projection loudly, and a well-formed one decodes to an equal ``LedgerEvent`` either way.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from eventsourcing.domain import CanMutateAggregate

from ledger.encoding import codec
from ledger.encoding.envelope import Envelope, decode
from ledger.encoding.fast.envelope import decode_fields
from ledger.errors import Declined


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


def reference(data: bytes) -> LedgerEvent:
    """The ledger's own decoder and codec (slow, precise errors)."""
    env = decode(data)
    event = codec.event_of(env)
    return LedgerEvent(env.stream, env.version, env.type, env.actor, env.payload, event, data)


def decode_event(data: bytes) -> LedgerEvent:
    """Shortcut of ``reference(data)``, equal to it: the projection's view of stored bytes;
    ``MalformedEnvelope`` if they are not exactly one canonical envelope of a known event type."""
    try:
        doc, at, kind, values = decode_fields(data)
    except Declined:
        return reference(data)
    stream, version, actor = doc["stream"], doc["version"], doc["actor"]
    event = kind.event(values, stream, version, at, actor)
    return LedgerEvent(stream, version, doc["type"], actor, doc["payload"], event, data)
