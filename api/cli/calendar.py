"""``hoso calendar``: the working calendar the ledger computes every deadline from (lịch làm việc),
each year published in the ledger and signed by the authority."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.bootstrap import AUTHORITY, open_log
from api.cli.base import DataOpt, DbOpt, now, opened, out
from api.errors import CliError
from api.settings import DEFAULT_DATA
from domain.calendar import VN_TZ
from domain.errors import DomainError
from domain.working_year import YearDays
from ledger.chain.calendar import Publication, publications
from signing import KeyDirectory
from signing.registry import REGISTRY_STREAM

calendar_app = typer.Typer(
    help="The working calendar: each year's holidays and make-up days, signed in the ledger.",
    no_args_is_help=True,
)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Dates = Annotated[list[str] | None, typer.Option(metavar="YYYY-MM-DD")]


def _day(d: date) -> str:
    return f"{d.isoformat()} {WEEKDAYS[d.weekday()]}"


def _dates(values: list[str] | None, option: str) -> set[date]:
    days: set[date] = set()
    for value in values or ():
        try:
            days.add(date.fromisoformat(value))
        except ValueError as e:
            raise CliError(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from e
    return days


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int | None, typer.Argument(help="One year, with its days.")] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """The years published, or one year's days and every publication of it (who, when, which
    log entry), so an inspector can see which calendar a deadline was computed from."""
    with opened(data, db) as (_settings, ledger):
        found = publications(ledger.store)
        leaves = open_log(ledger).leaves_of(REGISTRY_STREAM)
        today = now().astimezone(VN_TZ).date()
    if year is None:
        _years(found, leaves, today)
        return
    mine = [p for p in found if p.days.year == year]
    if not mine:
        raise CliError(
            f"the working calendar of {year} is not published: "
            f"`hoso calendar publish {year} --source ...` publishes it"
        )
    _history(year, mine, leaves)
    _days(mine[-1].days)


def _leaf(leaves: dict[int, int], p: Publication) -> str:
    leaf = leaves.get(p.version)
    return "not yet in the log" if leaf is None else f"leaf {leaf}"


def _years(found: list[Publication], leaves: dict[int, int], today: date) -> None:
    latest = {p.days.year: p for p in found}
    if not latest:
        out.print(
            "No working calendar is published: deadlines come from the installed holidays "
            "package (a ledger from before calendars were signed). Publish each year with "
            "`hoso calendar publish YEAR --source ...`."
        )
        return
    table = Table(title="Working calendar in force")
    for col in ("Year", "Days off", "Make-up", "Published", "Entry"):
        table.add_column(col)
    for y in sorted(latest):
        p = latest[y]
        table.add_row(
            str(y),
            str(p.days.days_off),
            str(len(p.days.makeup_working_days)),
            p.at.astimezone(VN_TZ).strftime("%Y-%m-%d"),
            _leaf(leaves, p),
        )
    out.print(table)
    out.print("Days off: weekdays off (holidays, substitute and extra days off).")
    for y in (today.year, today.year + 1):
        if y not in latest:
            out.print(
                f"[yellow]{y} is not published[/]: no deadline that reaches it can be "
                f"computed; publish it with `hoso calendar publish {y} --source ...`"
            )


def _history(year: int, mine: list[Publication], leaves: dict[int, int]) -> None:
    out.print(f"[bold]Working calendar of {year}[/]: published {len(mine)} time(s)")
    for p in mine:
        when = p.at.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")
        out.print(
            f"  {when} by {escape(p.actor)} (key {p.key_id[:16]}), registry entry "
            f"{p.version}, {_leaf(leaves, p)}: {escape(p.source)}"
        )
    out.print("  A deadline is computed from the last publication before its event in the log.")


def _days(days: YearDays) -> None:
    table = Table(title=f"Days of {days.year} that are not Monday-to-Friday work")
    table.add_column("Day")
    table.add_column("What")
    rows = [(d, "public holiday or substitute day off") for d in days.holidays]
    rows += [(d, "extra day off") for d in days.extra_days_off]
    rows += [(d, "make-up working day") for d in days.makeup_working_days]
    for d, what in sorted(rows):
        table.add_row(_day(d), what)
    out.print(table)


@calendar_app.command("publish")
def calendar_publish(
    year: Annotated[int, typer.Argument(help="The year to publish or amend.")],
    source: Annotated[
        str, typer.Option(help="The decision it follows (e.g. the Prime Minister's notice).")
    ],
    day_off: Dates = None,
    makeup: Dates = None,
    cancel: Dates = None,
    from_package: Annotated[
        bool, typer.Option(help="Start from the holidays package, not what is published.")
    ] = False,
    by: Annotated[str, typer.Option("--as", help="The authority who signs it.")] = AUTHORITY,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Publish a year (first from the pinned holidays package), or amend the days still to
    come: --day-off adds an extra day off, --makeup a make-up working day, --cancel takes a
    day out of every list. Signed by the authority; days already past never change."""
    offs, makeups, cancels = (
        _dates(day_off, "--day-off"),
        _dates(makeup, "--makeup"),
        _dates(cancel, "--cancel"),
    )
    with opened(data, db) as (settings, ledger):
        published = ledger.registry().calendars.get(year)
        try:
            base = published or settings.proposed_year(year)
            if from_package:
                base = settings.proposed_year(year)
            days = YearDays(
                year,
                frozenset(base.holidays - cancels),
                frozenset((base.makeup_working_days | makeups) - cancels),
                frozenset((base.extra_days_off | offs) - cancels),
            )
        except DomainError as e:
            raise CliError(str(e)) from e
        signer = KeyDirectory(settings.keys_dir).signer(by)
        ledger.publish_calendar(signer=signer, actor=by, days=days, source=source, at=now())
    verb = "Amended" if published else "Published"
    out.print(
        f"{verb} the working calendar of {year}: {days.days_off} weekdays off, "
        f"{len(days.makeup_working_days)} make-up working day(s); signed by {escape(by)}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
