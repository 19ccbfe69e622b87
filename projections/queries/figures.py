"""Transparency figures (công khai kết quả giải quyết hồ sơ) of a unit for a reporting period.

Pure functions over ``FileRow``s (one row per file, its state as it stands now): the storage that
keeps the rows is elsewhere. Every figure is an exact ``int`` or ``Fraction``; ``render_ratio`` and
``render_days`` turn them into rounded decimals at the edge. A ratio with nothing to divide by
is ``None`` and renders as "—".

A file is judged at its **processing end** (the portal's NgayKetThucXuLy,
``events.end_processing``): the result signed (processed, status 9), or, after acceptance,
refused, stopped or withdrawn; never at the return, so a citizen who collects late does not
make the office late. Its deadline is the statutory one as moved by the supplement waits; an
apology's new appointment does not excuse lateness. A second supplement request, or one after
the deadline, makes the file late.

Which period a count belongs to (local dates in Vietnam time, ``Period.contains``):

- *received*: ``received_at`` in the period, by channel.
- *ended* (đã giải quyết): files whose processing ended in the period, split early / on time
  / late by the verdict fixed there.
- *refused*, *withdrawn*, *stopped*: files closed that way in the period.
- *not accepted* (từ chối tiếp nhận): papers refused at the counter in the period; such files
  were never received, so they count in no other figure (Decision 766: "files never accepted
  do not count").
- *in progress* (đang giải quyết) "as of" ``min(period end, now)``: received before that instant
  and not ended before it. Overdue when the instant is past the file's deadline, or when a
  supplement request made it late; a file waiting for the citizen after one request made in
  time is judged at that request, so in time.
- *supplement requests* and *apologies*: the slips issued for files received in the period
  (the row keeps their number, not their dates, so they follow the file's receipt).
- *processing time*: over files received in the period whose result is signed (their end may
  fall later); office minutes from receipt to the processing end less the supplement waits, in
  working days (minutes ÷ minutes per working day).
- *online share*: online ÷ received. *Online payment share*: files paid online ÷ files charged
  a fee, among files received in the period.
- *satisfaction*: ratings of files closed in the period (returned or refused ones can be rated).

The files "received and processed in the period" of Decision 766 (``handled``) are the ended ones
plus those in progress at its end; ``projections.d766`` scores the indicators from these counts.

The rows are the files' present state: for a past period, whether a file that has since ended
was waiting for a supplement at the period's end is not known, so it is judged by its deadline.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from domain.calendar import WorkingCalendar, require_aware
from domain.deadlines import Timeliness, is_overdue
from domain.events import FileState, Rating
from domain.procedures import Channel
from projections.models.rows import FileRow
from projections.queries.periods import Period

__all__ = [
    "NO_VALUE",
    "ChannelCounts",
    "Figures",
    "InProgressCounts",
    "RatingCounts",
    "ResolvedCounts",
    "by_procedure",
    "ratio",
    "render_days",
    "render_ratio",
    "rounded",
    "transparency",
]

NO_VALUE = "—"


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """``numerator / denominator`` exactly, or ``None`` when there is nothing to divide by."""
    return Fraction(numerator, denominator) if denominator else None


def rounded(value: Fraction, places: int = 2) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals, exactly (no floats)."""
    scale = 10**places
    magnitude = (2 * abs(value.numerator) * scale + value.denominator) // (2 * value.denominator)
    sign = -1 if value < 0 else 1
    return Decimal(sign * magnitude).scaleb(-places)


def render_ratio(value: Fraction | None, places: int = 2) -> str:
    """A share as a percentage, ``"93.33%"``; ``"—"`` when undefined."""
    return NO_VALUE if value is None else f"{rounded(value * 100, places)}%"


def render_days(value: Fraction | None, places: int = 2) -> str:
    """Working days rounded, ``"1.52"``; ``"—"`` when undefined."""
    return NO_VALUE if value is None else str(rounded(value, places))


@dataclass(frozen=True)
class ChannelCounts:
    in_person: int = 0
    online: int = 0
    postal: int = 0
    mobile_session: int = 0

    @property
    def total(self) -> int:
        return self.in_person + self.online + self.postal + self.mobile_session


@dataclass(frozen=True)
class ResolvedCounts:
    """Processing ended in the period: trước hạn / đúng hạn / quá hạn."""

    early: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.early + self.on_time + self.late


@dataclass(frozen=True)
class InProgressCounts:
    """Not ended at the "as of" instant: in time (trong hạn) or overdue (quá hạn).

    ``awaiting_supplement`` (files waiting after one request made in time, judged at the
    request) is a part of ``on_time``.
    """

    on_time: int = 0
    overdue: int = 0
    awaiting_supplement: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.overdue


@dataclass(frozen=True)
class RatingCounts:
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.neutral + self.dissatisfied

    @property
    def satisfied_share(self) -> Fraction | None:
        return ratio(self.satisfied, self.total)


@dataclass(frozen=True)
class Figures:
    """The transparency figures of one unit (or all), one procedure (or all), one period."""

    period: Period
    as_of: datetime
    unit: str | None
    procedure: str | None
    received: ChannelCounts
    resolved: ResolvedCounts
    in_progress: InProgressCounts
    refused: int
    withdrawn: int
    stopped: int
    supplement_requests: int
    apologies: int
    processing_days_average: Fraction | None
    processing_days_median: Fraction | None
    fee_charged_files: int
    fee_paid_online_files: int
    ratings: RatingCounts
    handled_dissatisfied: int
    received_online_with_result: int = 0
    ended_with_result: int = 0
    procedures_paid_online: frozenset[str] = frozenset()
    not_accepted: int = 0  # refused at the counter (từ chối tiếp nhận): counted nowhere else
    minutes_per_day: int = field(default=480, repr=False)

    @property
    def handled(self) -> int:
        """Files received and processed in the period: resolved + in progress at its end."""
        return self.resolved.total + self.in_progress.total

    @property
    def late(self) -> int:
        """Handled files judged late: ended late, or overdue in progress."""
        return self.resolved.late + self.in_progress.overdue

    @property
    def on_time_rate(self) -> Fraction | None:
        """Ended early or on time ÷ ended."""
        return ratio(self.resolved.early + self.resolved.on_time, self.resolved.total)

    @property
    def online_share(self) -> Fraction | None:
        return ratio(self.received.online, self.received.total)

    @property
    def online_payment_share(self) -> Fraction | None:
        return ratio(self.fee_paid_online_files, self.fee_charged_files)

    @property
    def satisfied_share(self) -> Fraction | None:
        return self.ratings.satisfied_share

    @property
    def progress(self) -> Fraction | None:
        """Decision 766 (2.1): (ended early/on time + in progress in time) ÷ handled."""
        good = self.resolved.early + self.resolved.on_time + self.in_progress.on_time
        return ratio(good, self.handled)

    @property
    def receiving_satisfaction(self) -> Fraction | None:
        """Decision 766 (5.4): 100% − (late rate + rate of files rated dissatisfied), both over
        the handled files; may fall below zero when the two overlap, shown as it is."""
        if not self.handled:
            return None
        return (
            1
            - Fraction(self.late, self.handled)
            - Fraction(self.handled_dissatisfied, self.handled)
        )


def _in(period: Period, at: datetime | None) -> bool:
    return at is not None and period.contains(at)


def _median(values: list[Fraction]) -> Fraction | None:
    return statistics.median(values) if values else None


def _selected(row: FileRow, unit: str | None, procedure: str | None) -> bool:
    return (unit is None or row.unit == unit) and (procedure is None or row.procedure == procedure)


def transparency(
    rows: Iterable[FileRow],
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
    procedure: str | None = None,
) -> Figures:
    """The figures of ``period`` for ``unit`` and ``procedure`` (all when ``None``).

    Counts are attributed as the module docstring says; in-progress files are taken as of
    ``min(period end, now)``.
    """
    require_aware(now, "now")
    as_of = min(period.end_at, now)
    per_day = calendar.office_hours.minutes_per_day
    channels = dict.fromkeys((c.value for c in Channel), 0)
    timeliness = dict.fromkeys((t.value for t in Timeliness), 0)
    ratings = dict.fromkeys((r.value for r in Rating), 0)
    closed = dict.fromkeys((FileState.REFUSED, FileState.WITHDRAWN, FileState.STOPPED), 0)
    on_time = overdue = waiting = 0
    supplements = apologies = fee_charged = fee_online = dissatisfied = 0
    online_result = with_result = 0
    paid_online: set[str] = set()
    days: list[Fraction] = []
    started = period.start_at < as_of
    not_accepted = 0  # a period still to come has nothing in progress
    for row in rows:
        if not _selected(row, unit, procedure):
            continue
        if row.state == FileState.NOT_ACCEPTED:  # never accepted: in no figure but its own
            not_accepted += period.contains(row.received_at)
            continue
        if period.contains(row.received_at):
            channels[row.channel] += 1
            supplements += row.supplements
            apologies += row.apologies
            if row.fee_paid_vnd > 0 or row.fee_due_vnd > 0:
                fee_charged += 1
                fee_online += row.fee_paid_online
                if row.fee_paid_online:
                    paid_online.add(row.procedure)
            if row.signed_at is not None:
                assert row.processing_minutes is not None
                days.append(Fraction(row.processing_minutes, per_day))
                online_result += row.channel == Channel.ONLINE
        if _in(period, row.closed_at):
            if row.rating is not None:
                ratings[row.rating] += 1
            state = FileState(row.state)
            if state in closed:
                closed[state] += 1
        end = row.processing_ended_at
        if end is not None and end < as_of and _in(period, end):
            assert row.timeliness is not None
            timeliness[row.timeliness] += 1
            with_result += row.signed_at is not None
        elif started and row.received_at < as_of and (end is None or end >= as_of):
            awaiting = end is None and row.state == FileState.AWAITING_SUPPLEMENT
            if row.late_by_supplement or (not awaiting and is_overdue(as_of, row.due_at)):
                overdue += 1
            else:  # in time; waiting after one request made in time: judged at the request
                on_time += 1
                waiting += awaiting
        else:
            continue
        dissatisfied += row.rating == Rating.DISSATISFIED
    return Figures(
        period=period,
        as_of=as_of,
        unit=unit,
        procedure=procedure,
        received=ChannelCounts(**channels),
        resolved=ResolvedCounts(**timeliness),
        in_progress=InProgressCounts(on_time=on_time, overdue=overdue, awaiting_supplement=waiting),
        refused=closed[FileState.REFUSED],
        withdrawn=closed[FileState.WITHDRAWN],
        stopped=closed[FileState.STOPPED],
        supplement_requests=supplements,
        apologies=apologies,
        processing_days_average=sum(days, Fraction(0)) / len(days) if days else None,
        processing_days_median=_median(days),
        fee_charged_files=fee_charged,
        fee_paid_online_files=fee_online,
        ratings=RatingCounts(**ratings),
        handled_dissatisfied=dissatisfied,
        received_online_with_result=online_result,
        ended_with_result=with_result,
        procedures_paid_online=frozenset(paid_online),
        not_accepted=not_accepted,
        minutes_per_day=per_day,
    )


def by_procedure(
    rows: Iterable[FileRow],
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    unit: str | None = None,
) -> dict[str, Figures]:
    """The figures of each procedure that has rows (of ``unit``, if given), by procedure code."""
    materialised = [row for row in rows if unit is None or row.unit == unit]
    codes = sorted({row.procedure for row in materialised})
    return {
        code: transparency(
            materialised, period, now=now, calendar=calendar, unit=unit, procedure=code
        )
        for code in codes
    }
