"""The one textual form of an instant in envelopes: UTC, microseconds, ``Z`` (e.g.
``2026-11-23T07:51:48.123456Z``). Anything else is refused, so every instant has one encoding."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ledger.errors import MalformedEnvelope

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def format_instant(at: datetime) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise MalformedEnvelope(f"instant {at!r} has no time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    if not _INSTANT.match(text):
        raise MalformedEnvelope(f"instant {text!r} is not of the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as e:
        raise MalformedEnvelope(f"instant {text!r} is not a real date and time") from e
