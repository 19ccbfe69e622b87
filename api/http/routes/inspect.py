"""The inspector's indexes over HTTP: every action (event) filtered by actor, unit, type and
time, and the officers' workload, from the projections (``projections.queries``). Inspectors
read every unit; a unit administrator reads the actions of their own unit only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AwareDatetime

from api.http.auth import forbidden, require
from api.http.middleware import problem_responses
from api.http.routes.common import AUTH, invalid, reads_router
from api.http.schemas.reads import (
    ACTOR_PATTERN,
    EARLIEST,
    LATEST,
    TYPE_PATTERN,
    UNIT_PATTERN,
    ActionModel,
    LoadModel,
)
from api.http.state import ledger_of
from api.tokens import ApiRole, Principal
from ledger.encoding.canonical import format_instant
from projections.queries.reads import actions, workload

router = reads_router()


def _instant(value: datetime | None, where: str) -> datetime | None:
    if value is not None and not EARLIEST <= value.year <= LATEST:
        raise invalid(where, f"the year must be in {EARLIEST}..{LATEST}")
    return value


@router.get(
    "/inspect/actions",
    summary="The inspector's index of actions",
    description="Every action (event), filtered by actor, unit, type and time [from, to), in "
    "log order, each pointing at its file and its leaf (null until integrated). Inspectors "
    "read every unit; a unit administrator reads their own unit only.",
    responses={
        **problem_responses(*AUTH),
        200: {
            "description": "Actions in log order.",
            "content": {
                "application/json": {
                    "example": [
                        {
                            "position": 361,
                            "code": "PBADINH-261120-0042",
                            "version": 4,
                            "type": "ResultSigned",
                            "actor": "phochutich1",
                            "unit": "PBADINH",
                            "occurred_at": "2026-11-20T03:11:00.000000Z",
                            "leaf_index": 360,
                        }
                    ]
                }
            },
        },
    },
)
def read_actions(
    request: Request,
    who: Annotated[Principal, Depends(require(ApiRole.INSPECTOR, ApiRole.UNIT_ADMIN))],
    actor: Annotated[str | None, Query(pattern=ACTOR_PATTERN, examples=["an"])] = None,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, examples=["PBADINH"])] = None,
    type_: Annotated[
        str | None, Query(alias="type", pattern=TYPE_PATTERN, examples=["FileHandedOff"])
    ] = None,
    start: Annotated[
        AwareDatetime | None, Query(alias="from", examples=["2026-02-12T00:00:00Z"])
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(alias="to", examples=["2026-02-13T00:00:00Z"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActionModel]:
    if not who.reads_everything():
        if unit is not None and unit != who.unit:
            raise forbidden(f"{who.actor} administers unit {who.unit}, not {unit}")
        unit = who.unit
    found = actions(
        ledger_of(request).store,
        actor=actor,
        unit=unit,
        type_=type_,
        start=_instant(start, "query.from"),
        end=_instant(end, "query.to"),
        limit=limit,
    )
    return [
        ActionModel(
            position=a.position,
            code=a.code,
            version=a.version,
            type=a.type,
            actor=a.actor,
            unit=a.unit,
            occurred_at=format_instant(a.occurred_at),
            leaf_index=a.leaf_index,
        )
        for a in found
    ]


@router.get(
    "/inspect/workload",
    summary="Officers' workload",
    description="Per officer: files held now, files handled, late files and the office minutes "
    "they held late files; the longest late holders first. Inspectors only.",
    responses={
        **problem_responses(*AUTH),
        200: {
            "description": "Officers, longest late holders first.",
            "content": {
                "application/json": {
                    "example": [
                        {
                            "officer": "tu1",
                            "holding_now": 31,
                            "handled": 100,
                            "late_files": 21,
                            "late_holding_minutes": 6798,
                        }
                    ]
                }
            },
        },
    },
)
def read_workload(
    request: Request,
    who: Annotated[Principal, Depends(require(ApiRole.INSPECTOR))],
) -> list[LoadModel]:
    ledger = ledger_of(request)
    loads = workload(ledger.store, now=ledger.clock(), calendar=ledger.read_calendar())
    return [
        LoadModel(
            officer=x.officer,
            holding_now=x.holding_now,
            handled=x.handled,
            late_files=x.late_files,
            late_holding_minutes=x.late_holding_minutes,
        )
        for x in loads
    ]
