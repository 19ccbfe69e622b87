"""What the public dashboard draws (issue 18): the on-time share month by month, the channels files
came in by, and how long each procedure took, from the same rows and rules as the transparency
figures (``projections.queries.figures``), so a chart never tells another story than the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from domain.calendar import WorkingCalendar
from domain.procedures import Channel
from projections.models.rows import FileRow
from projections.queries.figures import ratio, transparency
from projections.queries.periods import Period

__all__ = [
    "DAY_BINS",
    "MonthPoint",
    "channel_mix",
    "on_time_trend",
    "processing_spread",
]


@dataclass(frozen=True)
class MonthPoint:
    """One period of the trend as Decision 766 indicator 2.1 counts it: the files handled
    (ended in it, or in progress at its end) and those in time (ended early or on time, or in
    progress and not overdue)."""

    period: Period
    handled: int
    in_time: int

    @property
    def share(self) -> Fraction | None:
        return ratio(self.in_time, self.handled)


def on_time_trend(
    rows: Sequence[FileRow],
    periods: Iterable[Period],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
) -> list[MonthPoint]:
    """Indicator 2.1 of each period (``Figures.progress``'s numerator and denominator)."""
    points = []
    for period in periods:
        f = transparency(rows, period, now=now, calendar=calendar, unit=unit)
        good = f.resolved.early + f.resolved.on_time + f.in_progress.on_time
        points.append(MonthPoint(period, f.handled, good))
    return points


def channel_mix(
    rows: Sequence[FileRow],
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
) -> dict[Channel, int]:
    """Files received in ``period`` by channel (in person, online, post, mobile session)."""
    received = transparency(rows, period, now=now, calendar=calendar, unit=unit).received
    return {c: int(getattr(received, c.value)) for c in Channel}


DAY_BINS: tuple[tuple[Fraction, Fraction | None, str], ...] = (
    (Fraction(0), Fraction(1, 2), "< ½ day"),
    (Fraction(1, 2), Fraction(1), "½–1 day"),
    (Fraction(1), Fraction(3), "1–3 days"),
    (Fraction(3), Fraction(7), "3–7 days"),
    (Fraction(7), Fraction(15), "7–15 days"),
    (Fraction(15), None, "≥ 15 days"),
)
"""Working days from receipt to a signed result, as the dashboard groups them."""


def processing_spread(
    rows: Iterable[FileRow],
    period: Period,
    *,
    calendar: WorkingCalendar,
    unit: str | None = None,
) -> dict[str, list[int]]:
    """Per procedure, files received in ``period`` with a signed result, counted in ``DAY_BINS``
    by their processing time in working days (the figures' processing time, 2.2)."""
    per_day = calendar.office_hours.minutes_per_day
    spread: dict[str, list[int]] = {}
    for row in rows:
        if unit is not None and row.unit != unit:
            continue
        if row.signed_at is None or row.processing_minutes is None:
            continue
        if not period.contains(row.received_at):
            continue
        days = Fraction(row.processing_minutes, per_day)
        counts = spread.setdefault(row.procedure, [0] * len(DAY_BINS))
        for i, (low, high, _label) in enumerate(DAY_BINS):
            if days >= low and (high is None or days < high):
                counts[i] += 1
                break
    return dict(sorted(spread.items()))
