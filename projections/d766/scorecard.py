"""Score cards (bảng điểm Bộ chỉ số 766) per unit, per procedure and per period, the total score and
the units' ranking by it, as the portal ranks them (total score first, not one indicator).

Pure: rows in, cards out (``projections.queries.figures`` makes the counts, ``indicators`` the
indicators and their points). The total is the sum of the points of the captured indicators, out
of the points those indicators can give (``attainable``); the indicators not captured give none
and are listed as such, never as zeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from domain.calendar import WorkingCalendar
from domain.deadlines import TimeUnit
from domain.procedures import CATALOGUE, Procedure
from projections.d766.indicators import Indicator, indicators
from projections.models.rows import FileRow
from projections.queries.figures import Figures, transparency
from projections.queries.periods import Period

__all__ = ["ProcessingTime", "RankedUnit", "ScoreCard", "processing_times", "rank", "score_card"]


@dataclass(frozen=True)
class ProcessingTime:
    """2.2 of one procedure: the average in the procedure's own unit (working days, or working
    hours for procedures counted in hours or resolved the same day)."""

    procedure: str
    files: int
    average: Fraction | None
    unit: str  # "working days" or "working hours"


@dataclass(frozen=True)
class ScoreCard:
    figures: Figures
    indicators: tuple[Indicator, ...]
    processing_times: tuple[ProcessingTime, ...]

    @property
    def total(self) -> Fraction:
        """The points scored by the captured indicators (an undefined rate scores none)."""
        return sum((i.points for i in self.indicators if i.points is not None), Fraction(0))

    @property
    def attainable(self) -> int:
        """The points the captured, scored indicators can give (of the 100 in all)."""
        return sum(i.max_points or 0 for i in self.indicators if i.captured)

    def get(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)


@dataclass(frozen=True)
class RankedUnit:
    """One unit's place (1 = best; equal totals share a rank)."""

    rank: int
    unit: str
    card: ScoreCard


def _hours(procedure: Procedure | None) -> bool:
    return procedure is not None and procedure.time.unit is not TimeUnit.WORKING_DAYS


def processing_times(
    rows: Iterable[FileRow],
    period: Period,
    *,
    calendar: WorkingCalendar,
    unit: str | None = None,
    catalogue: Mapping[str, Procedure] = CATALOGUE,
) -> tuple[ProcessingTime, ...]:
    """2.2 per procedure: files received (processing started) in ``period`` whose result is
    signed, office time from receipt to processing end less the supplement waits, averaged."""
    minutes: dict[str, list[int]] = {}
    for row in rows:
        if unit is not None and row.unit != unit:
            continue
        if row.signed_at is None or not period.contains(row.received_at):
            continue
        assert row.processing_minutes is not None
        minutes.setdefault(row.procedure, []).append(row.processing_minutes)
    per_day = calendar.office_hours.minutes_per_day
    out = []
    for code in sorted(minutes):
        hours = _hours(catalogue.get(code))
        divisor = 60 if hours else per_day
        values = minutes[code]
        average = Fraction(sum(values), len(values) * divisor)
        out.append(
            ProcessingTime(code, len(values), average, "working hours" if hours else "working days")
        )
    return tuple(out)


def score_card(
    rows: Iterable[FileRow],
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
    procedure: str | None = None,
    catalogue: Mapping[str, Procedure] = CATALOGUE,
) -> ScoreCard:
    """The score card of ``unit`` (all when ``None``) and ``procedure`` for ``period``."""
    materialised = list(rows)
    figures = transparency(
        materialised, period, now=now, calendar=calendar, unit=unit, procedure=procedure
    )
    chosen = [r for r in materialised if procedure is None or r.procedure == procedure]
    times = processing_times(chosen, period, calendar=calendar, unit=unit, catalogue=catalogue)
    return ScoreCard(figures, tuple(indicators(figures, catalogue)), times)


def rank(
    rows: Iterable[FileRow],
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    catalogue: Mapping[str, Procedure] = CATALOGUE,
) -> list[RankedUnit]:
    """Every unit of ``rows`` ranked by its total score (higher first; then by unit code)."""
    materialised = list(rows)
    cards = {
        u: score_card(materialised, period, now=now, calendar=calendar, unit=u, catalogue=catalogue)
        for u in sorted({row.unit for row in materialised})
    }
    ordered = sorted(cards.items(), key=lambda uc: (-uc[1].total, uc[0]))
    out: list[RankedUnit] = []
    for position, (u, card) in enumerate(ordered, start=1):
        tied = out and out[-1].card.total == card.total
        out.append(RankedUnit(out[-1].rank if tied else position, u, card))
    return out
