"""Inspectors' commands: ``hoso bundle`` (evidence out) and ``hoso verify`` (offline check)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import integrate_and_checkpoint, open_ledger, open_log
from api.cli.render import ACTIONS_VI, local
from api.settings import DEFAULT_DATA, load_settings
from ledger.audit.before_signing import verify_uncovered
from ledger.errors import BundleError
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import BundleReport, verify_bundle_report
from ledger.log.heads_verify import check_head_document
from ledger.witness.errors import WitnessPolicyError
from ledger.witness.policy import WitnessPolicy, policy_from_keys
from signing.errors import VerificationError

out = Console()
err = Console(stderr=True, soft_wrap=True)


def bundle(
    code: Annotated[str, typer.Argument(help="The file code.")],
    data: Annotated[Path, typer.Option("--data", help="Data directory.")] = DEFAULT_DATA,
    db: Annotated[str | None, typer.Option("--db", help="Database URL.")] = None,
) -> None:
    """Write the file's evidence bundle (JSON) to standard output.

    Verifies before it signs: the file's events from its genesis, and every event the new
    checkpoint would newly cover; if one fails, it names it and signs nothing."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        ledger.load(code)  # signatures, keys and chain of the file's own events
        log = open_log(ledger)
        log.integrate()
        verify_uncovered(log, settings.authority_key)
        checkpoint = integrate_and_checkpoint(settings, ledger, force=True)
        assert checkpoint is not None
        doc = build_bundle(log, code, checkpoint)
    finally:
        ledger.store.close()
    sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def verify(
    path: Annotated[Path, typer.Argument(help="The bundle (JSON), or - for standard input.")],
    log_key: Annotated[str, typer.Option("--log-key", help="The log's verifier key.")],
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="A witness's cosignature verifier key (repeatable): only these are counted.",
        ),
    ] = None,
    min_witnesses: Annotated[
        int | None,
        typer.Option(
            "--min-witnesses",
            min=0,
            help="How many of the --witness keys must have cosigned the checkpoint "
            "(default: 1 when --witness is given).",
        ),
    ] = None,
) -> None:
    """Check a bundle offline (no database): exit 0 only when everything holds."""
    policy = witness_policy(witness or [], min_witnesses)
    raw = sys.stdin.buffer.read() if str(path) == "-" else _read(path)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise typer.BadParameter(f"{path} is not JSON: {e}") from e
    report = verify_bundle_report(doc, log_key, witnesses=policy)
    show_report(report)
    if not report.ok:
        raise typer.Exit(1)


def witness_policy(vkeys: list[str], minimum: int | None) -> WitnessPolicy:
    """The inspector's witness policy from ``--witness`` and ``--min-witnesses``."""
    try:
        return policy_from_keys(vkeys, minimum)
    except WitnessPolicyError as e:
        raise typer.BadParameter(str(e), param_hint="--witness") from e


def _cosignatures(report: BundleReport) -> str:
    """The witness part of the verdict: valid cosignatures by named witnesses, named."""
    counted = f"{report.cosignatures} valid witness cosignatures"
    if report.witnesses:
        counted += " (" + ", ".join(escape(n) for n in report.witnesses) + ")"
    if report.unchecked_cosignatures:
        counted += (
            f", {len(report.unchecked_cosignatures)} other cosignature lines not counted "
            "(keys not given with --witness)"
        )
    return counted


def verify_head(
    path: Annotated[Path, typer.Argument(help="The head proof (JSON), or - for standard input.")],
    log_key: Annotated[str, typer.Option("--log-key", help="The log's verifier key.")],
) -> None:
    """Check offline that a file exists with the head shown, or that no such file exists, at a
    checkpoint signed by the log (the output of `hoso log head`)."""
    raw = sys.stdin.buffer.read() if str(path) == "-" else _read(path)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise typer.BadParameter(f"{path} is not JSON: {e}") from e
    try:
        code, size, head = check_head_document(doc, log_key)
    except (BundleError, VerificationError) as e:
        failures = e.failures if isinstance(e, BundleError) else [str(e)]
        err.print("[red]✗ NOT VERIFIED[/]:", highlight=False)
        for failure in failures:
            err.print(f"  - {escape(failure)}", highlight=False)
        raise typer.Exit(1) from e
    if head is None:
        out.print(f"[green]✓ VERIFIED[/]: no file {escape(code)} in the log at checkpoint {size}.")
        return
    version, index, _leaf = head
    out.print(
        f"[green]✓ VERIFIED[/]: file {escape(code)} has {version} events at checkpoint {size}; "
        f"its last is leaf {index}."
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise typer.BadParameter(f"cannot read {path}: {e.strerror}") from e


def show_report(report: BundleReport) -> None:
    if report.timeline:
        table = Table(
            title=f"Hồ sơ {escape(report.file)}: history proven at checkpoint "
            f"{report.checkpoint_size}"
        )
        for col in ("#", "Time (Hà Nội)", "Action", "Actor", "Role"):
            table.add_column(col, overflow="fold")
        for col in ("Leaf", "Key"):  # whole: they are looked up
            table.add_column(col, no_wrap=True)
        for row in report.timeline:
            table.add_row(
                str(row.version),
                local(row.occurred_at),
                ACTIONS_VI.get(row.type, row.type),
                escape(row.actor),
                row.role,
                str(row.leaf_index),
                row.key_id[:12],
            )
        out.print(table)
    if report.ok:
        out.print(
            f"[green]✓ VERIFIED[/]: {len(report.timeline)} events of {escape(report.file)} are in "
            f"the log of {escape(report.origin)} (checkpoint size {report.checkpoint_size}, "
            f"{_cosignatures(report)}); every signature was made by a key "
            f"valid for its actor when the server received it; the chain is whole from genesis; "
            f"every event is a legal step of the procedure in time; nothing of the file comes "
            f"after its last event (the checkpoint's map of file heads); "
            f"{report.registry_events} key-registry events replayed."
        )
        for used in report.calendars:
            out.print(
                f"Working calendar of {used.year} in force: published at leaf "
                f"{used.leaf_index} ({escape(used.source)})"
            )
        return
    err.print("[red]✗ NOT VERIFIED[/]:", highlight=False)
    for failure in report.failures:
        err.print(f"  - {escape(failure)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("bundle")(bundle)
    app.command("verify")(verify)
    app.command("verify-head")(verify_head)
