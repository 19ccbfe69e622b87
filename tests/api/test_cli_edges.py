"""The command line as a new user meets it (issue 18, item 7): hints that run as printed, keys
and codes never cut at 80 columns, overdue files said in words, every bad input one sentence."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from api.cli.base import program_name
from tests.support.cli import INSTALLED, hoso

SAMPLE = "PBADINH-260212-0001"


@pytest.fixture(scope="module")
def demo80(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """One demo day made as the README says (``.venv/bin/hoso demo``, from the directory that
    holds the venv, nothing on PATH) in a terminal 80 columns wide: (data, output, command)."""
    home = INSTALLED.parent.parent.parent
    command = os.path.relpath(INSTALLED, home)
    data = tmp_path_factory.mktemp("edges") / "d"
    made = hoso(
        "demo", "--days", "1", "--start", "2026-02-12", "--data", str(data),
        columns=80, program=[command], cwd=home,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return data, made.stdout, command


def test_the_demo_hints_run_as_printed(demo80: tuple[Path, str, str]) -> None:
    data, stdout, command = demo80
    lines = stdout.splitlines()
    assert f"  {command} file show {SAMPLE} --data {data}" in lines
    assert f"  {command} audit --data {data}" in lines
    assert not [x for x in lines if re.match(r"\s*(Try: |Then: )?hoso ", x)]  # not on PATH
    home = INSTALLED.parent.parent.parent
    shown = hoso("file", "show", SAMPLE, "--data", str(data), program=[command], cwd=home)
    assert shown.returncode == 0, shown.stderr


def test_the_demo_prints_the_log_key_on_one_line(demo80: tuple[Path, str, str]) -> None:
    data, stdout, _ = demo80
    key = hoso("log", "key", "--data", str(data)).stdout.strip()
    assert len(key) > 80  # longer than the terminal, yet one line to copy
    assert key in stdout.splitlines()
    assert f"{data / 'demo-credentials.json'}" in [x.strip() for x in stdout.splitlines()]


def test_program_name(tmp_path: Path) -> None:
    venv = tmp_path / "my venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "hoso").write_text("#!/bin/sh\n")
    python = str(venv / "python")
    started = str(venv / "hoso")
    assert program_name(started, started, python) == "hoso"  # what PATH finds
    assert program_name(started, None, python) == f"'{started}'"  # quoted for the shell
    assert program_name(started, "/usr/local/bin/hoso", python) == f"'{started}'"
    assert program_name("-c", None, python) == f"'{started}'"  # python -m api.main
    shutil.rmtree(venv)
    venv.mkdir()
    assert program_name("-c", None, python) == f"'{python}' -m api.main"
