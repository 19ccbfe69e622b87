"""The key registry's commands on the ledger: register, revoke and rotate an actor's key.

Each runs through ``Ledger._registry_command``: on a freshly verified copy of the registry,
signed by the acting administrator, stored, and retried if the registry changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from signing import Signer
from signing.registry import KeyRegistry, Role


class KeyCommands:
    """Mixed into ``Ledger``, which provides ``_registry_command``."""

    def _registry_command(
        self, signer: Signer, actor: str, at: datetime, command: Callable[[KeyRegistry], Any]
    ) -> Any:
        raise NotImplementedError

    def register_key(
        self,
        *,
        signer: Signer,
        actor: str,
        holder: str,
        role: Role,
        unit: str,
        public_key: bytes,
        valid_from: datetime,
        at: datetime,
    ) -> str:
        kid: str = self._registry_command(
            signer,
            actor,
            at,
            lambda r: r.register(
                actor=actor,
                holder=holder,
                role=role,
                unit=unit,
                public_key=public_key,
                valid_from=valid_from,
                at=at,
            ),
        )
        return kid

    def revoke_key(
        self,
        *,
        signer: Signer,
        actor: str,
        kid: str,
        effective_at: datetime,
        reason: str,
        at: datetime,
    ) -> None:
        self._registry_command(
            signer,
            actor,
            at,
            lambda r: r.revoke(
                actor=actor, kid=kid, effective_at=effective_at, reason=reason, at=at
            ),
        )

    def rotate_key(
        self,
        *,
        signer: Signer,
        actor: str,
        old_kid: str,
        new_public_key: bytes,
        effective_at: datetime,
        at: datetime,
    ) -> str:
        kid: str = self._registry_command(
            signer,
            actor,
            at,
            lambda r: r.rotate(
                actor=actor,
                old_kid=old_kid,
                new_public_key=new_public_key,
                effective_at=effective_at,
                at=at,
            ),
        )
        return kid
