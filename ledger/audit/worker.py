"""The parallel full audit's workers: every stateless check of an event, next to its signature.

A worker process reopens the store itself (``store_url``), reads a range of log positions and,
for each file event, does everything that does not depend on the events before it: the envelope's
canonical form and fields, the row columns, the origin, the payload's codec, the file code, the
signing message, the chain hash and the Ed25519 signature. It sends back a compact ``Fact``; the
parent keeps only what depends on log order (each stream's head, the key registry, the role).

The worker's checks are a fast path, never a judge: a ``Fact`` means "the reference checks of
``ChainVerifier`` pass for this event, given the right head and registry". Anything it is not
sure of (a registry event, an unusual value, any failure) comes back as a ``Raw`` row, and the
parent runs ``ChainVerifier.check`` on it, so the verdict and the reason named are always the
reference's. Fails closed: a wrong fast path can only send more events to the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import CanInitAggregate, CanMutateAggregate

from domain.codes import parse_file_code
from ledger.chain.verify import MAX_LEAD, OFFICERS, unit_roles_allowed
from ledger.encoding.envelope import decode
from ledger.encoding.fast.envelope import check_fields, signed_parts
from ledger.encoding.fast.payload import instant
from ledger.store.events import EventStore
from ledger.store.rows import RowReader
from signing import unb64
from signing.registry import REGISTRY_STREAM, KeyRegistered, RegistryEstablished, Role

Raw = tuple[int, str, int, str, bytes]
"""A row for the parent to check with ``ChainVerifier``: position, stream, version, topic, state."""
Fact = tuple[int, str, int, str, str, str, str, str, str, int]
"""A file event whose stateless checks and signature passed: position, stream, version,
prev_hash, chain hash, actor, key id, recorded_at (the server's receipt time, at which the key
and role are judged; its canonical text: cheaper to send than a datetime), the file's unit, its
rule in ``RULES``. The row itself stays in the store (the parent reads it again in the rare case
it must hand the event to the reference)."""

Pending = tuple[Ed25519PublicKey, bytes, bytes]
"""A signature still to verify: the actor's key, the signature, the signed message."""


def verified(pending: Pending) -> bool:
    key, signature, message = pending
    try:
        key.verify(signature, message)
    except Exception:  # fail closed: the reference names the bad signature
        return False
    return True


RULES: tuple[tuple[frozenset[Role], bool], ...] = (
    (OFFICERS, True),
    (frozenset({Role.LEADER}), True),
    (frozenset({Role.KIOSK, Role.OFFICER, Role.LEADER}), True),
    (OFFICERS, False),
)
"""The (roles, must be of the file's unit) pairs of ``unit_roles_allowed``; anything else is Raw."""


@dataclass(frozen=True)
class _Kind:
    """What the worker learnt of one event type from its first event: its rule in ``RULES`` and
    whether it opens a stream."""

    rule: int
    opens_stream: bool


class FactFinder:
    """The stateless half of ``ChainVerifier.check`` for file events (see the module's note)."""

    def __init__(
        self,
        origin: str,
        public_keys: dict[str, bytes | None],
        max_delay: timedelta | None = None,
    ) -> None:
        self.origin = origin
        self.public_keys = public_keys
        self.max_delay = max_delay
        self._loaded: dict[bytes, Ed25519PublicKey] = {}
        self._kinds: dict[str, _Kind] = {}
        self._units: dict[str, str] = {}

    def _kind(self, topic: str, event: CanMutateAggregate[str]) -> _Kind | None:
        """The event type's rule, learnt on its first event."""
        rule = unit_roles_allowed(event)
        if rule not in RULES:
            return None
        kind = self._kinds[topic] = _Kind(RULES.index(rule), isinstance(event, CanInitAggregate))
        return kind

    def _unit(self, stream: str) -> str:
        unit = self._units.get(stream)
        if unit is None:
            if len(self._units) > 100_000:  # bounded memory: forget the files seen so far
                self._units.clear()
            unit = self._units[stream] = parse_file_code(stream).unit
        return unit

    def fact(self, pos: int, stream: str, version: int, topic: str, data: bytes) -> Fact | None:
        """The event's ``Fact``, or None if the reference must look at it."""
        prepared = self.prepare(pos, stream, version, topic, data)
        if prepared is None or not verified(prepared[1]):
            return None
        return prepared[0]

    def prepare(
        self, pos: int, stream: str, version: int, topic: str, data: bytes
    ) -> tuple[Fact, Pending] | None:
        """The event's ``Fact`` once its signature (``Pending``) verifies, or None if the
        reference must look at it. Verification is left to the caller, so that a worker can
        verify a whole range's signatures in one tight loop (warm caches, as the baseline)."""
        if stream == REGISTRY_STREAM or type(data) is not bytes:
            return None
        try:
            return self._fact(pos, stream, version, topic, data)
        except Exception:  # fail closed: whatever went wrong, the reference names it
            return None

    def _fact(
        self, pos: int, stream: str, version: int, topic: str, data: bytes
    ) -> tuple[Fact, Pending] | None:
        doc, at, event_kind = check_fields(data)  # Declined: the reference's
        # Row columns and envelope agree (so stream, version and type are the row's own).
        if doc["stream"] != stream or doc["type"] != topic or type(stream) is not str:
            return None
        if doc["version"] != version or type(topic) is not str or doc["origin"] != self.origin:
            return None
        kind = self._kinds.get(topic)
        if kind is None:
            values = event_kind.values(doc["payload"])
            kind = self._kind(topic, event_kind.event(values, stream, version, at, doc["actor"]))
            if kind is None:
                return None
        if (version == 1) != kind.opens_stream:
            return None
        unit = self._unit(stream)
        kid = doc["key_id"]
        public_key = self.public_keys.get(kid)
        if public_key is None:
            return None
        recorded_at = doc.get("recorded_at")
        if recorded_at is None:
            return None  # the reference names the missing receipt time
        recorded = instant(recorded_at)
        if at - recorded > MAX_LEAD or (
            self.max_delay is not None and recorded - at > self.max_delay
        ):
            return None
        prev_hash, actor = doc["prev_hash"], doc["actor"]
        chain_hash, message, signature = signed_parts(doc)
        key = self._loaded.get(public_key)
        if key is None:
            key = self._loaded[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        rule = kind.rule
        fact = (pos, stream, version, prev_hash, chain_hash, actor, kid, recorded_at, unit, rule)
        return fact, (key, signature, message)


def registry_public_keys(store: EventStore) -> dict[str, bytes | None]:
    """Every key id the registry stream names, with its public key (None if named twice with
    different keys). Unverified: the parent checks each key against the verified registry."""
    found: dict[str, bytes | None] = {}
    for stored in store.stream(REGISTRY_STREAM):
        try:
            env = decode(stored.state)
            if env.type not in (KeyRegistered.__name__, RegistryEstablished.__name__):
                continue
            kid, public_key = env.payload["key_id"], unb64(env.payload["public_key"])
        except Exception:  # noqa: S112 - a broken registry event is the reference's to name
            continue
        if not isinstance(kid, str):
            continue
        found[kid] = public_key if found.get(kid, public_key) == public_key else None
    return found


_WORKER: tuple[RowReader, FactFinder] | None = None


def init_worker(
    url: str,
    origin: str,
    public_keys: dict[str, bytes | None],
    max_delay: timedelta | None = None,
) -> None:
    """Pool initializer: connect to the store and keep it for every range this process reads."""
    global _WORKER
    _WORKER = (RowReader(url), FactFinder(origin, public_keys, max_delay))


def audit_range(start: int, stop: int) -> list[Fact | Raw]:
    """In a worker: the facts (or raw rows) of positions ``start`` to ``stop - 1``, in order."""
    assert _WORKER is not None, "init_worker was not called"
    reader, finder = _WORKER
    out: list[Fact | Raw] = []
    pending: list[tuple[int, Pending, Raw]] = []
    for pos, stream, version, topic, state in reader.rows(start, stop):
        raw = (pos, str(stream), version, topic, bytes(state))
        prepared = finder.prepare(*raw)
        if prepared is None:
            out.append(raw)
        else:
            pending.append((len(out), prepared[1], raw))
            out.append(prepared[0])
    for index, check, raw in pending:
        if not verified(check):
            out[index] = raw
    return out
