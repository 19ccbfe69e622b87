"""``hoso log``: the Merkle log's verifier key, a checkpoint signed now, inclusion and
consistency proofs."""

from __future__ import annotations

from typing import Annotated

import typer

from api.bootstrap import open_log
from api.cli.base import DataOpt, DbOpt, now, opened
from api.errors import CliError
from api.settings import CONFIG_NAME, DEFAULT_DATA, load_settings

log_app = typer.Typer(help="The Merkle log: its key, checkpoints and proofs.", no_args_is_help=True)


@log_app.command("key")
def log_key(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Print the log's verifier key (name+keyid+base64) for clients and witnesses."""
    settings = load_settings(data, db)
    if not settings.log_vkey:
        raise CliError(f"{data} has no log key (log_vkey in {CONFIG_NAME})")
    typer.echo(settings.log_vkey)


@log_app.command("checkpoint")
def log_checkpoint(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Integrate every stored event into the log, verify the events it has not signed yet, sign
    a checkpoint now and print it (nothing is signed if one of them fails)."""
    from api.bootstrap import integrate_and_checkpoint
    from ledger.audit.before_signing import verify_uncovered

    with opened(data, db) as (settings, ledger):
        log = open_log(ledger)
        log.integrate()
        verify_uncovered(log, settings.authority_key)
        made = integrate_and_checkpoint(settings, ledger, now=now(), force=True)
    if made is None:
        raise CliError("the log is empty: there is nothing to checkpoint")
    typer.echo(made.note, nl=False)


@log_app.command("prove")
def log_prove(
    index: Annotated[int | None, typer.Option(min=0, help="Leaf index to prove.")] = None,
    size: Annotated[
        int | None, typer.Option(min=1, help="Tree size (default: the latest checkpoint).")
    ] = None,
    size1: Annotated[int | None, typer.Option("--from", min=1, help="Older tree size.")] = None,
    size2: Annotated[
        int | None, typer.Option("--to", min=1, help="Newer size (default: latest checkpoint).")
    ] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Print an inclusion (--index [--size]) or consistency (--from [--to]) proof as JSON."""
    import orjson

    from ledger.log.jobs import consistency_document, inclusion_document

    inclusion = index is not None or size is not None
    if inclusion == (size1 is not None or size2 is not None) or (inclusion and index is None):
        raise CliError("give either --index [--size] or --from [--to]")
    with opened(data, db) as (_settings, ledger):
        log = open_log(ledger)
        if index is not None:
            doc = inclusion_document(log, index, size)
        else:
            assert size1 is not None
            doc = consistency_document(log, size1, size2)
    typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


@log_app.command("head")
def log_head(
    code: Annotated[str, typer.Argument(help="A file code (it need not exist).")],
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Print the proof of a file's head (or of its absence) at the latest checkpoint, as JSON;
    check it offline with `hoso verify-head`."""
    import orjson

    from ledger.log.heads import head_proof_doc

    with opened(data, db) as (_settings, ledger):
        log = open_log(ledger)
        latest = log.latest_checkpoint()
        if latest is None:
            raise CliError("the log has no checkpoint yet: run hoso log checkpoint")
        doc = {
            "file": code,
            "checkpoint": log.cosigned_note(latest.size),
            "head": head_proof_doc(log.heads.at(latest.size), code),
        }
    typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
