"""The ``hoso`` command as a user runs it: a real process, a bare environment, text output."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HOSO = [sys.executable, "-c", "from api.main import main; main()"]
INSTALLED = Path(sys.executable).parent / "hoso"  # the entry point pip installs (the README's)


def hoso(
    *args: str,
    columns: int = 200,
    program: Sequence[str] = HOSO,
    cwd: Path | None = None,
    path: str = "/usr/bin:/bin",
) -> subprocess.CompletedProcess[str]:
    """Run ``hoso *args`` in a new process with a bare environment (a terminal ``columns``
    wide, ``path`` as its PATH, started as ``program`` from ``cwd``); its output as text."""
    return subprocess.run(
        [*program, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={"PATH": path, "COLUMNS": str(columns), "HOME": str(Path.home())},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """The command failed with one ``error:`` line on stderr and no trace."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("error:")
