"""The documentation says what the code does: every environment variable it names is one the
code reads, the skip reason of a missing PostgreSQL names the variable to set, and every
command line of the README parses (its examples' codes and dates are checked against the demo
the README makes in ``tests/api/test_cli_edges.py``)."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import typer.main

from tests.support.postgres import pg_available

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("api", "domain", "ledger", "projections", "signing", "tests", "benchmarks")


def _read_variables() -> set[str]:
    """The ``HOSO_*`` names the code reads: string literals in its Python files."""
    found: set[str] = set()
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if path == Path(__file__).resolve():  # this file names what it looks for
                continue
            found |= set(re.findall(r"""["'](HOSO_[A-Z0-9_]+)["']""", path.read_text()))
    return found


def test_every_variable_named_in_the_docs_is_read() -> None:
    read = _read_variables()
    for doc in ("README.md", "ARCHITECTURE.md", "pyproject.toml"):
        named = set(re.findall(r"\bHOSO_[A-Z0-9_]+", (ROOT / doc).read_text()))
        assert named <= read, f"{doc} names {sorted(named - read)}, which no code reads"


def test_the_postgres_skip_reason_names_the_variable() -> None:
    reason = pg_available("postgresql://nobody@127.0.0.1:1/none")
    assert reason is not None and "HOSO_TEST_PG" in reason
    assert "_DSN" not in reason


def readme_commands() -> list[list[str]]:
    """Every ``.venv/bin/hoso ...`` line of the README's shell examples, as arguments (its
    comment, redirection and pipe left off)."""
    commands: list[list[str]] = []
    in_shell = False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            in_shell = line.strip() == "```sh"
            continue
        if in_shell and line.startswith(".venv/bin/hoso "):
            words = shlex.split(line, comments=True)[1:]
            ends = [i for i, w in enumerate(words) if w in (">", "|", "&&", "2>")]
            commands.append(words[: ends[0]] if ends else words)
    return commands


def test_the_readme_commands_parse() -> None:
    """Each command and option the README shows exists, with values of the right kind."""
    from api.cli.main import app

    importlib.import_module("api.main")  # the whole program: it adds the servers' commands
    commands = readme_commands()
    assert len(commands) > 30
    for args in commands:
        command: Any = typer.main.get_command(app)
        name, context = "hoso", None
        while True:
            context = command.make_context(name, list(args), parent=context)
            if not hasattr(command, "resolve_command"):
                break  # a command, its arguments and options all parsed
            rest = [*context._protected_args, *context.args]
            name, command, args = command.resolve_command(context, rest)
