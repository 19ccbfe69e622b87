"""Checking stored events: envelope form, chain link, key, signature, role. Fails closed.

``ChainVerifier`` is fed stored events stream by stream (a file load) or in log order (the full
audit, a bundle). Registry events it meets are checked against the registry as it stood before
them and then applied, so a key is only ever trusted from the moment the registry recorded it.

Keys and roles are judged at what the server saw, never at the actor's claim: every stored
envelope carries the server's receipt time ``recorded_at`` (mandatory), ``occurred_at`` may lead
it by at most ``MAX_LEAD`` (clock skew) and trail it by at most the verifier's ``max_delay`` (when
configured), and the key must be valid for the actor at ``recorded_at``. In log order
(``log_order=True``) an event is judged at the latest receipt time of anything logged before it
(``floor``) if that is later: the server's time never runs backwards along the log, so a revocation
in force when it was logged stands for every later event, whatever times those claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from domain.codes import parse_file_code
from domain.errors import DomainError
from domain.events import FileNotAccepted, FileReceived, ResultSigned, SatisfactionRated
from ledger.encoding import codec
from ledger.encoding.canonical import format_instant, parse_instant
from ledger.encoding.envelope import GENESIS_HASH, Envelope, decode
from ledger.errors import LedgerError, TamperError
from signing import unb64
from signing.errors import VerificationError
from signing.registry import (
    AUTHORITY_UNIT,
    REGISTRY_STREAM,
    KeyRegistered,
    KeyRegistry,
    KeyRevoked,
    RegistryEstablished,
    Role,
    WorkingCalendarPublished,
)

OFFICERS = frozenset({Role.OFFICER, Role.LEADER})

MAX_LEAD = timedelta(minutes=5)
"""How far an event's ``occurred_at`` may lead the server's ``recorded_at``: the clock skew the
intake allows a client. An event dated further ahead of its receipt was not made when it says."""


def receipt_time(env: Envelope) -> datetime:
    """The server's receipt time of ``env``; ``LedgerError`` if it has none (fail closed)."""
    if env.recorded_at is None:
        raise LedgerError("the envelope has no recorded_at: the server's receipt time is missing")
    return parse_instant(env.recorded_at)


def times_refusal(env: Envelope, recorded: datetime, max_delay: timedelta | None) -> str | None:
    """None if ``occurred_at`` is within ``MAX_LEAD`` ahead of and ``max_delay`` behind the
    server's receipt time, else the reason it is not."""
    occurred = env.occurred_at
    if occurred - recorded > MAX_LEAD:
        return (
            f"occurred_at {env.unsigned.occurred_at} is more than "
            f"{int(MAX_LEAD.total_seconds())} s after the server received it at {env.recorded_at}"
        )
    if max_delay is not None and recorded - occurred > max_delay:
        return (
            f"occurred_at {env.unsigned.occurred_at} is more than "
            f"{int(max_delay.total_seconds())} s before the server received it at "
            f"{env.recorded_at}"
        )
    return None


def unit_roles_allowed(event: Any) -> tuple[frozenset[Role], bool]:
    """Roles that may record this file event, and whether they must belong to the file's unit."""
    if isinstance(event, FileReceived | FileNotAccepted):
        return OFFICERS, True
    if isinstance(event, ResultSigned):
        return frozenset({Role.LEADER}), True
    if isinstance(event, SatisfactionRated):
        return frozenset({Role.KIOSK, Role.OFFICER, Role.LEADER}), True
    return OFFICERS, False


def check_file_permission(
    registry: KeyRegistry, env: Envelope, event: Any, at: datetime
) -> str | None:
    """None if the actor's registered role at ``at`` (the server's time) allows the event, else
    the reason it does not."""
    try:
        unit = parse_file_code(env.stream).unit
    except DomainError:
        return f"stream {env.stream!r} is not a file code"
    roles, own_unit = unit_roles_allowed(event)
    held = registry.roles_of(env.actor, at)
    for role in roles:
        units = held.get(role, set())
        if units and (not own_unit or unit in units):
            return None
    names = "/".join(sorted(r.value for r in roles))
    where = f" of unit {unit}" if own_unit else ""
    return f"{env.actor} is not a registered {names}{where} at {format_instant(at)}"


def check_registry_permission(
    registry: KeyRegistry, env: Envelope, event: Any, at: datetime
) -> str | None:
    """None if the actor may record this registry event at ``at`` (the server's time)."""
    if isinstance(event, KeyRegistered):
        if event.role == Role.AUTHORITY.value:
            return "a second authority cannot be registered"
        if event.role == Role.UNIT_ADMIN.value:
            ok = registry.holds(env.actor, Role.AUTHORITY, AUTHORITY_UNIT, at)
        else:
            ok = registry.can_administer(env.actor, event.unit, at)
        if event.key_id in registry.keys:
            return f"key {event.key_id} registered twice"
        return None if ok else f"{env.actor} may not register keys for unit {event.unit}"
    if isinstance(event, KeyRevoked):
        record = registry.keys.get(event.key_id)
        if record is None:
            return f"revocation of unknown key {event.key_id}"
        if event.effective_at < env.occurred_at:
            return "retroactive revocation"
        ok = registry.can_administer(env.actor, record.unit, at)
        return None if ok else f"{env.actor} may not revoke keys of unit {record.unit}"
    if isinstance(event, WorkingCalendarPublished):
        try:
            days = event.days()
        except DomainError as e:
            return f"the published calendar is not a year's calendar: {e}"
        return registry.calendar_refusal(env.actor, days, event.source, at)
    return "unexpected registry event"


SignatureCheck = tuple[bytes, bytes, bytes]
"""A deferred Ed25519 check: (public key, signed message, signature), all bytes."""


@dataclass
class Checked:
    envelope: Envelope
    event: CanMutateAggregate[str]
    signature: SignatureCheck | None = None
    """With ``check(..., verify=False)``: the file event's signature check, still to be done."""


class ChainVerifier:
    """Verifies stored events one by one, remembering each stream's head."""

    def __init__(
        self,
        origin: str,
        authority_key: bytes | None,
        registry: KeyRegistry | None = None,
        *,
        log_order: bool = False,
        max_delay: timedelta | None = None,
    ) -> None:
        """``log_order``: events come in log order (the audit, a bundle), so each is judged no
        earlier than the receipt time of what came before it (``floor``). ``max_delay``: how far
        ``occurred_at`` may trail ``recorded_at`` (None: not limited)."""
        self.origin = origin
        self.authority_key = authority_key
        self.registry = registry
        self.heads: dict[str, tuple[int, str]] = {}
        self.log_order = log_order
        self.max_delay = max_delay
        self.floor: datetime | None = None

    def judged_at(self, env: Envelope) -> datetime:
        """The instant ``env``'s key and role are judged at: its receipt time, or in log order
        the latest receipt time before it if later; ``LedgerError`` on a bad receipt time."""
        recorded = receipt_time(env)
        refusal = times_refusal(env, recorded, self.max_delay)
        if refusal:
            raise LedgerError(refusal)
        if self.floor is not None and self.floor > recorded:
            return self.floor
        if self.log_order:
            self.floor = recorded
        return recorded

    def head(self, stream: str) -> tuple[int, str]:
        return self.heads.get(stream, (0, GENESIS_HASH))

    def check(self, stored: StoredEvent, *, verify: bool = True) -> Checked:
        """Check one stored event and advance its stream's head; raise ``TamperError``.

        With ``verify=False`` a file event's Ed25519 signature is not checked here but returned
        as ``Checked.signature`` for the caller to verify (the parallel audit): every other check
        still runs, in the same order. Registry events are always verified here, before they
        change the registry, and a file event refused for its role is verified first, so the
        reason named for an event is the one ``verify=True`` would name.
        """
        stream, version = str(stored.originator_id), stored.originator_version
        try:
            return self._check(stored, verify)
        except TamperError:
            raise
        except (LedgerError, VerificationError) as e:
            raise TamperError(stream, version, str(e)) from e

    def check_deferred(self, stored: StoredEvent) -> tuple[Checked, SignatureCheck | None]:
        """``check(stored, verify=False)`` and the signature check left to do (None if none)."""
        checked = self.check(stored, verify=False)
        return checked, checked.signature

    def _check(self, stored: StoredEvent, verify: bool = True) -> Checked:
        stream, version = str(stored.originator_id), stored.originator_version

        def fail(reason: str) -> TamperError:
            return TamperError(stream, version, reason)

        env = decode(stored.state)
        if (env.stream, env.version, env.type) != (stream, version, stored.topic):
            raise fail(
                f"row columns ({stream}, {version}, {stored.topic}) disagree with the signed "
                f"envelope ({env.stream}, {env.version}, {env.type})"
            )
        if env.unsigned.origin != self.origin:
            raise fail(f"envelope belongs to ledger {env.unsigned.origin!r}, not {self.origin!r}")
        last_version, last_hash = self.head(stream)
        if version != last_version + 1:
            raise fail(f"version {version} follows version {last_version}: events are missing")
        if env.prev_hash != last_hash:
            raise fail("prev_hash does not match the previous event: the chain is broken")
        event = codec.from_payload(
            env.type,
            env.payload,
            stream=stream,
            version=version,
            occurred_at=env.occurred_at,
            actor=env.actor,
        )
        if (version == 1) != isinstance(event, CanInitAggregate):
            raise fail(f"{env.type} cannot be event number {version} of a stream")
        at = self.judged_at(env)
        pending: SignatureCheck | None = None
        if stream == REGISTRY_STREAM:
            self._check_registry_event(env, event, fail, at)
        else:
            pending = self._check_file_event(env, event, fail, at, verify)
        self.heads[stream] = (version, env.hash())
        return Checked(env, event, pending)

    def _check_registry_event(self, env: Envelope, event: Any, fail: Any, at: datetime) -> None:
        if isinstance(event, RegistryEstablished):
            if self.authority_key is None:
                raise fail("no ledger authority key is configured: nothing to trust")
            if unb64(event.public_key) != self.authority_key:
                raise fail("the registry was established by a key other than the pinned authority")
            env.verify(self.authority_key)
            self.registry = event.mutate(None)
            return
        if self.registry is None:
            raise fail("registry event before the registry was established")
        record = self.registry.key_for(env.actor, env.key_id, at)
        env.verify(record.public_key)
        refusal = check_registry_permission(self.registry, env, event, at)
        if refusal:
            raise fail(refusal)
        event.mutate(self.registry)
        if isinstance(event, KeyRevoked):  # in force no earlier than the server logged it
            self.registry.revocation_logged(event.key_id, at)

    def _check_file_event(
        self, env: Envelope, event: Any, fail: Any, at: datetime, verify: bool = True
    ) -> SignatureCheck | None:
        if self.registry is None:
            raise fail("file event before the key registry was established")
        record = self.registry.key_for(env.actor, env.key_id, at)
        if verify:
            env.verify(record.public_key)
        refusal = check_file_permission(self.registry, env, event, at)
        if refusal:
            if not verify:  # the signature is checked before the role: name the same reason
                env.verify(record.public_key)
            raise fail(refusal)
        if verify:
            return None
        return (record.public_key, env.unsigned.signing_message(), env.signature)
