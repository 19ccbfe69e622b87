"""API tokens (mã truy cập): bearer tokens bound to an actor, a unit and a role, issued by
``hoso token create`` and checked by the HTTP service; shared by ``api.cli`` and ``api.http``.

Tokens are ``hoso_`` + 43 characters of URL-safe base64 (256 random bits) and are stored only as
SHA-256 hashes (enough for a secret of that entropy; the hash is what a database thief gets).
Roles: officer and leader act on their own unit's files or files handed to them; a unit
administrator manages its unit; an integration client acts for the units it is registered for;
an inspector reads everything and writes nothing.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson

from domain.codes import check_actor, check_unit_code
from ledger.encoding.canonical import format_instant
from ledger.errors import NotFound
from ledger.store.events import EventStore
from ledger.store.tokens import TokenRepository, TokenRow, token_hash

TOKEN_PREFIX = "hoso_"  # noqa: S105 - a prefix, not a secret


class ApiRole(StrEnum):
    OFFICER = "officer"
    LEADER = "leader"
    UNIT_ADMIN = "unit_admin"
    INTEGRATION = "integration"
    INSPECTOR = "inspector"


WRITERS = frozenset({ApiRole.OFFICER, ApiRole.LEADER, ApiRole.INTEGRATION})
READERS_OF_ALL = frozenset({ApiRole.INSPECTOR})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the actor the token is bound to, its role, its unit(s)."""

    token_id: str
    actor: str
    role: ApiRole
    unit: str
    units: frozenset[str]  # the integration client's units; {unit} for everyone else

    def acts_for(self, unit: str) -> bool:
        return unit in self.units

    def reads_everything(self) -> bool:
        return self.role in READERS_OF_ALL


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once
    principal: Principal


def ensure_table(store: EventStore) -> None:
    TokenRepository(store).ensure_table()


def create_token(
    store: EventStore,
    *,
    actor: str,
    role: ApiRole,
    unit: str,
    units: Sequence[str] = (),
    now: datetime,
    random: Callable[[int], bytes] = secrets.token_bytes,
) -> IssuedToken:
    """Issue a token; only its hash is stored. ``units``: what an integration client serves."""
    check_actor(actor)
    check_unit_code(unit)
    served = frozenset(units) | {unit}
    for u in served:
        check_unit_code(u)
    ensure_table(store)
    token = TOKEN_PREFIX + base64.urlsafe_b64encode(random(32)).decode().rstrip("=")
    token_id = token_hash(token)[:16]
    TokenRepository(store).add(
        TokenRow(
            token_hash=token_hash(token),
            token_id=token_id,
            actor=actor,
            role=role.value,
            unit=unit,
            units=orjson.dumps(sorted(served)).decode(),
            created_at=format_instant(now),
            revoked_at=None,
        )
    )
    return IssuedToken(token, Principal(token_id, actor, role, unit, served))


def revoke_token(store: EventStore, token_id: str, *, now: datetime) -> None:
    ensure_table(store)
    if not TokenRepository(store).revoke(token_id, format_instant(now)):
        raise NotFound(f"no active token {token_id}")
