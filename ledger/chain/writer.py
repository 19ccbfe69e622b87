"""Writing to the ledger: new events sealed into envelopes chained to the stream's head, signed,
checked as a read would check them, and stored in one transaction with any side rows.

Write path: each new event becomes an envelope chained to the stream's head and signed by the
actor's key -> the very checks of a read (``ChainVerifier``: key valid for that actor at that
instant in the key registry, signature, chain) -> stored in one transaction (through the group
commit when there is one). A concurrent writer that got there first raises ``ConflictError``;
the commands retry on the new head, at most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from ledger.chain.load_cache import RegistryMark, VerifiedPrefixCache, VerifiedRow
from ledger.chain.verify import ChainVerifier
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope, build
from ledger.errors import PermissionRefused, TamperError
from ledger.store.events import EventStore, SideWrite
from ledger.store.group_commit import GroupCommit
from signing import Signer
from signing.registry import REGISTRY_STREAM

MAX_ATTEMPTS = 5


def server_clock() -> datetime:
    """The server's clock: now, in UTC (the receipt time of what is written)."""
    return datetime.now(UTC)


class EventWriter:
    """``clock`` gives the server's receipt time; ``group_commit`` stores concurrent commands
    together (None: each alone); ``unchanged`` tells whether a registry generation is current,
    so that what was written joins ``load_cache`` only when it was checked on the current one."""

    def __init__(
        self,
        store: EventStore,
        *,
        origin: str,
        clock: Callable[[], datetime],
        group_commit: GroupCommit | None,
        load_cache: VerifiedPrefixCache,
        unchanged: Callable[[RegistryMark], bool],
    ) -> None:
        self.store = store
        self.origin = origin
        self.clock = clock
        self.group_commit = group_commit
        self.load_cache = load_cache
        self.unchanged = unchanged

    def append(
        self,
        stream: str,
        events: Sequence[CanMutateAggregate[str]],
        signer: Signer,
        *,
        verifier: ChainVerifier,
        side_writes: Sequence[SideWrite] = (),
        mark: RegistryMark | None = None,
    ) -> list[Envelope]:
        """Seal, check and store new events atomically.

        Every new envelope goes through the very checks a read applies (``verifier`` holds the
        stream's head and the registry): what a read would reject is never written. With
        ``mark`` (the generation of ``verifier``'s registry), what was written joins the
        load cache.
        """
        after, prev = verifier.head(stream)
        envelopes: list[Envelope] = []
        stored: list[StoredEvent] = []
        rows: list[VerifiedRow] = []
        for event in events:
            type_name, payload = codec.to_payload(event)
            env = build(
                origin=self.origin,
                stream=stream,
                version=event.originator_version,
                type_=type_name,
                occurred_at=event.timestamp,
                actor=str(getattr(event, "actor")),  # noqa: B009 - every ledger event has one
                key_id=signer.key_id,
                payload=payload,
                prev_hash=prev,
            ).sign(signer)
            env = env.received(self.clock())
            item = StoredEvent(env.stream, env.version, env.type, env.to_bytes())
            try:
                checked = verifier.check(item)
            except TamperError as e:
                raise PermissionRefused(f"refused before writing: {e.reason}") from e
            envelopes.append(env)
            stored.append(item)
            prev = verifier.head(stream)[1]
            rows.append(VerifiedRow.of(item, checked, prev))
        self.write(stored, side_writes)
        if mark is not None and stream != REGISTRY_STREAM and self.unchanged(mark):
            self.load_cache.extend(stream, mark, after, rows)
        return envelopes

    def write(self, stored: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()) -> None:
        """Store checked events and side rows in one transaction (through the group commit
        when there is one); return once they are durable."""
        if self.group_commit is not None:
            self.group_commit.append(stored, side_writes)
        else:
            self.store.append(stored, side_writes)

    def expecting(self) -> AbstractContextManager[None]:
        """Around a command that will write: the group commit waits for it (see ``GroupCommit``)."""
        return nullcontext() if self.group_commit is None else self.group_commit.expecting()
