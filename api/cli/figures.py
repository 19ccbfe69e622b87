"""CLI views of work queues and transparency figures (bảng công khai), as tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import log_verifier, open_log
from api.cli import render
from api.cli.render import local
from api.cli.views import DataOpt, DbOpt, fresh
from api.errors import CliError
from api.settings import DEFAULT_DATA, Settings
from domain.procedures import CATALOGUE
from ledger.chain.service import Ledger
from ledger.errors import NotFound
from ledger.log.storage import MerkleLog
from projections.d766.at_checkpoint import rows_at
from projections.d766.scorecard import ScoreCard, rank, score_card
from projections.errors import PeriodError
from projections.models.rows import FileRow
from projections.queries.figures import Figures, render_days, render_ratio
from projections.queries.periods import PeriodKind, parse_period, period_containing
from projections.queries.queues import QueueEntry, queue
from projections.queries.reads import file_rows

out = Console()
NARROW = 110  # columns: below, the queue stacks a file's procedure, state and holder


def queue_view(
    unit: Annotated[str, typer.Argument(help="Unit (or outside agency) code.")],
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    officer: Annotated[str | None, typer.Option(help="Only this officer.")] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """The files a unit, department or officer holds now, by appointment: the time left, or how
    late in office time ("overdue 2 h 15 min")."""
    now = datetime.now(UTC)
    with fresh(data, db) as (_settings, ledger, _host):
        rows = file_rows(ledger.store, "closed_at IS NULL")
        calendar = ledger.read_calendar()
        q = queue(
            rows, now=now, calendar=calendar, unit=unit, department=department, officer=officer
        )
    day = calendar.office_hours.minutes_per_day
    title = (
        f"Work queue of {escape(unit)}: {len(q.entries)} files ({q.overdue} overdue, "
        f"{q.due_within_a_day} due within a working day)"
    )
    out.print(_queue_table(title, q.entries, day))
    if q.awaiting_supplement:
        waiting = "Waiting for the citizen's papers (the clock is stopped)"
        out.print(_queue_table(waiting, q.awaiting_supplement, day))


def _queue_table(title: str, entries: Sequence[QueueEntry], minutes_per_day: int) -> Table:
    """One row a file: its code whole whatever the width (the key to everything else), the
    other columns folded, the holder under the procedure in a narrow terminal; the time left
    in words ("overdue 2 h 15 min"), coloured too."""
    narrow = out.width < NARROW
    table = Table(title=title)
    code_width = max((len(e.code) for e in entries), default=4)
    table.add_column("File", no_wrap=True, min_width=code_width)
    middle = ("Procedure, state, holder",) if narrow else ("Procedure, state", "Holder, since")
    for col in (*middle, "Appointment", "Left" if narrow else "Left (office time)"):
        table.add_column(col, overflow="fold")
    for e in entries:
        style = "red" if e.overdue else "yellow" if e.due_within_a_day else ""
        left = escape(e.time_left(minutes_per_day))
        appointment = local(e.appointment)
        if narrow:  # the day over the hour, "overdue" over the amount
            left = left.replace("overdue ", "overdue\n")
            appointment = appointment.replace(" ", "\n")
        what = f"{escape(e.procedure)}\n{escape(e.state.replace('_', ' '))}"
        held = f"{escape(e.holder)}\nsince {local(e.since)}"
        table.add_row(
            escape(e.code),
            *((f"{what}\n{held}",) if narrow else (what, held)),
            appointment,
            f"[{style}]{left}[/]" if style else left,
        )
    return table


def _figures_table(f: Figures, title: str) -> Table:
    t = Table(title=title)
    t.add_column("Figure")
    t.add_column("Value", justify="right")
    r = f.received
    t.add_row(
        "received (in person / online / postal / mobile)",
        f"{r.total} ({r.in_person} / {r.online} / {r.postal} / {r.mobile_session})",
    )
    s = f.resolved
    t.add_row("processing ended: early / on time / late", f"{s.early} / {s.on_time} / {s.late}")
    p = f.in_progress
    t.add_row(
        "in progress: on time / overdue (of which waiting for papers)",
        f"{p.on_time} / {p.overdue} ({p.awaiting_supplement})",
    )
    t.add_row("refused / withdrawn / stopped", f"{f.refused} / {f.withdrawn} / {f.stopped}")
    t.add_row("not accepted at the counter (in no other figure)", str(f.not_accepted))
    t.add_row(
        "supplements requested / apologies issued", f"{f.supplement_requests} / {f.apologies}"
    )
    t.add_row(
        "processing time, working days: average / median",
        f"{render_days(f.processing_days_average)} / {render_days(f.processing_days_median)}",
    )
    t.add_row("on-time rate (ended in the period)", render_ratio(f.on_time_rate))
    t.add_row("online submission share", render_ratio(f.online_share))
    t.add_row("online payment share", render_ratio(f.online_payment_share))
    g = f.ratings
    t.add_row(
        "ratings: satisfied / neutral / dissatisfied",
        f"{g.satisfied} / {g.neutral} / {g.dissatisfied} ({render_ratio(g.satisfied_share)})",
    )
    return t


def _times_table(card: ScoreCard) -> Table:
    t = Table(title="2.2 Average processing time by procedure (files started in the period)")
    for col, just in (("Procedure", "left"), ("Files", "right"), ("Average", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for pt in card.processing_times:
        t.add_row(escape(pt.procedure), str(pt.files), f"{render_days(pt.average)} {pt.unit}")
    return t


def transparency_view(
    period: Annotated[
        str | None,
        typer.Option(help="2026-07-15, 2026-07, 2026-Q3 or 2026; default: the current month."),
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="One unit; default: all, with a ranking.")
    ] = None,
    procedure: Annotated[str | None, typer.Option(help="One procedure code.")] = None,
    at_checkpoint: Annotated[
        int | None,
        typer.Option(
            "--at-checkpoint",
            min=1,
            help="Recompute from the log's entries alone, as they stood at this signed "
            "checkpoint (its tree size); anyone with the entries gets the same numbers.",
        ),
    ] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Transparency figures and the Decision 766 score card for a period (no personal data),
    with the checkpoint they were computed at."""
    now = datetime.now(UTC)
    try:
        chosen = parse_period(period) if period else period_containing(PeriodKind.MONTH, now)
    except PeriodError as e:
        raise typer.BadParameter(str(e)) from e
    if procedure is not None and procedure not in CATALOGUE:
        raise typer.BadParameter(f"unknown procedure {procedure!r}")
    with fresh(data, db) as (settings, ledger, host):
        log = open_log(ledger)
        if at_checkpoint is None:
            rows = file_rows(ledger.store)
            covered = log.size_through(host.position("files"))
            latest = log.latest_checkpoint()
            if latest is not None and latest.size == covered:
                pinned = f"checkpoint {latest.size} (root {latest.root.hex()}): reproduce with "
                pinned += f"--at-checkpoint {latest.size}"
            else:
                signed = f"the latest signed one is {latest.size}" if latest else "none signed"
                pinned = f"the read models at log size {covered}, not a checkpoint ({signed})"
        else:
            rows, pinned = _rows_at(settings, ledger, log, at_checkpoint)
        calendar = ledger.read_calendar()
        card = score_card(rows, chosen, now=now, calendar=calendar, unit=unit, procedure=procedure)
        ranking = [] if unit else rank(rows, chosen, now=now, calendar=calendar)
    scope = " · ".join(x for x in (unit or "all units", procedure or "") if x)
    out.print(_figures_table(card.figures, f"Transparency {chosen.label} — {escape(scope)}"))
    out.print(render.score_table(card, f"Decision 766 score card, {chosen.label}"))
    if card.processing_times:
        out.print(_times_table(card))
    if ranking:
        table = Table(title=f"Units ranked by Decision 766 total score, {chosen.label}")
        for col in ("Rank", "Unit", "Score", "On time (2.1)", "Satisfaction (5.4)"):
            table.add_column(col, justify="left" if col == "Unit" else "right")
        for r in ranking:
            f = r.card.figures
            table.add_row(
                str(r.rank),
                escape(r.unit),
                f"{render_days(r.card.total)} / {r.card.attainable}",
                render_ratio(f.progress),
                render_ratio(f.receiving_satisfaction),
            )
        out.print(table)
    out.print(f"Computed at {pinned}; as of {local(card.figures.as_of)}.")


def _rows_at(
    settings: Settings, ledger: Ledger, log: MerkleLog, size: int
) -> tuple[list[FileRow], str]:
    """The rows at the signed checkpoint of ``size``, from the log's entries alone (its note's
    signature checked with the log's key, the entries' root with the note's)."""
    try:
        checkpoint = log.verified_checkpoint(log.checkpoint_at(size), log_verifier(settings))
    except NotFound as e:
        raise CliError(f"the log has no signed checkpoint of size {size}") from e
    with render.progress(out) as bar:
        task = bar.add_task(f"Reading the log's {size} entries", total=size)
        rows = rows_at(
            log.entries,
            size,
            checkpoint.root,
            ledger.read_calendar(),
            lambda done: bar.update(task, completed=done),
        )
    return rows, f"checkpoint {size} (root {checkpoint.root.hex()}), from the log's entries"


def register(app: typer.Typer) -> None:
    app.command("queue")(queue_view)
    app.command("transparency")(transparency_view)
