"""House style as tests: ruff, mypy --strict, and import-linter's inward-pointing layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = BIN / tool if (BIN / tool).exists() else shutil.which(tool)
    assert exe, f"{tool} is not installed (pip install -e '.[test]')"
    return subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("ruff", ("check", ".")),
        ("ruff", ("format", "--check", ".")),
        ("mypy", ()),
        ("lint-imports", ()),
    ],
)
def test_tool_is_clean(tool: str, args: tuple[str, ...]) -> None:
    result = run(tool, *args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
