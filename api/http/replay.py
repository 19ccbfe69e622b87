"""A file's state right after each of its events, replayed from its envelopes: what the process
control slip (giver, receiver, deadline in force) and the event feed (portal status) show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.events import Desk
from domain.file import AdministrativeFile
from domain.portal import PortalStatus, portal_status
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope


@dataclass(frozen=True)
class Snapshot:
    """What the slip and the feed need of the file right after one event."""

    holder: Desk
    due_at: datetime
    status: PortalStatus


def events_of(envelopes: Sequence[Envelope]) -> list[Any]:
    """The domain events of a file's verified envelopes, in order."""
    return [codec.event_of(env) for env in envelopes]


def replay(envelopes: Sequence[Envelope]) -> list[Snapshot]:
    """The file's state after each of its events, in order."""
    states: list[Snapshot] = []
    f: Any = None
    for event in events_of(envelopes):
        f = event.mutate(f)
        assert isinstance(f, AdministrativeFile)
        states.append(_snapshot(f))
    return states


def _snapshot(f: AdministrativeFile) -> Snapshot:
    return Snapshot(f.holder, f.due_at, portal_status(f))
