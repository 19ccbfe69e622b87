"""A unit's work queue over HTTP: the open files it holds now, the most pressing appointment
first, from the projections (``projections.queries.queues``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request

from api.http.auth import forbidden
from api.http.middleware import problem_responses
from api.http.routes.common import AUTH, Caller, reads_router
from api.http.schemas.reads import (
    ACTOR_PATTERN,
    UNIT_PATTERN,
    DeskModel,
    QueueEntryModel,
    QueueModel,
)
from api.http.state import ledger_of
from ledger.encoding.canonical import format_instant
from projections.queries.queues import queue
from projections.queries.reads import file_rows

router = reads_router()


@router.get(
    "/queues/{unit}",
    summary="A unit's work queue",
    description="The open files the unit holds now (received by it or held by it as the "
    "agency), optionally of one department or officer: the most pressing appointment first; "
    "files waiting for the citizen's papers apart (their clock is stopped). From the projection.",
    responses=problem_responses(*AUTH),
)
def read_queue(
    request: Request,
    who: Caller,
    unit: Annotated[str, Path(pattern=UNIT_PATTERN, examples=["PBADINH"])],
    department: Annotated[
        str | None, Query(min_length=1, max_length=100, examples=["tu-phap"])
    ] = None,
    officer: Annotated[
        str | None, Query(pattern=ACTOR_PATTERN, max_length=64, examples=["an"])
    ] = None,
) -> QueueModel:
    if not (who.reads_everything() or who.acts_for(unit)):
        raise forbidden(f"{who.actor} does not work for unit {unit}")
    ledger = ledger_of(request)
    rows = file_rows(
        ledger.store, "closed_at IS NULL AND (unit = ? OR holder_agency = ?)", (unit, unit)
    )
    now = ledger.clock()
    q = queue(
        rows,
        now=now,
        calendar=ledger.read_calendar(),
        unit=unit,
        department=department,
        officer=officer,
    )

    def entry(e: Any) -> QueueEntryModel:
        return QueueEntryModel(
            code=e.code,
            procedure=e.procedure,
            state=e.state,
            holder=DeskModel(
                officer=e.holder_officer, department=e.holder_department, agency=e.holder_agency
            ),
            since=format_instant(e.since),
            appointment_at=format_instant(e.appointment),
            minutes_left=e.minutes_left,
            overdue=e.overdue,
            due_within_a_day=e.due_within_a_day,
        )

    return QueueModel(
        unit=unit,
        department=department,
        officer=officer,
        now=format_instant(now),
        overdue=q.overdue,
        due_within_a_day=q.due_within_a_day,
        entries=[entry(e) for e in q.entries],
        awaiting_supplement=[entry(e) for e in q.awaiting_supplement],
    )
