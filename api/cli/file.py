"""``hoso file``: look at one file (its process control slip); reissue its lookup PIN."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from api.cli import render
from api.cli.base import DataOpt, DbOpt, now, opened, out
from api.settings import DEFAULT_DATA
from ledger.chain.sealed_text import remembering
from signing import KeyDirectory

file_app = typer.Typer(help="Look at one file; reissue its PIN.", no_args_is_help=True)


@file_app.command("show")
def file_show(code: str, data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Print a file and its process control slip (phiếu kiểm soát quá trình giải quyết)."""
    with opened(data, db) as (_settings, ledger):
        verified = ledger.load(code)
        render.file_slip(
            out,
            verified,
            ledger.personal_data(verified.file),
            ledger.read_calendar(),
            now(),
            remembering(ledger.applicant_secret),
        )


@file_app.command("reissue-pin")
def file_reissue_pin(
    code: str,
    actor: Annotated[
        str, typer.Option("--actor", help="The officer at the counter (their key file signs).")
    ],
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Cấp lại mã tra cứu: a new lookup PIN for the file (shown once), signed by the officer as
    a PinReissued event; the old PIN stops working and a locked lookup opens again."""
    with opened(data, db) as (settings, ledger):
        signer = KeyDirectory(settings.keys_dir).signer(actor)
        pin, _stored = ledger.reissue_pin(code, signer=signer, actor=actor, at=now())
    out.print(
        f"New PIN for {escape(code)}: [bold]{pin}[/] (shown once; the old PIN no longer works)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(file_app, name="file")
