"""What the ``hoso`` commands share: the consoles, the ``--data`` and ``--db`` options and the
ledger opened for one command. The one-line failure (``CliError``) and the exit codes are in
``api.errors``, with the table that answers every known error."""

from __future__ import annotations

import inspect
import shlex
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


def program() -> str:
    """The command that runs ``hoso`` again for this user, to print in hints (``program_name``
    of this process)."""
    return program_name(sys.argv[0], shutil.which("hoso"), sys.executable)


def program_name(argv0: str, on_path: str | None, executable: str) -> str:
    """``hoso`` when that is what the shell finds on PATH (``on_path``), else the path this
    program was started as (``.venv/bin/hoso``, as the README installs it); started as
    ``python -m api.main`` (``argv0`` not a ``hoso``), the entry point installed beside
    ``executable``, else ``python -m api.main`` itself. Quoted for a POSIX shell."""
    started = Path(argv0)
    if not (started.name == "hoso" and started.is_file()):
        started = Path(executable).parent / "hoso"  # the venv's bin, not the resolved python
        if not started.is_file():
            return f"{shlex.quote(executable)} -m api.main"
    if on_path is not None and Path(on_path).resolve() == started.resolve():
        return "hoso"
    return shlex.quote(str(started))


def one_line_summaries(app: typer.Typer) -> None:
    """Each command's summary in a list of commands (``hoso --help``) is its docstring's first
    paragraph as one line, wrapped to the terminal, not broken where the source is: Typer
    keeps single line breaks there in its rich mode (it joins them on the command's own page)."""
    for command in app.registered_commands:
        doc = command.help or (command.callback.__doc__ if command.callback else None)
        if doc and command.short_help is None:
            command.short_help = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    for group in app.registered_groups:
        if group.typer_instance is not None:
            one_line_summaries(group.typer_instance)
