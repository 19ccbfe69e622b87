"""Transparency figures over HTTP (công khai kết quả giải quyết hồ sơ): a period's counts and
shares for a unit or a procedure and, without a unit, every unit ranked by Decision 766
progress, from the projections (``projections.queries.figures``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from api.http.middleware import problem_responses
from api.http.routes.common import AUTH, Caller, invalid, reads_router
from api.http.schemas.figures import TransparencyModel, UnitRank, figures_model
from api.http.schemas.reads import PERIOD_PATTERN, PROCEDURE_PATTERN, UNIT_PATTERN
from api.http.state import ledger_of
from projections.errors import PeriodError
from projections.queries.figures import rank_units, render_ratio, transparency
from projections.queries.periods import parse_period
from projections.queries.reads import file_rows

router = reads_router()


@router.get(
    "/transparency",
    summary="Transparency figures and the units' ranking",
    description="Công khai kết quả giải quyết hồ sơ for a period (`2026-07-15`, `2026-07`, "
    '`2026-Q3`, `2026`): counts, shares as exact percentages rendered as strings (`"85.21%"`, '
    '`"—"` when undefined), and, without `unit`, every unit ranked by Decision 766 progress.',
    responses=problem_responses(*AUTH),
)
def read_transparency(
    request: Request,
    who: Caller,
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, examples=["2026-02"])],
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, examples=["PBADINH"])] = None,
    procedure: Annotated[
        str | None, Query(pattern=PROCEDURE_PATTERN, examples=["certified_copy"])
    ] = None,
) -> TransparencyModel:
    try:
        chosen = parse_period(period)
    except PeriodError as e:
        raise invalid("query.period", str(e)) from e
    ledger = ledger_of(request)
    rows = file_rows(ledger.store)
    now = ledger.clock()
    figures = transparency(
        rows, chosen, now=now, calendar=ledger.calendar, unit=unit, procedure=procedure
    )
    ranking = [] if unit else rank_units(rows, chosen, now=now, calendar=ledger.calendar)
    return TransparencyModel(
        figures=figures_model(figures),
        ranking=[
            UnitRank(
                rank=s.rank,
                unit=s.unit,
                progress=render_ratio(s.figures.progress),
                receiving_satisfaction=render_ratio(s.figures.receiving_satisfaction),
                on_time_rate=render_ratio(s.figures.on_time_rate),
                online_share=render_ratio(s.figures.online_share),
            )
            for s in ranking
        ],
    )
