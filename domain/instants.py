"""Instants as the procedure takes them (thời điểm): aware, and within the years a one-stop
centre's file can live in, so that no working-day arithmetic on them can overflow (issue 16: a
year-9999 date gave a 500) and no appointment lands in a year no procedure reaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.errors import InvalidValue

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
APPOINTMENT_HORIZON = timedelta(days=366)
"""How far an apology may move the appointment past the moment it is issued. No statutory
procedure takes a year; a date beyond that is a typo (9999-12-31), not a plan. It is part of
the rule, so the audit's replay and every install judge a history alike."""


def instant(value: datetime, what: str) -> datetime:
    """``value`` if it carries a time zone and lies in 2000..2199, else ``InvalidValue``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{what} must carry a time zone")
    if not EARLIEST <= value < LATEST:
        raise InvalidValue(f"{what} {value.isoformat()} is outside the years 2000 to 2199")
    return value


def new_appointment(value: datetime, at: datetime) -> datetime:
    """An apology's new appointment: an instant at most ``APPOINTMENT_HORIZON`` after ``at``."""
    instant(value, "new appointment")
    if value - at > APPOINTMENT_HORIZON:
        raise InvalidValue(
            f"the new appointment {value.date().isoformat()} is more than "
            f"{APPOINTMENT_HORIZON.days} days after the apology; no procedure takes that long"
        )
    return value
