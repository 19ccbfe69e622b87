"""The key registry's commands on the ledger (``RegistryCommands``: establish it; register, revoke
and rotate an actor's key). Its verified copy, kept up to date, is ``load_cache.RegistryCache``.

Each command runs on a freshly verified copy of the registry, signed by the acting administrator,
is stored, and is retried if the registry changed meanwhile; the cache is then dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.working_year import YearDays
from ledger.chain.load_cache import RegistryCache
from ledger.chain.verify import ChainVerifier
from ledger.chain.writer import MAX_ATTEMPTS, EventWriter
from ledger.errors import ConflictError, NotFound, PermissionRefused
from signing import Signer
from signing.registry import REGISTRY_STREAM, KeyRegistry, Role


class RegistryCommands:
    """The registry's commands, written through ``writer``; each one drops ``cache``."""

    def __init__(self, cache: RegistryCache, writer: EventWriter) -> None:
        self.cache = cache
        self.writer = writer

    def establish(self, authority: Signer, *, actor: str, at: datetime) -> None:
        cache = self.cache
        if cache.authority_key != authority.public_key:
            raise PermissionRefused("the authority key is not the one pinned in the settings")
        registry = KeyRegistry.establish(
            origin=cache.origin, authority=actor, public_key=authority.public_key, at=at
        )
        verifier = ChainVerifier(cache.origin, cache.authority_key)
        self.writer.append(REGISTRY_STREAM, registry.collect_events(), authority, verifier=verifier)

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
        kid: str = self._run(
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
        self._run(
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
        kid: str = self._run(
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

    def publish_calendar(
        self, *, signer: Signer, actor: str, days: YearDays, source: str, at: datetime
    ) -> None:
        self._run(
            signer,
            actor,
            at,
            lambda r: r.publish_calendar(actor=actor, days=days, source=source, at=at),
        )

    def _run(
        self, signer: Signer, actor: str, at: datetime, command: Callable[[KeyRegistry], Any]
    ) -> Any:
        """Run a registry command on a freshly verified copy, then drop the cache."""
        cache = self.cache
        for _attempt in range(MAX_ATTEMPTS):
            history = cache.store.stream(REGISTRY_STREAM)
            # Two replays: the command mutates one registry, the other checks what it produced.
            verifier, working = (ChainVerifier(cache.origin, cache.authority_key) for _ in "ab")
            for stored in history:
                verifier.check(stored)
                working.check(stored)
            registry = working.registry
            if registry is None:
                raise NotFound("the key registry is not established: run `hoso init`")
            registry.key_for(actor, signer.key_id, at)  # valid for this actor now
            result = command(registry)
            try:
                self.writer.append(
                    REGISTRY_STREAM, registry.collect_events(), signer, verifier=verifier
                )
            except ConflictError:
                continue
            finally:
                cache.reset()
            return result
        raise ConflictError("the key registry kept changing under this command")
