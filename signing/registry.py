"""The key registry (sổ đăng ký khóa): who holds which Ed25519 key, from when, until when.

Event-sourced like everything else: the ledger stores these events as signed envelopes in the
stream ``REGISTRY_STREAM``. The registry is established by the ledger authority's key (the trust
anchor, pinned in the ledger's configuration); unit administrators are registered by the authority,
and register, rotate and revoke the keys of their own unit's people. Revocation is never
retroactive, so a key valid at an instant stays valid for that instant forever. The instant that
counts is the server's (the ledger judges an event at the time it received it, never at the time
the actor claims), so a revoked key cannot sign an event dated before its revocation.

The same stream carries the other rule the whole ledger stands on: the working calendar. The
authority publishes each year's holidays, make-up working days and extra days off
(``WorkingCalendarPublished``); a later publication of a year may change only days still to come,
so what a deadline was computed from is never changed under it (``calendar_refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate

from domain.calendar import VN_TZ
from domain.errors import DomainError
from domain.working_year import YearDays
from signing.errors import KeyNotValid, RegistryRefused
from signing.keys import b64, key_id, unb64

REGISTRY_STREAM = "KEYS"
AUTHORITY_UNIT = "*"


class Role(StrEnum):
    AUTHORITY = "authority"
    UNIT_ADMIN = "unit_admin"
    OFFICER = "officer"
    LEADER = "leader"
    KIOSK = "kiosk"
    INTEGRATION = "integration"
    INSPECTOR = "inspector"


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    holder: str
    role: Role
    unit: str
    public_key: bytes
    valid_from: datetime
    registered_by: str
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    def valid_at(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.revoked_at is None or at < self.revoked_at)


@dataclass(frozen=True)
class RegistryEvent(CanMutateAggregate[str]):
    originator_id: str
    originator_version: int
    timestamp: datetime
    actor: str

    def apply(self, aggregate: Any) -> None:
        self.apply_to(aggregate)

    def apply_to(self, r: KeyRegistry) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class RegistryEstablished(CanInitAggregate[str], RegistryEvent):
    """The authority's own key, self-signed: the registry's root."""

    originator_topic: str
    origin: str
    key_id: str
    public_key: str

    def apply_to(self, r: KeyRegistry) -> None:
        r.origin = self.origin
        r._add(
            KeyRecord(
                key_id=self.key_id,
                holder=self.actor,
                role=Role.AUTHORITY,
                unit=AUTHORITY_UNIT,
                public_key=unb64(self.public_key),
                valid_from=self.timestamp,
                registered_by=self.actor,
            )
        )


@dataclass(frozen=True)
class KeyRegistered(RegistryEvent):
    holder: str
    role: str
    unit: str
    key_id: str
    public_key: str
    valid_from: datetime

    def apply_to(self, r: KeyRegistry) -> None:
        r._add(
            KeyRecord(
                key_id=self.key_id,
                holder=self.holder,
                role=Role(self.role),
                unit=self.unit,
                public_key=unb64(self.public_key),
                valid_from=self.valid_from,
                registered_by=self.actor,
            )
        )


@dataclass(frozen=True)
class KeyRevoked(RegistryEvent):
    key_id: str
    effective_at: datetime
    reason: str

    def apply_to(self, r: KeyRegistry) -> None:
        old = r.keys[self.key_id]
        r.keys[self.key_id] = KeyRecord(
            key_id=old.key_id,
            holder=old.holder,
            role=old.role,
            unit=old.unit,
            public_key=old.public_key,
            valid_from=old.valid_from,
            registered_by=old.registered_by,
            revoked_at=self.effective_at,
            revoke_reason=self.reason,
        )


def _iso(days: frozenset[date]) -> tuple[str, ...]:
    return tuple(d.isoformat() for d in sorted(days))


@dataclass(frozen=True)
class WorkingCalendarPublished(RegistryEvent):
    """A year of the working calendar (lịch làm việc), published by the authority: its holidays,
    make-up working days and extra days off as ISO dates, and the decision it follows."""

    year: int
    holidays: tuple[str, ...]
    makeup_working_days: tuple[str, ...]
    extra_days_off: tuple[str, ...]
    source: str

    def days(self) -> YearDays:
        """The year's days (``DomainError`` if they are not a year's calendar)."""

        def dates(values: tuple[str, ...]) -> frozenset[date]:
            try:
                return frozenset(date.fromisoformat(v) for v in values)
            except (TypeError, ValueError) as e:
                raise DomainError(f"a published calendar holds a date that is not one: {e}") from e

        return YearDays(
            self.year,
            dates(self.holidays),
            dates(self.makeup_working_days),
            dates(self.extra_days_off),
        )

    def apply_to(self, r: KeyRegistry) -> None:
        r.calendars[self.year] = self.days()
        r.calendar_revision += 1


REGISTRY_EVENT_TYPES: tuple[type[RegistryEvent], ...] = (
    RegistryEstablished,
    KeyRegistered,
    KeyRevoked,
    WorkingCalendarPublished,
)

MAX_SOURCE = 500
"""Characters of a calendar's source (the decision it follows)."""


class KeyRegistry(BaseAggregate[str]):
    """All keys of one ledger, by key id."""

    origin: str

    def __init__(self) -> None:
        self.keys: dict[str, KeyRecord] = {}
        self.by_holder: dict[str, list[str]] = {}
        self.calendars: dict[int, YearDays] = {}
        self.calendar_revision = 0  # + 1 with every publication

    def _add(self, record: KeyRecord) -> None:
        self.keys[record.key_id] = record
        self.by_holder.setdefault(record.holder, []).append(record.key_id)

    @classmethod
    def establish(
        cls, *, origin: str, authority: str, public_key: bytes, at: datetime
    ) -> KeyRegistry:
        return cls._create(
            RegistryEstablished,
            id=REGISTRY_STREAM,
            timestamp=at,
            actor=authority,
            origin=origin,
            key_id=key_id(public_key),
            public_key=b64(public_key),
        )

    # ------------------------------------------------------------------ queries
    def authority(self) -> KeyRecord:
        for record in self.keys.values():
            if record.role is Role.AUTHORITY:
                return record
        raise KeyNotValid("the key registry has no authority")

    def key_for(self, actor: str, kid: str, at: datetime) -> KeyRecord:
        """The record of ``kid`` if it belongs to ``actor`` and was valid at ``at`` (the server's
        receipt time of what it signs); else raise."""
        record = self.keys.get(kid)
        if record is None:
            raise KeyNotValid(f"key {kid} is not registered")
        if record.holder != actor:
            raise KeyNotValid(f"key {kid} belongs to {record.holder}, not {actor}")
        if not record.valid_at(at):
            window = f"from {record.valid_from.isoformat()}"
            if record.revoked_at is not None:
                window += (
                    f" until {record.revoked_at.isoformat()} (revoked: {record.revoke_reason})"
                )
            raise KeyNotValid(f"key {kid} of {actor} was not valid at {at.isoformat()} ({window})")
        return record

    def revocation_logged(self, kid: str, at: datetime) -> None:
        """The ledger logged ``kid``'s revocation at ``at`` (the server's time): it takes effect
        no earlier, so what the log already held stays valid, and every later event is judged
        against it (a revocation in force when logged stands for everything after it)."""
        record = self.keys[kid]
        if record.revoked_at is not None and record.revoked_at < at:
            self.keys[kid] = replace(record, revoked_at=at)

    def roles_of(self, actor: str, at: datetime) -> dict[Role, set[str]]:
        """Each role the actor holds at ``at`` with a valid key, mapped to its units."""
        roles: dict[Role, set[str]] = {}
        for kid in self.by_holder.get(actor, ()):
            record = self.keys[kid]
            if record.valid_at(at):
                roles.setdefault(record.role, set()).add(record.unit)
        return roles

    def holds(self, actor: str, role: Role, unit: str, at: datetime) -> bool:
        units = self.roles_of(actor, at).get(role, set())
        return unit in units or (role is Role.AUTHORITY and bool(units))

    def can_administer(self, actor: str, unit: str, at: datetime) -> bool:
        return self.holds(actor, Role.AUTHORITY, AUTHORITY_UNIT, at) or self.holds(
            actor, Role.UNIT_ADMIN, unit, at
        )

    def calendar_refusal(self, actor: str, days: YearDays, source: str, at: datetime) -> str | None:
        """None if ``actor`` may publish ``days`` at ``at`` (the server's time): the authority
        does, naming the decision it follows; a year published before changes only in days after
        the day of this publication (local time), and a publication must change something."""
        if not self.holds(actor, Role.AUTHORITY, AUTHORITY_UNIT, at):
            return f"{actor} may not publish the working calendar: the authority does"
        if not source.strip() or len(source) > MAX_SOURCE or not source.isprintable():
            return f"a calendar names the decision it follows, in 1..{MAX_SOURCE} characters"
        before = self.calendars.get(days.year)
        if before is None:
            return None
        if before == days:
            return f"the working calendar of {days.year} is already published as given"
        today = at.astimezone(VN_TZ).date()
        changed = before.first_change(days, today)
        if changed is not None:
            return (
                f"the working calendar of {days.year} cannot change a day already past: "
                f"{changed} (published on {today}); deadlines were computed from it"
            )
        return None

    # ----------------------------------------------------------------- commands
    def publish_calendar(self, *, actor: str, days: YearDays, source: str, at: datetime) -> None:
        """Publish (or amend, for days to come) the working calendar of ``days.year``."""
        refusal = self.calendar_refusal(actor, days, source, at)
        if refusal is not None:
            raise RegistryRefused(refusal)
        self.trigger_event(
            WorkingCalendarPublished,
            timestamp=at,
            actor=actor,
            year=days.year,
            holidays=_iso(days.holidays),
            makeup_working_days=_iso(days.makeup_working_days),
            extra_days_off=_iso(days.extra_days_off),
            source=source,
        )

    def register(
        self,
        *,
        actor: str,
        holder: str,
        role: Role,
        unit: str,
        public_key: bytes,
        valid_from: datetime,
        at: datetime,
    ) -> str:
        """Record a new key; the authority registers unit admins, admins their unit's people."""
        if role is Role.AUTHORITY:
            raise RegistryRefused("there is one authority, established with the registry")
        if role is Role.UNIT_ADMIN:
            if not self.holds(actor, Role.AUTHORITY, AUTHORITY_UNIT, at):
                raise RegistryRefused(f"{actor} may not register unit administrators")
        elif not self.can_administer(actor, unit, at):
            raise RegistryRefused(f"{actor} does not administer unit {unit}")
        kid = key_id(public_key)
        if kid in self.keys:
            raise RegistryRefused(f"key {kid} is already registered to {self.keys[kid].holder}")
        if valid_from < at:
            raise RegistryRefused("a key cannot be made valid before it is registered")
        self.trigger_event(
            KeyRegistered,
            timestamp=at,
            actor=actor,
            holder=holder,
            role=role.value,
            unit=unit,
            key_id=kid,
            public_key=b64(public_key),
            valid_from=valid_from,
        )
        return kid

    def revoke(
        self, *, actor: str, kid: str, effective_at: datetime, reason: str, at: datetime
    ) -> None:
        record = self.keys.get(kid)
        if record is None:
            raise RegistryRefused(f"key {kid} is not registered")
        if record.role is Role.AUTHORITY:
            raise RegistryRefused("the authority key is replaced by a new ledger, not revoked")
        if not self.can_administer(actor, record.unit, at):
            raise RegistryRefused(f"{actor} does not administer unit {record.unit}")
        if record.revoked_at is not None:
            raise RegistryRefused(f"key {kid} is already revoked")
        if effective_at < at:
            raise RegistryRefused("revocation is never retroactive: effective time is in the past")
        if not reason.strip():
            raise RegistryRefused("a revocation needs a reason")
        self.trigger_event(
            KeyRevoked,
            timestamp=at,
            actor=actor,
            key_id=kid,
            effective_at=effective_at,
            reason=reason,
        )

    def rotate(
        self,
        *,
        actor: str,
        old_kid: str,
        new_public_key: bytes,
        effective_at: datetime,
        at: datetime,
    ) -> str:
        """Replace a key: the new one is valid from ``effective_at``, the old one stops then."""
        old = self.keys.get(old_kid)
        if old is None:
            raise RegistryRefused(f"key {old_kid} is not registered")
        kid = self.register(
            actor=actor,
            holder=old.holder,
            role=old.role,
            unit=old.unit,
            public_key=new_public_key,
            valid_from=effective_at,
            at=at,
        )
        self.revoke(actor=actor, kid=old_kid, effective_at=effective_at, reason="rotated", at=at)
        return kid
