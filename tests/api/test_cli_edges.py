"""The command line as a new user meets it (issue 18, point 7), at 80 and 120 columns: the hints
name the command the user ran, the verifier key stays one line to copy, a file code is never
cut, an overdue file says so in words, ``[erased]`` survives Rich, a cut list says it was cut,
a bad value is a sentence (never an exception's name), the README's examples are of the demo."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.cli import base
from domain.procedures import Channel
from signing import KeyDirectory
from signing.registry import Role
from tests.support.cli import HOSO, assert_one_line_error
from tests.support.lifecycle import PERSON

ROOT = Path(__file__).resolve().parents[2]
UNIT = "H15.50.05.13"
EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")


def run(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOSO, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "HOME": str(Path.home())},
    )


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A ledger of a unit with a real agency code: one file received ten days ago (overdue);
    (data directory, its code, its applicant's reference)."""
    data = tmp_path_factory.mktemp("edges") / "d"
    now = datetime.now(UTC)
    before = now - timedelta(days=20)
    settings = init_data_dir(data, origin="test.hoso.vn/edges", db=None, at=before)
    keys = KeyDirectory(settings.keys_dir)
    officer = keys.create("lan")
    ledger = open_ledger(settings)
    try:
        ledger.register_key(
            signer=keys.signer(AUTHORITY), actor=AUTHORITY, holder="lan", role=Role.OFFICER,
            unit=UNIT, public_key=officer.public_key, valid_from=before, at=before,
        )  # fmt: skip
        receipt = ledger.receive(
            signer=officer, actor="lan", procedure="certified_copy", channel=Channel.IN_PERSON,
            unit=UNIT, counter="Q01", department="mot-cua", documents=("Bản chính",),
            applicant=PERSON, at=now - timedelta(days=10),
        )  # fmt: skip
    finally:
        ledger.close()
    return data, receipt.code, receipt.applicant_ref


@pytest.mark.parametrize("columns", [80, 120])
def test_a_queue_never_cuts_a_file_code_and_says_overdue_in_words(
    agency: tuple[Path, str, str], columns: int
) -> None:
    data, code, _ref = agency
    shown = run("queue", UNIT, "--data", str(data), columns=columns)
    assert shown.returncode == 0, shown.stderr
    assert code in shown.stdout  # whole, on one line
    assert "OVERDUE by" in shown.stdout  # a pipe has no colour: the words say it
    assert max(len(line) for line in shown.stdout.splitlines()) <= columns


def test_forget_says_erased_and_inspect_says_when_it_cut_the_list(
    agency: tuple[Path, str, str],
) -> None:
    data, _code, ref = agency
    cut = run("inspect", "--limit", "1", "--data", str(data))
    assert cut.returncode == 0, cut.stderr
    assert "Showing the first 1 actions; more match" in cut.stdout
    forgot = run("forget", ref, "--data", str(data))
    assert forgot.returncode == 0, forgot.stderr
    assert "now read [erased];" in forgot.stdout


def test_the_demo_names_the_command_and_keeps_its_key_on_one_line(tmp_path: Path) -> None:
    made = run("demo", "--days", "1", "--data", str(tmp_path / "d"), "--start", "2026-11-16")
    assert made.returncode == 0, made.stderr
    key = run("log", "key", "--data", str(tmp_path / "d")).stdout.strip()
    assert key in made.stdout.splitlines()  # a line of its own, unbroken at 80 columns
    assert "Try: hoso file show PBADINH-261116-" in made.stdout
    bad = run("demo", "--data", str(tmp_path / "e"), "--start", "2026-13-01")
    assert_one_line_error(bad)
    assert "--start takes a day as YYYY-MM-DD, not '2026-13-01'" in bad.stderr


def test_the_command_named_is_the_one_the_user_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [".venv/bin/hoso", "demo"])
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert base.command() == ".venv/bin/hoso"
    monkeypatch.setattr(shutil, "which", lambda _name: ".venv/bin/hoso")
    assert base.command() == "hoso"  # on the PATH: the short name works
    monkeypatch.setattr(sys, "argv", ["-c"])
    assert base.command() == "hoso"


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--data", "/tmp/hoso-edges-x", "--start", "tomorrow"],
        ["transparency", "--period", "2026-13", "--data", "D"],
        ["inspect", "--from", "2026-02-30", "--data", "D"],
        ["file", "show", "NOPE", "--data", "D"],
        ["calendar", "publish", "2027", "--day-off", "x", "--source", "s", "--data", "D"],
        ["verify", "/nonexistent", "--log-key", "x"],
        ["queue", "PBADINH", "--data", "/nonexistent"],
    ],
)
def test_a_bad_value_is_a_sentence(agency: tuple[Path, str, str], args: list[str]) -> None:
    data, _code, _ref = agency
    result = run(*[str(data) if a == "D" else a for a in args])
    assert_one_line_error(result)
    assert not EXCEPTION.search(result.stderr + result.stdout), result.stderr


def test_the_readme_examples_are_of_the_demo_it_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    start = re.search(r"hoso demo --data D --days 3 --seed 7 --start (\d{4})-(\d\d)-(\d\d)", readme)
    assert start, "the README's demo names its first day"
    day = f"{start[1][2:]}{start[2]}{start[3]}"
    codes = set(re.findall(r"PBADINH-(\d{6})-\d{4}", readme))
    assert codes == {day}, "every example code is of the demo's first day"
    assert "123456" not in readme  # no invented PIN: the credentials file has the real ones
