"""The documentation says what the code does: every environment variable it names is one the
code reads, and the skip reason of a missing PostgreSQL names the variable to set."""

from __future__ import annotations

import re
from pathlib import Path

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
