"""Transparency figures over HTTP (công khai kết quả giải quyết hồ sơ): a period's counts and
shares for a unit or a procedure, their Decision 766 score card and, without a unit, every unit
ranked by total score, from the projections (``projections.d766``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from api.bootstrap import open_log
from api.http.middleware import problem_responses
from api.http.routes.common import AUTH, Caller, invalid, reads_router
from api.http.schemas.figures import (
    CheckpointRef,
    TransparencyModel,
    figures_model,
    score_model,
    unit_rank,
)
from api.http.schemas.reads import PERIOD_PATTERN, PROCEDURE_PATTERN, UNIT_PATTERN
from api.http.state import ledger_of
from projections.d766.scorecard import rank, score_card
from projections.errors import PeriodError
from projections.queries.periods import PeriodKind, parse_period, period_containing
from projections.queries.reads import file_rows

router = reads_router()


@router.get(
    "/transparency",
    summary="Transparency figures and the units' ranking",
    description="Công khai kết quả giải quyết hồ sơ for a period (`2026-07-15`, `2026-07`, "
    "`2026-Q3`, `2026`; the current month when omitted): counts, shares as exact percentages "
    'rendered as strings (`"85.21%"`, `"—"` when undefined), the Decision 766 score card (each '
    'indicator with its points, or "not captured") and, without `unit`, every unit ranked by '
    "its total score, with the latest signed checkpoint (`hoso transparency --at-checkpoint` "
    "recomputes figures from the log's entries at a checkpoint).",
    responses=problem_responses(*AUTH),
)
def read_transparency(
    request: Request,
    who: Caller,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN, examples=["2026-02"])] = None,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, examples=["PBADINH"])] = None,
    procedure: Annotated[
        str | None, Query(pattern=PROCEDURE_PATTERN, examples=["certified_copy"])
    ] = None,
) -> TransparencyModel:
    ledger = ledger_of(request)
    now = ledger.clock()
    try:
        chosen = parse_period(period) if period else period_containing(PeriodKind.MONTH, now)
    except PeriodError as e:
        raise invalid("query.period", str(e)) from e
    rows = file_rows(ledger.store)
    calendar = ledger.read_calendar()
    card = score_card(rows, chosen, now=now, calendar=calendar, unit=unit, procedure=procedure)
    ranking = [] if unit else rank(rows, chosen, now=now, calendar=calendar)
    latest = open_log(ledger).latest_checkpoint()
    pinned = None if latest is None else CheckpointRef(size=latest.size, root=latest.root.hex())
    return TransparencyModel(
        figures=figures_model(card.figures),
        score=score_model(card),
        ranking=[unit_rank(r) for r in ranking],
        checkpoint=pinned,
    )
