"""``hoso file``: look at one file (its process control slip)."""

from __future__ import annotations

import typer

from api.cli import render
from api.cli.base import DataOpt, DbOpt, now, opened, out
from api.settings import DEFAULT_DATA
from ledger.chain.sealed_text import remembering

file_app = typer.Typer(help="Look at one file.", no_args_is_help=True)


@file_app.command("show")
def file_show(code: str, data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """Print a file and its process control slip (phiếu kiểm soát quá trình giải quyết)."""
    with opened(data, db) as (_settings, ledger):
        verified = ledger.load(code)
        render.file_slip(
            out,
            verified,
            ledger.personal_data(verified.file),
            ledger.calendar,
            now(),
            remembering(ledger.applicant_secret),
        )


def register(app: typer.Typer) -> None:
    app.add_typer(file_app, name="file")
