"""The working calendar over HTTP (lịch làm việc): the years the authority published in the
ledger, which every deadline is computed from, so the provincial system shows the same due
dates and an inspector sees which publication was in force (``ledger.chain.calendar``)."""

from __future__ import annotations

from fastapi import Request

from api.errors import Problem
from api.http.middleware import problem_responses
from api.http.routes.common import AUTH, Caller, reads_router
from api.http.schemas.calendar import YEAR_EXAMPLE, YearModel, year_model
from api.http.state import ledger_of
from ledger.chain.calendar import Publication, publications

router = reads_router()


def _by_year(request: Request) -> dict[int, list[Publication]]:
    years: dict[int, list[Publication]] = {}
    for p in publications(ledger_of(request).store):
        years.setdefault(p.days.year, []).append(p)
    return years


@router.get(
    "/calendar",
    summary="The working calendar in force, year by year",
    description="Each year the authority published (lịch làm việc: public holidays with their "
    "substitute days off, make-up working days, extra days off), as it is in force, with every "
    "signed publication of it. A step in a year not listed is refused (409 "
    "`calendar-not-published`).",
    responses={
        **problem_responses(*AUTH),
        200: {
            "description": "The years published, in order.",
            "content": {"application/json": {"example": [YEAR_EXAMPLE]}},
        },
    },
)
def read_calendar(request: Request, who: Caller) -> list[YearModel]:
    return [year_model(history) for _year, history in sorted(_by_year(request).items())]


@router.get(
    "/calendar/{year}",
    summary="One year of the working calendar",
    description="The year as it is in force and every signed publication of it, in log order.",
    responses=problem_responses(*AUTH, 404),
)
def read_calendar_year(request: Request, who: Caller, year: int) -> YearModel:
    history = _by_year(request).get(year)
    if history is None:
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"the working calendar of {year} is not published",
        )
    return year_model(history)
