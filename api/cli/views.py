"""CLI views of the read models: projections' status and rebuild, the citizen's status, the
inspector's index and workload (queues and transparency figures live in ``cli_figures``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import open_ledger, open_projections
from api.cli import render
from api.cli.render import ACTIONS_VI, local
from api.settings import DEFAULT_DATA, Settings, load_settings
from domain.calendar import VN_TZ
from domain.working_year import FIRST_YEAR, LAST_YEAR
from ledger.chain.service import Ledger
from ledger.encoding.codec import EVENT_TYPES
from ledger.errors import NotFound
from projections.engine.runtime import ProjectionHost
from projections.engine.verify import ProjectionCheck, verify_projections
from projections.models.handlers import NAMES
from projections.queries.citizen import citizen_status
from projections.queries.reads import actions, count_actions, workload

out = Console()
err = Console(stderr=True, soft_wrap=True)
projections_app = typer.Typer(help="The read models rebuilt from the events.", no_args_is_help=True)
DataOpt = Annotated[Path, typer.Option("--data", help="Data directory.")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (postgresql://...).")]


@contextmanager
def fresh(data: Path, db: str | None) -> Iterator[tuple[Settings, Ledger, ProjectionHost]]:
    """Open the ledger and its projections, brought up to date with every stored event."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    host = open_projections(settings, ledger)
    try:
        for name in NAMES:
            host.catch_up(name)
        yield settings, ledger, host
    finally:
        host.close()
        ledger.store.close()


@projections_app.command("status")
def projections_status(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Each projection's position, its lag behind the event store, and any failure."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    host = open_projections(settings, ledger)
    try:
        table = Table(title="Projections")
        for col in ("Projection", "Position", "Head", "Lag", "State"):
            table.add_column(col)
        failed = False
        for s in host.status():
            state = "[green]ok[/]"
            if s.failed_position is not None:
                failed = True
                state = f"[red]STOPPED at event {s.failed_position}: {escape(s.error or '')}[/]"
            table.add_row(s.name, str(s.position), str(s.head), str(s.lag), state)
        out.print(table)
    finally:
        host.close()
        ledger.store.close()
    if failed:
        raise typer.Exit(1)


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="files or actions; default: all.")] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes sharing the files out (PostgreSQL). Default: every core, from "
            "100,000 events on 4 cores or more; else 1.",
        ),
    ] = None,
) -> None:
    """Drop a projection and replay every event from zero."""
    if name is not None and name not in NAMES:
        raise typer.BadParameter(f"unknown projection {name!r}; known: {', '.join(NAMES)}")
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    host = open_projections(settings, ledger)
    try:
        cores = os.cpu_count() or 1
        if workers is not None and workers > cores:
            raise typer.BadParameter(f"--workers is at most {cores}, this machine's cores")
        if workers is not None and workers > 1 and not host.postgres:
            raise typer.BadParameter(
                "SQLite rebuilds in one process (one writer); --workers is for PostgreSQL"
            )
        processes = host.rebuild_workers() if workers is None else workers
        total = ledger.store.max_position()
        names = [name] if name else list(NAMES)
        started = time.perf_counter()
        with render.progress(out) as bar:
            task = bar.add_task(f"Rebuilding {', '.join(names)}", total=total or 1)

            def advance(k: int) -> None:
                bar.advance(task, k)

            # One pass over the events for every projection named: each event read and decoded once.
            done = host.rebuild_all(names, progress=advance, workers=processes)
        seconds = max(time.perf_counter() - started, 1e-9)
        how = "1 process" if processes == 1 else f"{processes} processes"
        for n in names:
            rate = done[n] / seconds
            out.print(f"{n}: {done[n]} events replayed ({rate:,.0f} events/s, {how})")
    finally:
        host.close()
        ledger.store.close()


@projections_app.command("verify")
def projections_verify(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Rebuild each read model aside from the events and compare it with the live one; exit 1
    naming the rows that differ."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        checks = check_read_models(settings, ledger)
        head = ledger.store.max_position()
    finally:
        ledger.store.close()
    summary = Table(title="Read models rebuilt aside")
    for col in ("Projection", "Position", "Rows", "Rows differing"):
        summary.add_column(col, justify="left" if col == "Projection" else "right")
    for c in checks:
        verdict = (
            "[green]0[/]" if c.ok else f"[red]{c.count if c.error is None else 'rebuild failed'}[/]"
        )
        summary.add_row(c.name, str(c.position), str(c.rows), verdict)
    out.print(summary)
    if any(c.position < head for c in checks):
        out.print(
            f"(each read model compared at its own position; the store holds {head} events: "
            "`hoso projections run` applies the rest)"
        )
    failed = [c for c in checks if not c.ok]
    if not failed:
        out.print("[green]✓ read models verified[/]: every row equals its rebuild from the events.")
        return
    shown = Table(title="Differences (live vs rebuilt from the events)")
    for col in ("Table", "Key", "Column", "Live", "Rebuilt"):
        shown.add_column(col, overflow="fold", max_width=22)
    for c in failed:
        if c.error is not None:
            err.print(f"[red]✗[/] read model {c.name}: {escape(c.error)}", highlight=False)
        for d in c.differences:
            shown.add_row(
                d.table,
                escape(", ".join(str(k) for k in d.key)),
                d.column or "(row)",
                escape(_cell(d.live, d.column is None)),
                escape(_cell(d.rebuilt, d.column is None)),
            )
        rows = len({(d.table, d.key) for d in c.differences})
        if c.count > rows:
            shown.add_row("…", f"{c.count - rows} more rows", "", "", "")
    if shown.row_count:
        out.print(shown)
    count = sum(c.count for c in failed)
    err.print(
        f"[red]✗ read models differ from their rebuild[/]: {count} differing rows in "
        f"{', '.join(c.name for c in failed)}",
        highlight=False,
    )
    raise typer.Exit(1)


def _cell(value: object, row: bool) -> str:
    if row:
        return "absent" if value is None else "present"
    return "NULL" if value is None else str(value)


def check_read_models(settings: Settings, ledger: Ledger) -> list[ProjectionCheck]:
    """Every projection rebuilt aside and compared with the live one (a progress bar)."""
    host = open_projections(settings, ledger)
    try:
        with render.progress(out) as bar:
            task = bar.add_task(
                "Rebuilding read models aside", total=max(host.position(n) for n in NAMES) or 1
            )
            return verify_projections(host, progress=lambda n: bar.advance(task, n))
    finally:
        host.close()


def read_model_findings(settings: Settings, ledger: Ledger) -> list[str]:
    """``check_read_models`` as one line per finding, for ``hoso audit --projections``."""
    return [line for c in check_read_models(settings, ledger) for line in c.findings()]


@projections_app.command("run")
def projections_run(
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    poll: Annotated[float, typer.Option(help="SQLite polling interval (s).")] = 1.0,
) -> None:
    """Follow the event store live (PostgreSQL: LISTEN/NOTIFY; SQLite: polling) until Ctrl-C."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    host = open_projections(settings, ledger)
    try:
        for name in NAMES:
            host.catch_up(name)
        out.print("Following the event store (Ctrl-C to stop)")
        if host.postgres:
            runners = [host.runner(name) for name in NAMES]
            try:
                for r in runners:
                    r.__enter__()
                while True:
                    for r in runners:
                        r.wait(0, timeout=poll)  # raises the runner's error, if any
                    time.sleep(poll)
            finally:
                for r in runners:
                    r.__exit__(None, None, None)
        while True:
            for name in NAMES:
                host.catch_up(name)
            time.sleep(poll)
    except KeyboardInterrupt:
        out.print("stopped")
    finally:
        host.close()
        ledger.store.close()


def status(
    code: Annotated[str, typer.Argument(help="The file code on the receipt.")],
    pin: Annotated[str, typer.Option("--pin", help="The PIN on the receipt.")],
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """What a citizen sees: the file's status, by code and PIN (no personal data)."""
    with fresh(data, db) as (_settings, ledger, _host):
        found = citizen_status(ledger, code, pin)
    if found is None:
        raise NotFound("no file with this code and PIN")
    out.print(f"[bold]{escape(found.code)}[/] — {escape(found.procedure_vi)}")
    out.print(f"  {escape(found.procedure_en)}")
    out.print(f"Tình trạng / Status: [bold]{escape(found.now_vi)}[/] / {escape(found.now_en)}")
    out.print(f"Mã trạng thái Cổng DVC quốc gia / portal status: {found.portal_status}")
    out.print(f"Ngày hẹn trả / appointment: {local(found.appointment_at)}")
    if found.apology_reason:
        out.print(f"  (hẹn lại / rescheduled: {escape(found.apology_reason)})")
    if found.missing_items:
        out.print(
            "Giấy tờ cần bổ sung / papers still missing: " + escape("; ".join(found.missing_items))
        )
    table = Table(title="Các bước / steps")
    for col in ("Thời gian / time", "Bước / step", "Đơn vị / department"):
        table.add_column(col)
    for s in found.steps:
        table.add_row(
            local(s.at),
            f"{escape(s.text_vi)}\n[dim]{escape(s.text_en)}[/]",
            escape(f"{s.department} ({s.agency})"),
        )
    out.print(table)


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    """A local (Hà Nội) day's start as UTC; ``end`` gives the start of the next day."""
    if text is None:
        return None
    try:
        d = date.fromisoformat(text)
    except ValueError as e:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from e
    if not FIRST_YEAR <= d.year <= LAST_YEAR:  # no event lies outside them
        raise typer.BadParameter(f"{text} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    if end:
        d += timedelta(days=1)
    return datetime.combine(d, dtime(0), tzinfo=VN_TZ).astimezone(UTC)


def inspect(
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit.")] = None,
    action: Annotated[
        str | None,
        typer.Option("--type", help="Only this event type (FileReceived, FileHandedOff, ...)."),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="To this day, inclusive.")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="Show at most this many, in log order.")
    ] = 200,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """The inspector's index: every action, each with its file, version and log leaf."""
    if action is not None and action not in EVENT_TYPES:
        raise typer.BadParameter(
            f"no event type {action!r}; the types: {', '.join(sorted(EVENT_TYPES))}",
            param_hint="--type",
        )
    chosen = {"actor": actor, "unit": unit, "type_": action}
    since, until = _day(start), _day(end, end=True)
    with fresh(data, db) as (_settings, ledger, _host):
        rows = actions(ledger.store, **chosen, start=since, end=until, limit=limit)
        total = count_actions(ledger.store, **chosen, start=since, end=until)
    shown = f"the first {len(rows):,} of {total:,}" if total > len(rows) else f"{total:,}"
    table = Table(title=f"Actions ({shown})")
    for col in ("Time", "Actor", "Action"):
        table.add_column(col, overflow="fold")
    code_width = max((len(r.code) for r in rows), default=4)
    table.add_column("File", no_wrap=True, min_width=code_width)
    for col in ("v", "Leaf"):
        table.add_column(col, no_wrap=True, justify="right")
    for r in rows:
        table.add_row(
            local(r.occurred_at),
            escape(r.actor),
            escape(ACTIONS_VI.get(r.type, r.type)),
            escape(r.code),
            str(r.version),
            "—" if r.leaf_index is None else str(r.leaf_index),
        )
    out.print(table)
    if total > len(rows):
        out.print(
            f"Showing the first {len(rows):,} of {total:,} actions, in log order: narrow with "
            "--actor, --unit, --type, --from and --to, or raise --limit."
        )


def workload_view(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Per officer: files held now, handled, and who held late files the longest."""
    with fresh(data, db) as (_settings, ledger, _host):
        loads = workload(ledger.store, now=datetime.now(UTC), calendar=ledger.read_calendar())
    table = Table(title="Officers' workload and lateness")
    for col in ("Officer", "Holding now", "Handled", "Late files", "Held late files (working h)"):
        table.add_column(col, justify="right" if col != "Officer" else "left")
    for w in loads:
        table.add_row(
            escape(w.officer),
            str(w.holding_now),
            str(w.handled),
            str(w.late_files),
            f"{w.late_holding_minutes / 60:.1f}",
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(projections_app, name="projections")
    app.command("status")(status)
    app.command("inspect")(inspect)
    app.command("workload")(workload_view)
