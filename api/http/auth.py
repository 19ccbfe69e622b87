"""Who may call what over HTTP (xác thực và phân quyền): the caller from its bearer token
(``api.tokens``), 401 and 403 as problems, and the rules of who may read or write a file.

Roles: officer and leader act on their own unit's files or files handed to them; a unit
administrator manages its unit; an integration client acts for the units it is registered for;
an inspector reads everything and writes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Problem
from api.http.schemas.envelopes import SignedEnvelopeIn
from api.http.state import service_state
from api.tokens import TOKEN_PREFIX, ApiRole, Principal
from domain.codes import parse_file_code
from domain.file import AdministrativeFile
from ledger.store.events import EventStore
from ledger.store.tokens import TokenRepository, token_hash
from signing.registry import KeyRegistry, Role


def lookup(store: EventStore, token: str) -> Principal | None:
    """The caller a token stands for, if the token is known and not revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    r = TokenRepository(store).find_active(token_hash(token))
    if r is None or not hmac.compare_digest(r.token_hash, token_hash(token)):
        return None
    return Principal(
        token_id=r.token_id,
        actor=r.actor,
        role=ApiRole(r.role),
        unit=r.unit,
        units=frozenset(orjson.loads(r.units)),
    )


bearer = HTTPBearer(auto_error=False, description="A token from `hoso token create`.")


def unauthorized(detail: str) -> Problem:
    return Problem(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>``; 401 otherwise."""
    if credentials is None:
        raise unauthorized("this endpoint needs a bearer token")
    ledger = service_state(request).ledger
    if ledger is None:
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger is not open",
            headers={"Retry-After": "5"},
        )
    found = lookup(ledger.store, credentials.credentials)
    if found is None:
        raise unauthorized("the token is unknown or revoked")
    return found


def require(*roles: ApiRole) -> Callable[..., Principal]:
    """Dependency factory: the caller must hold one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    def dependency(who: Annotated[Principal, Depends(principal)]) -> Principal:
        return require_role(who, allowed)

    return dependency


def require_role(who: Principal, allowed: Iterable[ApiRole]) -> Principal:
    """The caller, if it holds one of the ``allowed`` roles; 403 otherwise."""
    roles = frozenset(allowed)
    if who.role not in roles:
        names = ", ".join(sorted(r.value for r in roles))
        raise forbidden(f"role {who.role.value} may not do this (needs: {names})")
    return who


def may_write_file(who: Principal, unit: str, holder_officer: str | None) -> bool:
    """Officers and leaders: their own unit's files, or files handed to them. Integration
    clients: the units they serve. Inspectors and administrators write nothing here."""
    if who.role in (ApiRole.OFFICER, ApiRole.LEADER):
        return unit in who.units or (holder_officer is not None and holder_officer == who.actor)
    if who.role is ApiRole.INTEGRATION:
        return unit in who.units
    return False


def may_read_file(who: Principal, unit: str, holder_officer: str | None) -> bool:
    if who.reads_everything():
        return True
    return unit in who.units or (holder_officer is not None and holder_officer == who.actor)


def authorize(who: Principal, unit: str, holder: str | None, code: str) -> None:
    if not may_write_file(who, unit, holder or None):
        raise forbidden(f"{who.actor} ({who.role.value}) may not act on file {code}")


def authorize_file(who: Principal, f: AdministrativeFile) -> None:
    authorize(who, f.unit, f.holder.officer, f.code)


SIGNING_ROLES = (Role.OFFICER, Role.LEADER, Role.KIOSK)


def authorize_signers(
    registry: KeyRegistry,
    at: datetime,
    code: str,
    holder: str | None,
    envelopes: Sequence[SignedEnvelopeIn],
) -> None:
    """A relayed envelope is authorized as if its signer had called with their own token: the
    signer belongs to the file's unit (by the key registry, as the server sees it at ``at``) or
    holds the file when they act (the holder before the submission, or the one an earlier
    envelope of it handed the file to). 403 otherwise, before anything is checked or stored."""
    unit = parse_file_code(code).unit
    for e in envelopes:
        held = registry.roles_of(e.actor, at)
        units = set().union(*(held.get(role, set()) for role in SIGNING_ROLES))
        if unit not in units and e.actor != holder:
            raise forbidden(
                f"{e.actor}, who signed envelope version {e.version}, may not act on file {code}"
            )
        if e.type == "FileHandedOff":
            to = e.payload.get("to_desk")
            holder = str(to.get("officer") or "") if isinstance(to, dict) else holder
