"""Response documents of the transparency figures (công khai kết quả giải quyết hồ sơ): a
period's counts and shares, the Decision 766 score card (each indicator with its points, or
"not captured"), each unit's rank by total score, with OpenAPI examples; shares are exact
percentages and points exact values rendered as strings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from api.http.schemas.reads import INSTANT, with_examples
from ledger.encoding.canonical import format_instant
from projections.d766.indicators import Indicator
from projections.d766.scorecard import ProcessingTime, RankedUnit, ScoreCard
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
    "not_accepted": 3,
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
    not_accepted: int
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


class IndicatorModel(BaseModel):
    """One Decision 766 indicator: its rate (or days for 2.2), its points out of its maximum;
    ``captured`` false (and no value) when the ledger does not hold its data."""

    model_config = with_examples(
        {
            "code": "2.1",
            "name_vi": "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
            "name_en": "Handled early or on time",
            "captured": True,
            "value": "98.10%",
            "numerator": 310,
            "denominator": 316,
            "points": "19.62",
            "max_points": 20,
            "note": "",
        }
    )
    code: str
    name_vi: str
    name_en: str
    captured: bool
    value: str | None
    numerator: int | None
    denominator: int | None
    points: str | None
    max_points: int | None
    note: str


class ProcessingTimeModel(BaseModel):
    """2.2 of one procedure, in its own unit."""

    model_config = with_examples(
        {"procedure": "certified_copy", "files": 120, "average": "1.25", "unit": "working hours"}
    )
    procedure: str
    files: int
    average: str
    unit: str


class ScoreModel(BaseModel):
    """The score card: the total of the captured indicators out of what they can give."""

    model_config = with_examples({"total": "35.62", "attainable": 40, "indicators": []})
    total: str
    attainable: int
    indicators: list[IndicatorModel]
    processing_times: list[ProcessingTimeModel] = []


class UnitRank(BaseModel):
    """One unit's place by total score (1 = best; equal totals share a rank)."""

    model_config = with_examples(
        {
            "rank": 1,
            "unit": "PBADINH",
            "total": "35.62",
            "progress": "98.10%",
            "receiving_satisfaction": "97.78%",
            "on_time_rate": "98.18%",
            "online_share": "12.50%",
        }
    )
    rank: int
    unit: str
    total: str
    progress: str
    receiving_satisfaction: str
    on_time_rate: str
    online_share: str


class CheckpointRef(BaseModel):
    """The signed checkpoint (tree size and root, hex) the log stood at when the figures were
    computed; ``hoso transparency --at-checkpoint SIZE`` recomputes them from the log's entries
    alone."""

    model_config = with_examples({"size": 5916, "root": "ebe7f231" + "0" * 56})
    size: int
    root: str


class TransparencyModel(BaseModel):
    """The figures asked for, their score card and, without a unit, every unit's rank."""

    model_config = with_examples(
        {
            "figures": FIGURES_EXAMPLE,
            "score": {"total": "35.62", "attainable": 40, "indicators": []},
            "ranking": [],
        }
    )
    figures: FiguresModel
    score: ScoreModel
    ranking: list[UnitRank]
    checkpoint: CheckpointRef | None = None


def _indicator(i: Indicator) -> IndicatorModel:
    value = i.shown if i.captured else None
    return IndicatorModel(
        code=i.code,
        name_vi=i.name_vi,
        name_en=i.name_en,
        captured=i.captured,
        value=value,
        numerator=i.numerator,
        denominator=i.denominator,
        points=None if i.points is None else render_days(i.points),
        max_points=i.max_points,
        note=i.note,
    )


def _time(t: ProcessingTime) -> ProcessingTimeModel:
    return ProcessingTimeModel(
        procedure=t.procedure, files=t.files, average=render_days(t.average), unit=t.unit
    )


def score_model(card: ScoreCard) -> ScoreModel:
    return ScoreModel(
        total=render_days(card.total),
        attainable=card.attainable,
        indicators=[_indicator(i) for i in card.indicators],
        processing_times=[_time(t) for t in card.processing_times],
    )


def unit_rank(r: RankedUnit) -> UnitRank:
    f = r.card.figures
    return UnitRank(
        rank=r.rank,
        unit=r.unit,
        total=render_days(r.card.total),
        progress=render_ratio(f.progress),
        receiving_satisfaction=render_ratio(f.receiving_satisfaction),
        on_time_rate=render_ratio(f.on_time_rate),
        online_share=render_ratio(f.online_share),
    )


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
        not_accepted=f.not_accepted,
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
