"""The ``hoso`` command as a user runs it: a real process, a bare environment, text output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HOSO = [sys.executable, "-c", "from api.main import main; main()"]


def hoso(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hoso *args`` in a new process with a bare environment; its output as text."""
    return subprocess.run(
        [*HOSO, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(Path.home())},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """The command failed with one ``error:`` line on stderr and no trace."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("error:")
