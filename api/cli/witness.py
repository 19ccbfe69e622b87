"""CLI for witnesses: ``hoso witness init | add-log | serve`` (the cosigner's side) and
``hoso witness request`` (the log's side: get the latest checkpoint cosigned and store it); and
the witness part of ``hoso audit`` (``witness_policy_for_audit``, ``witness_audit``).

A witness directory holds ``witness.pem`` (0600) and ``state.json``; the name is in the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from api.bootstrap import integrate_and_checkpoint, open_ledger, open_log
from api.settings import DEFAULT_DATA, Settings, load_settings
from api.witnesses import http_poster
from ledger.audit.full import FullAuditReport
from ledger.audit.witness_checks import WitnessAuditReport, witness_audit_report
from ledger.chain.service import Ledger
from ledger.witness.client import last_cosigned_size, request_cosignature
from ledger.witness.cosigner import Witness
from ledger.witness.errors import WitnessError, WitnessPolicyError, WitnessRequestError
from ledger.witness.policy import WitnessPolicy, policy_from_keys
from signing import generate_private_key, load_private_key_pem, save_private_key_pem
from signing.cosignature import CosignatureVerifier
from signing.errors import NoteError
from signing.note import validate_key_name

KEY_FILE = "witness.pem"
STATE_FILE = "state.json"
TIMEOUT_SECONDS = 30.0

witness_app = typer.Typer(
    help="A witness (bên chứng kiến): cosigns checkpoints of the logs it follows.",
    no_args_is_help=True,
)
StateOpt = Annotated[
    Path, typer.Option("--state", help="The witness directory (witness.pem, state.json).")
]


def open_witness(state: Path) -> Witness:
    """The witness kept in directory ``state``."""
    return Witness.from_state(load_private_key_pem(state / KEY_FILE), state / STATE_FILE)


@witness_app.command("init")
def init(
    state: StateOpt,
    name: Annotated[str, typer.Option("--name", help="The witness's key name.")],
) -> None:
    """Create a witness: a new key (DIR/witness.pem, 0600) and an empty state; print its vkey."""
    if (state / STATE_FILE).exists() or (state / KEY_FILE).exists():
        raise WitnessError(f"{state} already holds a witness")
    try:
        validate_key_name(name)  # before any file is written
    except NoteError as e:
        raise WitnessError(f"--name: {e}") from e
    key = generate_private_key()
    save_private_key_pem(state / KEY_FILE, key)
    witness = Witness(name, key, state / STATE_FILE, create=True)
    typer.echo(witness.vkey())


@witness_app.command("add-log")
def add_log(
    state: StateOpt,
    origin: Annotated[str, typer.Option("--origin", help="The log's origin line.")],
    log_key: Annotated[str, typer.Option("--log-key", help="The log's verifier key.")],
) -> None:
    """Follow a log: cosign its checkpoints from now on."""
    open_witness(state).add_log(origin, log_key)
    typer.echo(f"Witness follows {origin}")


@witness_app.command("request")
def request(
    url: Annotated[str, typer.Option("--url", help="The witness's URL prefix.")],
    name: Annotated[str, typer.Option("--name", help="The witness's key name.")],
    witness_key: Annotated[
        str | None,
        typer.Option("--witness-key", help="The witness's vkey: its cosignature must verify."),
    ] = None,
    data: Annotated[Path, typer.Option("--data", help="Data directory.")] = DEFAULT_DATA,
    db: Annotated[str | None, typer.Option("--db", help="Database URL.")] = None,
) -> None:
    """Checkpoint the log now, get it cosigned by a witness, store and print the cosigned note."""
    try:
        verifier = CosignatureVerifier.from_vkey(witness_key) if witness_key else None
    except NoteError as e:
        raise WitnessRequestError(f"--witness-key: {e}") from e
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        checkpoint = integrate_and_checkpoint(settings, ledger, force=True)
        if checkpoint is None:
            raise WitnessRequestError("the log is empty: there is nothing to cosign")
        log = open_log(ledger)
        guess = last_cosigned_size(log, name)
        request_cosignature(log, http_poster(url, TIMEOUT_SECONDS), name, guess, verifier=verifier)
        note = log.cosigned_note(checkpoint.size)
    finally:
        ledger.store.close()
    typer.echo(note, nl=False)


# ---------------------------------------------------------------------- hoso audit's part
WitnessKeysOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness's cosignature verifier key (repeatable): the inspector's own trust, "
        "in place of the witnesses configured in the data directory.",
    ),
]
RequireWitnessOpt = Annotated[
    bool,
    typer.Option(
        "--require-witness",
        help="Fail unless a witness cosigned the latest checkpoint (else a loud warning).",
    ),
]


def witness_policy_for_audit(settings: Settings, vkeys: list[str] | None) -> WitnessPolicy:
    """The witnesses an audit counts: ``--witness`` if given, else the configured ones."""
    keys = vkeys if vkeys else [w.vkey for w in settings.witnesses]
    try:
        return policy_from_keys(keys, 0)
    except WitnessPolicyError as e:
        raise typer.BadParameter(str(e), param_hint="--witness") from e


def witness_audit(
    ledger: Ledger, policy: WitnessPolicy, report: FullAuditReport, *, required: bool
) -> WitnessAuditReport:
    """Check the witnesses; their failures join the log's, so the verdict names them."""
    witnessed = witness_audit_report(open_log(ledger), policy, required=required)
    report.log.failures.extend(witnessed.failures)
    return witnessed


def show_witness_audit(out: Console, err: Console, witnessed: WitnessAuditReport) -> None:
    """The loud UNWITNESSED warning (or who cosigned), in the audit's summary."""
    warning = witnessed.warning
    if warning is None:
        out.print(
            f"[green]✓ witnessed[/]: the latest checkpoint (size {witnessed.latest_size}) is "
            f"cosigned by {escape(', '.join(witnessed.cosigners))}; a rewrite of the log before "
            "it would be refused by them.",
            highlight=False,
        )
    elif not witnessed.required:
        err.print(f"[bold yellow]⚠ {escape(warning)}[/]", highlight=False, soft_wrap=False)
        err.print("  (hoso audit --require-witness makes this a failure)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")
