"""The working calendar in force (lịch làm việc): the deployment's office hours with the years the
authority published in the key registry's stream (``signing.registry.WorkingCalendarPublished``).

Every deadline the ledger computes comes from it, so the same history gives the same deadlines on
every install; the audit's rule replay folds the same publications in log order
(``ledger.chain.rule_replay``), and so do the projections (``projections.models.handlers``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import WorkingCalendar, in_force
from domain.working_year import YearDays
from ledger.chain.load_cache import RegistryCache, RegistryMark
from ledger.encoding import codec
from ledger.encoding.canonical import parse_instant
from ledger.encoding.envelope import decode
from ledger.store.events import EventStore
from signing.registry import REGISTRY_STREAM, WorkingCalendarPublished

__all__ = ["CalendarInForce", "Publication", "publications"]


class CalendarInForce:
    """``base`` with the published years of the registry as ``cache`` last saw it (no read of
    the store: a command reads the registry's news before it runs), built again only when the
    registry changed."""

    def __init__(self, cache: RegistryCache, base: WorkingCalendar) -> None:
        self.cache = cache
        self.base = base
        self._lock = threading.Lock()
        self._built: tuple[RegistryMark, WorkingCalendar] | None = None

    def __call__(self) -> WorkingCalendar:
        registry, mark = self.cache.current()
        with self._lock:
            built = self._built
            if built is None or built[0] != mark:
                built = self._built = (mark, in_force(self.base, registry.calendars))
            return built[1]


@dataclass(frozen=True)
class Publication:
    """One publication of a year of the calendar, as the registry's stream holds it."""

    version: int  # of the registry's stream
    at: datetime  # when the authority published it (as the server received it)
    actor: str
    key_id: str
    days: YearDays
    source: str


def publications(store: EventStore) -> list[Publication]:
    """Every publication of the working calendar, in the order the ledger received them (the
    stream is verified by whoever reads it as evidence: ``hoso audit``, the bundles)."""
    found: list[Publication] = []
    for stored in store.stream(REGISTRY_STREAM):
        if stored.topic != WorkingCalendarPublished.__name__:
            continue
        env = decode(stored.state)
        event = codec.event_of(env)
        assert isinstance(event, WorkingCalendarPublished)
        at = parse_instant(env.recorded_at) if env.recorded_at else env.occurred_at
        found.append(
            Publication(env.version, at, env.actor, env.key_id, event.days(), event.source)
        )
    return found
