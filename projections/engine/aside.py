"""A rebuild built aside and swapped in atomically (issue 16): a failed rebuild never leaves a
read model empty.

``hoso projections rebuild`` used to empty the live tables and replay the events into them: one
event the database could not take stopped the replay halfway, and every citizen lookup answered
404 from then on. Now every event is replayed, with handlers of its own, into *aside* tables
(``hoso_r_*``, beside the live ``hoso_p_*``) under an aside position; the live tables, their
position and their handlers serve on, untouched, all along. Only when the replay reached the
head is it swapped in, in one transaction per projection (``_View.swap_aside``): the live
tables dropped, the aside renamed into their place with the live indexes, its position made the
live one. A rebuild that fails (an event, the database, the process killed) changes nothing
live; its leftover aside tables are dropped on failure, or by the next rebuild.

The live followers (``hoso serve``) keep applying new events to the live tables during the
rebuild; after the swap they go on from the rebuilt position, so the events of the rebuild's
last moments are applied to the new tables once more by the next catch-up: the rows are upserts
and inserts keyed by (file, version) or position, and the swap takes the new position with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from projections.engine.batch import Batch
from projections.models.recorders import ASIDE

if TYPE_CHECKING:
    from projections.engine.runtime import ProjectionHost

ASIDE_SUFFIX = ":rebuild"


class AsideView:
    """A live view's writes redirected to its aside tables, under an aside position."""

    def __init__(self, live: Any, tracking_table: str) -> None:
        self.live = live
        self.tracking_table = tracking_table
        self.tracking_name = f"{live.tracking_name}{ASIDE_SUFFIX}"

    def write(self, batch: Batch, tracking: Tracking) -> None:
        self.live.write(batch, tracking, prefix=ASIDE)

    def max_tracking_id(self, application_name: str) -> int | None:
        result: int | None = self.live.max_tracking_id(application_name)
        return result

    def analyze(self) -> None:
        """Nothing yet: the statistics are refreshed under the live names after the swap."""

    def prepare(self) -> None:
        self.live.create_aside(self.tracking_table, self.tracking_name)

    def discard(self) -> None:
        self.live.drop_aside(self.tracking_table, self.tracking_name)

    def swap(self) -> None:
        self.live.swap_aside(self.tracking_table, self.tracking_name)


def rebuild_aside(
    host: ProjectionHost,
    names: Sequence[str],
    progress: Callable[[int], None] | None,
    batch: int,
    analyze_after: int,
) -> dict[str, int]:
    """Replay every event into aside tables for ``names``, then swap each in; the caller holds
    the host's lock. ``ProjectionFailed`` (the live read models unchanged) if the replay fails."""
    live_handlers, live_views = host.handlers, host.views
    asides = {name: AsideView(live_views[name], host.tracking_table(name)) for name in names}
    fresh = {name: host.fresh_handler(name) for name in names}
    for aside in asides.values():
        aside.prepare()
    host.handlers = {**live_handlers, **fresh}
    host.views = {**live_views, **asides}
    try:
        written = host.catch_up_unlocked(names, progress, batch, live=False)
    except BaseException:
        for aside in asides.values():
            aside.discard()
        raise
    finally:
        host.handlers, host.views = live_handlers, live_views
    for name, aside in asides.items():
        aside.swap()
        host.handlers[name] = fresh[name]
        host.clear_failure(name)
        if written.get(name, 0) >= analyze_after:
            live_views[name].analyze()
    return written
