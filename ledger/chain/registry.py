"""The key registry on the ledger: its verified copy kept up to date (``RegistryCache``) and its
commands (``RegistryCommands``: establish it; register, revoke and rotate an actor's key).

Each command runs on a freshly verified copy of the registry, signed by the acting administrator,
is stored, and is retried if the registry changed meanwhile; the cache is then dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.chain.load_cache import RegistryMark
from ledger.chain.verify import ChainVerifier
from ledger.chain.writer import MAX_ATTEMPTS, EventWriter
from ledger.errors import ConflictError, NotFound, PermissionRefused
from ledger.store.events import EventStore
from signing import Signer
from signing.registry import REGISTRY_STREAM, KeyRegistry, Role


def check_key(registry: KeyRegistry, signer: Signer, actor: str, at: datetime) -> None:
    """``signer``'s key must be valid for ``actor`` at ``at`` (else the registry's refusal)."""
    registry.key_for(actor, signer.key_id, at)


class RegistryCache:
    """The verified key registry, brought up to date with the store on every use, and its
    generation (``RegistryMark``: + 1 whenever the registry object changes)."""

    def __init__(self, store: EventStore, *, origin: str, authority_key: bytes | None) -> None:
        self.store = store
        self.origin = origin
        self.authority_key = authority_key
        self._verifier = ChainVerifier(origin, authority_key)
        self._lock = threading.Lock()
        self._generation = 0

    def registry(self) -> KeyRegistry:
        return self.state()[0]

    def state(self) -> tuple[KeyRegistry, RegistryMark]:
        """The registry brought up to date (one SELECT of what is new, outside the lock, so
        concurrent commands do not queue behind each other's round trip) and its generation."""
        last = self.head()
        return self.apply(self.store.stream(REGISTRY_STREAM, gt=last or None))

    def head(self) -> int:
        """The version of the registry's last verified row (0: none yet)."""
        with self._lock:
            return self._verifier.head(REGISTRY_STREAM)[0]

    def apply(self, fresh: Sequence[StoredEvent]) -> tuple[KeyRegistry, RegistryMark]:
        """Apply registry rows read after the head; skip what another thread applied since."""
        with self._lock:
            verifier = self._verifier
            head, _ = verifier.head(REGISTRY_STREAM)
            if fresh and fresh[0].originator_version > head + 1:  # the verifier was rebuilt
                fresh = self.store.stream(REGISTRY_STREAM, gt=head or None)
            for stored in fresh:
                if stored.originator_version <= verifier.head(REGISTRY_STREAM)[0]:
                    continue
                self._generation += 1  # before: a failed check may have mutated it
                verifier.check(stored)
            if verifier.registry is None:
                raise NotFound("the key registry is not established: run `hoso init`")
            return verifier.registry, self._generation

    def unchanged(self, mark: RegistryMark) -> bool:
        with self._lock:
            return self._generation == mark

    def reset(self) -> None:
        """Drop the verified copy: the next use verifies the registry from its first row."""
        with self._lock:
            self._verifier = ChainVerifier(self.origin, self.authority_key)
            self._generation += 1


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
            check_key(registry, signer, actor, at)
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
