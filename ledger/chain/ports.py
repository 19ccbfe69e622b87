"""What the intake of client-signed envelopes needs of the ledger (``Intake``, ``BulkIntake``).

A protocol, so the intake depends on these few things and not on the ledger service: the
ledger's identity (origin, authority key), its rules' settings (calendar, supplement policy),
its store, the verified key registry and a verified file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.calendar import WorkingCalendar
from domain.deadlines import SupplementPolicy
from ledger.chain.files import VerifiedFile
from ledger.chain.sealed_text import TextSealer
from ledger.store.events import EventStore
from signing.registry import KeyRegistry


class IntakeLedger(Protocol):
    @property
    def origin(self) -> str: ...

    @property
    def authority_key(self) -> bytes | None: ...

    @property
    def calendar(self) -> WorkingCalendar: ...

    @property
    def supplement_policy(self) -> SupplementPolicy: ...

    @property
    def store(self) -> EventStore: ...

    @property
    def sealer(self) -> TextSealer:
        """Seals new events' free text; checks a client-signed event's is sealed."""
        ...

    def registry(self) -> KeyRegistry:
        """The verified key registry, up to date with the store."""
        ...

    def applicant_secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        """The keys of those of ``refs`` not forgotten, in one read."""
        ...

    def load(self, code: str) -> VerifiedFile:
        """The file rebuilt from its events, every one verified."""
        ...
