"""CLI for witnesses: ``hoso witness init | add-log | serve`` (the cosigner's side) and
``hoso witness request`` (the log's side: get the latest checkpoint cosigned and store it).

A witness directory holds ``witness.pem`` (0600) and ``state.json``; the name is in the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.bootstrap import integrate_and_checkpoint, open_ledger, open_log
from api.settings import DEFAULT_DATA, load_settings
from ledger.witness.client import Post, last_cosigned_size, request_cosignature
from ledger.witness.cosigner import Witness
from ledger.witness.errors import WitnessError, WitnessRequestError
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
        request_cosignature(log, http_poster(url), name, guess, verifier=verifier)
        note = log.cosigned_note(checkpoint.size)
    finally:
        ledger.store.close()
    typer.echo(note, nl=False)


def http_poster(url: str) -> Post:
    """POST add-checkpoint bodies to ``url``/add-checkpoint with httpx."""
    import httpx

    endpoint = url.rstrip("/") + "/add-checkpoint"

    def post(body: bytes) -> tuple[int, str, bytes]:
        try:
            response = httpx.post(endpoint, content=body, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as e:
            raise WitnessRequestError(f"cannot reach the witness at {endpoint}: {e}") from e
        return response.status_code, response.headers.get("content-type", ""), response.content

    return post


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")
