"""Response documents of the transparency figures (công khai kết quả giải quyết hồ sơ): a
period's counts and shares, each unit's rank, with OpenAPI examples; shares are exact
percentages rendered as strings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from api.http.schemas.reads import INSTANT, with_examples
from ledger.encoding.canonical import format_instant
from projections.queries.figures import Figures, render_days, render_ratio

FIGURES_EXAMPLE: dict[str, Any] = {
    "period": "2026-02",
    "as_of": INSTANT,
    "unit": "PBADINH",
    "procedure": None,
    "received": {
        "in_person": 280,
        "online": 40,
        "postal": 0,
        "mobile_session": 0,
        "total": 320,
    },
    "resolved": {"early": 250, "on_time": 20, "late": 5, "total": 275},
    "in_progress": {"on_time": 40, "overdue": 1, "awaiting_supplement": 4, "total": 41},
    "refused": 2,
    "withdrawn": 1,
    "stopped": 0,
    "supplement_requests": 6,
    "apologies": 5,
    "ratings": {"satisfied": 100, "neutral": 3, "dissatisfied": 1},
    "processing_days_average": "0.85",
    "processing_days_median": "0.50",
    "on_time_rate": "98.18%",
    "online_share": "12.50%",
    "online_payment_share": "—",
    "satisfied_share": "96.15%",
    "progress": "98.10%",
    "receiving_satisfaction": "97.78%",
}


class FiguresModel(BaseModel):
    """Transparency figures; shares are exact percentages rendered as strings, "—" if undefined."""

    model_config = with_examples(FIGURES_EXAMPLE)
    period: str
    as_of: str
    unit: str | None
    procedure: str | None
    received: dict[str, int]
    resolved: dict[str, int]
    in_progress: dict[str, int]
    refused: int
    withdrawn: int
    stopped: int
    supplement_requests: int
    apologies: int
    ratings: dict[str, int]
    processing_days_average: str
    processing_days_median: str
    on_time_rate: str
    online_share: str
    online_payment_share: str
    satisfied_share: str
    progress: str
    receiving_satisfaction: str


class UnitRank(BaseModel):
    """One unit's place (1 = best; ties share a rank)."""

    model_config = with_examples(
        {
            "rank": 1,
            "unit": "PBADINH",
            "progress": "98.10%",
            "receiving_satisfaction": "97.78%",
            "on_time_rate": "98.18%",
            "online_share": "12.50%",
        }
    )
    rank: int
    unit: str
    progress: str
    receiving_satisfaction: str
    on_time_rate: str
    online_share: str


class TransparencyModel(BaseModel):
    """The figures asked for and, without a unit, every unit's rank."""

    model_config = with_examples({"figures": FIGURES_EXAMPLE, "ranking": []})
    figures: FiguresModel
    ranking: list[UnitRank]


def figures_model(f: Figures) -> FiguresModel:
    return FiguresModel(
        period=f.period.label,
        as_of=format_instant(f.as_of),
        unit=f.unit,
        procedure=f.procedure,
        received={**asdict(f.received), "total": f.received.total},
        resolved={**asdict(f.resolved), "total": f.resolved.total},
        in_progress={**asdict(f.in_progress), "total": f.in_progress.total},
        refused=f.refused,
        withdrawn=f.withdrawn,
        stopped=f.stopped,
        supplement_requests=f.supplement_requests,
        apologies=f.apologies,
        ratings=asdict(f.ratings),
        processing_days_average=render_days(f.processing_days_average),
        processing_days_median=render_days(f.processing_days_median),
        on_time_rate=render_ratio(f.on_time_rate),
        online_share=render_ratio(f.online_share),
        online_payment_share=render_ratio(f.online_payment_share),
        satisfied_share=render_ratio(f.satisfied_share),
        progress=render_ratio(f.progress),
        receiving_satisfaction=render_ratio(f.receiving_satisfaction),
    )
