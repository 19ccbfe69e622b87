"""The ``hoso`` command line. Every failure is one readable line and a non-zero exit code."""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.bootstrap import AUTHORITY, init_data_dir, integrate_and_checkpoint, log_verifier
from api.cli import calendar as cli_calendar
from api.cli import evidence as cli_evidence
from api.cli import figures as cli_figures
from api.cli import file as cli_file
from api.cli import keys as cli_keys
from api.cli import log as cli_log
from api.cli import render
from api.cli import tokens as cli_tokens
from api.cli import views as cli_views
from api.cli import witness as cli_witness
from api.cli.base import DataOpt, DbOpt, err, now, one_line_summaries, opened, out, program
from api.errors import EXIT_FAILED, EXIT_USAGE, CliError, answer_for
from api.settings import CONFIG_NAME, DEFAULT_DATA
from domain.calendar import VN_TZ, WorkingCalendar, vietnam_calendar
from domain.working_year import FIRST_YEAR as FIRST_CALENDAR_YEAR
from ledger.audit.full import full_audit_report
from ledger.audit.rules import RuleSettings
from signing import KeyDirectory, KeyFileSigner

app = typer.Typer(help="hoso: the signed ledger of administrative files.", no_args_is_help=True)


@app.command()
def init(
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    origin: Annotated[
        str, typer.Option(help="The ledger's name (origin line).")
    ] = "hoso.local/ledger",
) -> None:
    """Create a data directory: the authority key, the configuration, the key registry."""
    settings = init_data_dir(data, origin=origin, db=db, at=now())
    out.print(f"Initialised ledger [bold]{escape(settings.origin)}[/] in {escape(str(data))}")
    out.print(f"Authority key: {escape(str(data / 'keys' / 'authority.pem'))} (keep it offline)")


@app.command()
def demo(
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    days: Annotated[int, typer.Option(min=1, max=60, help="Working days to simulate.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same centre.")] = 7,
    start: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD); default: ends yesterday.")
    ] = None,
) -> None:
    """Simulate a ward centre's working days and print a readable summary."""
    from api.cli.demo import Simulation, enroll

    if (data / CONFIG_NAME).exists():
        raise CliError(f"{data} already holds a ledger: give `--data` a new directory")
    cal_probe = load_calendar()
    day_list = demo_days(cal_probe, start, days)
    t0 = cal_probe.opening(day_list[0]) - timedelta(days=1)
    authority_seed = hashlib.sha256(f"hoso-demo:{seed}:authority".encode()).digest()
    init_data_dir(data, origin="demo.hoso.vn/phuong-ba-dinh", db=db, at=t0, seed=authority_seed)
    with opened(data, db) as (settings, ledger):
        keys = SeededKeys(settings.data_dir / "keys", seed)
        staff = enroll(ledger, keys, keys.signer(AUTHORITY), t0)
        sim = Simulation(ledger, keys, staff, seed)
        index = 0
        for d in day_list:
            index = sim.plan_day(d, index)
        until = cal_probe.closing(day_list[-1])
        total = len(sim.plan)
        started = datetime.now(UTC)
        stats = None
        with render.progress(out) as bar:
            task = bar.add_task("Signing and storing the centre's work", total=total)
            for stats in sim.run(until):  # noqa: B007 - the last stats are printed below
                bar.advance(task)
            bar.update(task, completed=total)
        elapsed = (datetime.now(UTC) - started).total_seconds()
        from projections.d766.scorecard import score_card
        from projections.queries.periods import PeriodKind, period_containing
        from projections.queries.summary import summarise

        summary = summarise(
            ledger.store,
            origin=settings.origin,
            authority_key=settings.authority_key,
            now=until,
            calendar=ledger.read_calendar(),
        )
        checkpoint = integrate_and_checkpoint(settings, ledger, force=True)
        card = score_card(
            summary.rows,
            period_containing(PeriodKind.MONTH, until),
            now=until,
            calendar=ledger.read_calendar(),
        )
        render.demo_summary(out, summary, days=day_list, elapsed=elapsed, stats=stats)
        out.print(render.score_table(card, f"Decision 766 score card, {card.figures.period.label}"))
        if checkpoint is not None:
            out.print(f"Merkle log: {checkpoint.size} leaves, a checkpoint of that size signed.")
        credentials = data / cli_tokens.CREDENTIALS_NAME
        samples = stats.samples if stats else []
        cli_tokens.write_demo_credentials(settings, ledger, samples, credentials, keys_at=until)
        render.demo_ending(
            out,
            program=program(),
            data=data,
            sample=samples[0].code if samples else None,
            log_vkey=settings.log_vkey,
            credentials=credentials,
        )


class SeededKeys(KeyDirectory):
    """Demo keys derived from the seed, so the same seed gives the same keys."""

    def __init__(self, root: Path, seed: int) -> None:
        super().__init__(root)
        self._seed = seed

    def create(self, name: str, seed: bytes | None = None) -> KeyFileSigner:
        derived = seed or hashlib.sha256(f"hoso-demo:{self._seed}:{name}".encode()).digest()
        return super().create(name, seed=derived)


def load_calendar() -> WorkingCalendar:
    return vietnam_calendar()


def demo_days(cal: WorkingCalendar, start: str | None, days: int) -> list[date]:
    """The demo's working days: ``days`` of them from ``start`` (default: ending yesterday),
    all over before now and in years the working calendar covers (checked before anything
    is written)."""
    if start is None:
        first = first_day(cal, days)
    else:
        try:
            first = date.fromisoformat(start)
        except ValueError as e:
            raise typer.BadParameter(
                f"{start!r} is not a date (YYYY-MM-DD)", param_hint="--start"
            ) from e
        if first.year <= FIRST_CALENDAR_YEAR:  # the year before the demo is published too
            raise typer.BadParameter(
                f"{first} is before {FIRST_CALENDAR_YEAR + 1} (the working calendars begin in "
                f"{FIRST_CALENDAR_YEAR})",
                param_hint="--start",
            )
        if first > datetime.now(VN_TZ).date():
            raise typer.BadParameter(f"{first} is still to come", param_hint="--start")
    found = [first if cal.is_working_day(first) else cal.next_working_day(first)]
    while len(found) < days:
        found.append(cal.next_working_day(found[-1]))
    if cal.closing(found[-1]) > datetime.now(UTC):
        raise CliError(
            f"{days} working day{'s' if days > 1 else ''} from {first} end on {found[-1]}, "
            "which is not over yet: "
            "the demo only writes the past; give an earlier --start or fewer --days"
        )
    return found


def first_day(cal: WorkingCalendar, days: int) -> date:
    d = datetime.now(VN_TZ).date()
    found: list[date] = []
    while len(found) < days:
        d -= timedelta(days=1)
        if cal.is_working_day(d):
            found.append(d)
    return found[-1]


@app.command()
def audit(
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    witness_state: Annotated[
        Path | None,
        typer.Option(
            "--witness-state", help="A witness's state file: check against what it cosigned."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes reading and verifying the events (default: one per core for "
            "10,000 events or more; 1: in this process).",
        ),
    ] = None,
    projections: Annotated[
        bool,
        typer.Option("--projections", help="Also rebuild the read models aside and compare them."),
    ] = False,
    witness_keys: cli_witness.WitnessKeysOpt = None,
    require_witness: cli_witness.RequireWitnessOpt = False,
) -> None:
    """Re-verify every signature, key, chain link, log leaf and checkpoint; exit 1 naming faults."""
    with opened(data, db) as (settings, ledger):
        witness_policy = cli_witness.witness_policy_for_audit(settings, witness_keys)
        witness = None
        if witness_state is not None:
            from ledger.audit.log_checks import load_witness_view

            witness = load_witness_view(witness_state, settings.origin)
        verifier = log_verifier(settings) if settings.log_vkey else None
        with render.progress(out) as bar:
            task = bar.add_task("Verifying events", total=ledger.store.max_position() or 1)
            report = full_audit_report(
                ledger.store,
                origin=settings.origin,
                authority_key=settings.authority_key,
                log_verifier=verifier,
                witness=witness,
                progress=lambda done, total: bar.update(task, completed=done, total=total or 1),
                workers=workers,
                max_delay=settings.max_event_delay,
                rules=RuleSettings(settings.calendar(), settings.supplement_policy),
            )
        witnessed = cli_witness.witness_audit(
            ledger, witness_policy, report, required=require_witness
        )
        if projections:  # the read models' differences join the audit's findings
            report.log.failures.extend(cli_views.read_model_findings(settings, ledger))
        render.audit_result(out, err, report)
        if projections and report.ok:
            out.print("[green]✓ read models[/]: each equals its rebuild from the events.")
        cli_witness.show_witness_audit(out, err, witnessed)
        chain = report.chain
        speed = (
            f"{chain.events:,} events in {chain.elapsed:.2f} s: "
            f"{chain.events_per_second:,.0f} events/s ({chain.workers} verifying processes)"
        )
        (out if report.ok else err).print(speed, highlight=False)
        if not report.ok:
            raise typer.Exit(EXIT_FAILED)


@app.command()
def forget(applicant: str, data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Erase an applicant's personal data (Law 91/2025/QH15, art. 16) by destroying their key."""
    with opened(data, db) as (_settings, ledger):
        ledger.forget(applicant)
    out.print(
        f"Applicant {escape(applicant)} forgotten: their key is destroyed, their personal fields "
        f"now read {escape('[erased]')}; every event, signature and chain link is unchanged."
    )


def _one_line(text: str) -> str:
    return escape(" ".join(text.split()))


cli_file.register(app)
cli_keys.register(app)
cli_calendar.register(app)
cli_log.register(app)
cli_evidence.register(app)
cli_witness.register(app)
cli_views.register(app)
cli_figures.register(app)
cli_tokens.register(app)


def main() -> None:
    """Entry point: run the app, turn every known failure into one line and an exit code."""
    one_line_summaries(app)  # every command is registered by now, the servers' too
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("aborted")
        sys.exit(EXIT_FAILED)
    except Exception as e:
        answer = answer_for(e)  # the known errors: api.errors' table, shared with HTTP
        if answer is not None and answer.exit_code is not None:
            err.print(f"[red]error:[/] {_one_line(str(e))}", highlight=False)
            sys.exit(answer.exit_code)
        # the last line of defence: never a stack trace
        if type(e).__name__ == "Abort":
            err.print("aborted")
            sys.exit(EXIT_FAILED)
        message = getattr(e, "format_message", None)
        if callable(message) and hasattr(e, "exit_code"):  # click's usage errors (vendored)
            said = str(message()).replace("Value error, ", "")  # a validator's, as pydantic says
            err.print(f"[red]error:[/] {_one_line(said)}", highlight=False)
            sys.exit(EXIT_USAGE)
        if isinstance(e, OSError) and e.strerror:  # a path that cannot be made, read, written
            where = f"{e.filename}: " if e.filename is not None else ""
            err.print(f"[red]error:[/] {_one_line(where + e.strerror)}", highlight=False)
            sys.exit(EXIT_FAILED)
        # a sentence, never a class name: what went wrong is the message (a bug to report)
        said = _one_line(str(e)) or "no message"
        err.print(f"[red]error:[/] an unexpected failure (please report it): {said}")
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
