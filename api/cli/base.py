"""What the ``hoso`` commands share: the consoles, the ``--data`` and ``--db`` options and the
ledger opened for one command. The one-line failure (``CliError``) and the exit codes are in
``api.errors``, with the table that answers every known error."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import open_ledger
from api.settings import Settings, load_settings
from ledger.chain.service import Ledger

out = Console()
err = Console(stderr=True, soft_wrap=True)

DataOpt = Annotated[Path, typer.Option("--data", help="Data directory.")]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (postgresql://...); default: SQLite in the data dir."),
]


@contextmanager
def opened(data: Path, db: str | None) -> Iterator[tuple[Settings, Ledger]]:
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        yield settings, ledger
    finally:
        ledger.store.close()


def now() -> datetime:
    return datetime.now(UTC)


def command() -> str:
    """``hoso`` as this user can type it again: the path they ran (``.venv/bin/hoso``, as the
    README installs it) unless ``hoso`` on their PATH is that very program."""
    ran = sys.argv[0] if sys.argv else ""
    if os.path.basename(ran) != "hoso":
        return "hoso"
    found = shutil.which("hoso")
    if found is not None and os.path.realpath(found) == os.path.realpath(ran):
        return "hoso"
    return ran
