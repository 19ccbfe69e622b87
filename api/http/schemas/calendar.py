"""Response documents of the working calendar (lịch làm việc): each year in force, with the
publication it comes from, and that year's history of publications."""

from __future__ import annotations

from pydantic import BaseModel

from api.http.schemas.reads import INSTANT, with_examples
from ledger.chain.calendar import Publication
from ledger.encoding.canonical import format_instant

PUBLICATION_EXAMPLE = {
    "published_at": INSTANT,
    "actor": "authority",
    "key_id": "9bda767e72e0b75f0f0e9c4d2a1b3c4d",
    "registry_version": 4,
    "source": "Thông báo 1/TB-VPCP",
}


YEAR_EXAMPLE = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-04"],
    "makeup_working_days": [],
    "extra_days_off": ["2027-06-04"],
    "publications": [PUBLICATION_EXAMPLE],
}


class PublicationModel(BaseModel):
    """One signed publication of a year: when the ledger received it, by whom, with which
    key, as which entry of the key registry's stream, following which decision."""

    model_config = with_examples(PUBLICATION_EXAMPLE)
    published_at: str
    actor: str
    key_id: str
    registry_version: int
    source: str


class YearModel(BaseModel):
    """A year as it is in force: the days that are not Monday-to-Friday work (ISO dates), and
    every publication of it, the last one in force."""

    model_config = with_examples(YEAR_EXAMPLE)
    year: int
    holidays: list[str]
    makeup_working_days: list[str]
    extra_days_off: list[str]
    publications: list[PublicationModel]


def year_model(history: list[Publication]) -> YearModel:
    """The year of ``history`` (its publications, in log order) as it is in force."""
    days = history[-1].days
    return YearModel(
        year=days.year,
        holidays=[d.isoformat() for d in sorted(days.holidays)],
        makeup_working_days=[d.isoformat() for d in sorted(days.makeup_working_days)],
        extra_days_off=[d.isoformat() for d in sorted(days.extra_days_off)],
        publications=[
            PublicationModel(
                published_at=format_instant(p.at),
                actor=p.actor,
                key_id=p.key_id,
                registry_version=p.version,
                source=p.source,
            )
            for p in history
        ],
    )
