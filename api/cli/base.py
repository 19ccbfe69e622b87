"""What the ``hoso`` commands share: the consoles, the ``--data`` and ``--db`` options, the exit
codes, the one-line failure (``CliError``) and the ledger opened for one command."""

from __future__ import annotations

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
EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: printed as one line."""


@contextmanager
def opened(data: Path, db: str | None) -> Iterator[tuple[Settings, Ledger]]:
    settings = load_settings(data, db)
    ledger = open_ledger(settings)
    try:
        yield settings, ledger
    finally:
        ledger.store.close()


def now() -> datetime:
    return datetime.now(UTC)
