"""The one textual form of an instant in envelopes: UTC, microseconds, ``Z`` (e.g.
``2026-11-23T07:51:48.123456Z``). Anything else is refused, so every instant has one encoding."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ledger.errors import MalformedEnvelope

# ASCII digits only and ``\Z`` (not ``$``, which also matches before a final newline), so that
# ``INSTANT_FORM.match`` accepts exactly the texts ``format_instant`` writes.
INSTANT_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z")


def format_instant(at: datetime) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise MalformedEnvelope(f"instant {at!r} has no time zone")
    utc = at if at.tzinfo is UTC else at.astimezone(UTC)
    # isoformat ends in "+00:00" for UTC and pads the year to four digits (strftime's %Y does
    # not, on glibc, below year 1000); for years from 1000 both give the same text.
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_instant(text: str) -> datetime:
    if not INSTANT_FORM.match(text):
        raise MalformedEnvelope(f"instant {text!r} is not of the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        # The pattern fixed the form; fromisoformat reads the final "Z" as UTC (Python 3.11+).
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise MalformedEnvelope(f"instant {text!r} is not a real date and time") from e
