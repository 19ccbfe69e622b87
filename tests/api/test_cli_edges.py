"""The command line as a new user meets it (issue 18, item 7): hints that run as printed, keys
and codes never cut at 80 columns, overdue files said in words, every bad input one sentence."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from api.cli.base import program_name
from domain.procedures import Channel
from tests.support.cli import INSTALLED, assert_one_line_error, hoso
from tests.support.http import PERSON, small_ledger

SAMPLE = "PBADINH-261120-0001"
README = Path(__file__).resolve().parent.parent.parent / "README.md"


def readme_demo() -> list[str]:
    """The arguments of the README's demo (``.venv/bin/hoso demo --data D ...``), whose files its
    examples name."""
    lines = README.read_text().splitlines()
    line = next(x for x in lines if x.startswith(".venv/bin/hoso demo --data D "))
    return shlex.split(line, comments=True)[1:]


@pytest.fixture(scope="module")
def demo80(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The README's demo, made as it says (``.venv/bin/hoso demo``, from the directory that
    holds the venv, nothing on PATH) in a terminal 80 columns wide: (data, output, command)."""
    home = INSTALLED.parent.parent.parent
    command = os.path.relpath(INSTALLED, home)
    data = tmp_path_factory.mktemp("edges") / "d"
    args = [str(data) if x == "D" else x for x in readme_demo()]
    made = hoso(*args, columns=80, program=[command], cwd=home)
    assert made.returncode == 0, made.stderr
    return data, made.stdout, command


def test_the_readme_examples_are_true_of_its_demo(demo80: tuple[Path, str, str]) -> None:
    """The codes, dates and checkpoint of the README's examples exist in the demo it makes;
    its PINs and applicants are in the credentials file, as it says."""
    data = str(demo80[0])
    text = README.read_text()
    codes = set(re.findall(r"PBADINH-\d{6}-\d{4}", text))
    assert SAMPLE in codes
    for code in codes:
        assert hoso("file", "show", code, "--data", data).returncode == 0, code
    sizes = set(re.findall(r"--at-checkpoint (\d+) --data D", text))
    for size in sizes:
        again = hoso("transparency", "--at-checkpoint", size, "--data", data)
        assert again.returncode == 0, again.stderr
    found = re.search(r"--actor (\w+) --from (\S+) --to (\S+) --data D", text)
    assert found
    actor, start, end = found.groups()
    shown = hoso("inspect", "--actor", actor, "--from", start, "--to", end, "--data", data)
    assert shown.returncode == 0 and "Actions (0)" not in shown.stdout, shown.stdout
    sample = json.loads(Path(data, "demo-credentials.json").read_text())["samples"][0]
    assert sample["code"] == SAMPLE
    status = hoso("status", SAMPLE, "--pin", sample["pin"], "--data", data)
    assert status.returncode == 0, status.stderr


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


DOTTED = "H15.50.05.13"  # a real agency code: its files' codes are 24 characters long


@pytest.fixture(scope="module")
def dotted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A ledger of unit H15.50.05.13 holding two files received on 2026-10-08, same-day
    certified copies, long overdue by now."""
    data = tmp_path_factory.mktemp("dotted") / "d"
    made = datetime(2026, 10, 7, 1, 0, tzinfo=UTC)
    _settings, ledger, officer = small_ledger(data, None, unit=DOTTED, at=made)
    try:
        codes = [
            ledger.receive(
                signer=officer,
                actor="an",
                procedure="certified_copy",
                channel=Channel.IN_PERSON,
                unit=DOTTED,
                counter="Q01",
                department="mot-cua",
                documents=("Bản chính giấy khai sinh",),
                applicant=PERSON,
                at=datetime(2026, 10, 8, 2, i, tzinfo=UTC),
            ).code
            for i in range(2)
        ]
    finally:
        ledger.store.close()
    return data, codes


@pytest.mark.parametrize("columns", [80, 120])
def test_the_queue_shows_whole_codes_and_says_overdue(
    dotted: tuple[Path, list[str]], columns: int
) -> None:
    data, codes = dotted
    assert codes == [f"{DOTTED}-261008-0001", f"{DOTTED}-261008-0002"]
    shown = hoso("queue", DOTTED, "--data", str(data), columns=columns)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert max(len(x) for x in lines) <= columns
    for code in codes:  # whole, on one line, never cut
        assert [x for x in lines if f"│ {code} │" in x], shown.stdout
    rows = _rows(shown.stdout)
    assert [row[0] for row in rows] == codes
    for row in rows:  # how late, in words and office time: no colour in a pipe, no "-40 d"
        assert re.fullmatch(r"overdue \d+ d( \d+ h)?", row[-1]), row


def _rows(table: str, key: int = 0) -> list[list[str]]:
    """A Rich table's rows as text: each cell's lines joined by a space (a row starts where
    its ``key`` cell, one line in every row, is not empty)."""
    rows: list[list[list[str]]] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[key]:
            rows.append([[] for _ in cells])
        for parts, cell in zip(rows[-1], cells, strict=True):
            if cell:
                parts.append(cell)
    return [[" ".join(parts) for parts in row] for row in rows]


def test_inspect_says_when_it_shows_only_the_first_rows(demo80: tuple[Path, str, str]) -> None:
    data = str(demo80[0])
    leader = ("--actor", "chutich", "--data", data)
    everything = hoso("inspect", *leader, "--limit", "1000", columns=80)
    assert everything.returncode == 0, everything.stderr
    total = re.search(r"Actions \((\d+)\)", everything.stdout)
    assert total, everything.stdout[:400]
    assert 200 < int(total.group(1)) < 1000
    assert "Showing the first" not in everything.stdout
    first = hoso("inspect", *leader, columns=80)
    assert first.returncode == 0, first.stderr
    assert f"Actions (the first 200 of {total.group(1)})" in first.stdout
    said = " ".join(first.stdout.split())  # the sentence, wrapped at 80 columns
    assert f"Showing the first 200 of {total.group(1)} actions" in said
    assert "narrow with --actor, --unit, --type, --from and --to, or raise --limit" in said
    every = hoso("inspect", "--data", data, columns=80)
    assert re.search(r"Actions \(the first 200 of \d,\d{3}\)", every.stdout)
    files = [row[3] for row in _rows(every.stdout, key=3)]
    assert len(files) == 200
    assert all(re.fullmatch(r"KEYS|PBADINH-\d{6}-\d{4}", f) for f in files), files  # whole
    narrowed = hoso("inspect", "--actor", "chutich", "--type", "ResultSigned", "--data", data)
    assert narrowed.returncode == 0, narrowed.stderr
    assert "Showing the first" not in narrowed.stdout
    unknown = hoso("inspect", "--type", "Signed", "--data", data)
    assert_one_line_error(unknown)
    assert "no event type 'Signed'" in unknown.stderr


# ------------------------------------------------------------------ bad input: one sentence

CLASS_NAME = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception|Warning)\b|Value error")


def run_in_process(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``hoso *args`` through the program's own entry point, in this process (many bad inputs,
    quickly): exit code, standard output, standard error."""
    from api.main import main

    monkeypatch.setattr(sys, "argv", ["hoso", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def assert_one_sentence(code: int, out: str, error: str, args: tuple[str, ...]) -> None:
    assert code != 0, (args, out)
    assert not CLASS_NAME.search(out + error), (args, error)
    assert error.startswith("error: ") and error.strip().count("\n") == 0, (args, error)


ON_THE_DEMO = [
    ("transparency", "--period", "2026-13"),
    ("transparency", "--period", "2026-02-30"),
    ("transparency", "--period", "2026-Q5"),
    ("transparency", "--period", "9999-12-31"),
    ("transparency", "--procedure", "nope"),
    ("transparency", "--at-checkpoint", "999999"),
    ("inspect", "--from", "2026-13-01"),
    ("inspect", "--from", "9999-12-31", "--to", "9999-12-31"),
    ("inspect", "--from", "0001-01-01"),
    ("inspect", "--type", "Nope"),
    ("inspect", "--limit", "0"),
    ("file", "show", "NOPE"),
    ("file", "show", "H15.50.05.13-261008-0975"),
    ("file", "reissue-pin", SAMPLE, "--actor", "nobody"),
    ("status", SAMPLE, "--pin", "not-a-pin"),
    ("bundle", "NOPE"),
    ("log", "prove", "--index", "99999999"),
    ("log", "prove", "--from", "5", "--to", "2"),
    ("log", "prove"),
    ("forget", "ap-unknown"),
    ("keys", "revoke", "ffff", "--reason", "lost"),
    ("keys", "add", "x", "--role", "boss", "--unit", "PBADINH"),
    ("token", "create", "--actor", "x", "--role", "officer", "--unit", "PBADINH"),
    ("token", "create", "--actor", "x", "--role", "nope", "--unit", "PBADINH"),
    ("token", "revoke", "nope"),
    ("calendar", "show", "1999"),
    ("calendar", "publish", "2026", "--source", "x", "--day-off", "2026-13-01"),
    ("projections", "rebuild", "nope"),
    ("audit", "--witness-state", "/nonexistent/state.json"),
    ("audit", "--witness", "garbage"),
    ("audit", "--db", "postgresql://[::1"),
    ("audit", "--db", "mysql://x"),
    ("audit", "--workers", "0"),
    ("demo",),  # the directory already holds a ledger
]
NO_LEDGER = [
    ("audit",),
    ("queue", "PBADINH"),
    ("file", "show", SAMPLE),
    ("keys", "list"),
    ("log", "key"),
    ("inspect",),
    ("transparency",),
    ("workload",),
    ("projections", "status"),
    ("token", "list"),
    ("calendar", "show"),
]


def test_every_bad_input_is_one_sentence(
    demo80: tuple[Path, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(demo80[0])
    for args in ON_THE_DEMO:
        assert_one_sentence(*run_in_process((*args, "--data", data), monkeypatch, capsys), args)
    _code, _out, said = run_in_process(
        ("keys", "revoke", "quay01", "--reason", "lost", "--data", data), monkeypatch, capsys
    )
    assert "no key id starts with 'quay01'" in said  # not "matches 0 keys; give more of it"
    missing = str(tmp_path / "missing")
    for args in NO_LEDGER:
        assert_one_sentence(*run_in_process((*args, "--data", missing), monkeypatch, capsys), args)
    assert not (tmp_path / "missing").exists()  # a read creates nothing
    (tmp_path / "bad.json").write_text("{")
    tomorrow = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    fresh = str(tmp_path / "new")
    for args in [
        ("demo", "--data", fresh, "--start", "2026-13-01"),
        ("demo", "--data", fresh, "--start", "9999-12-30", "--days", "2"),
        ("demo", "--data", fresh, "--start", "1900-01-01"),
        ("demo", "--data", fresh, "--start", tomorrow),
        ("demo", "--data", fresh, "--days", "0"),
        ("init", "--data", fresh, "--origin", ""),
        ("init", "--data", fresh, "--origin", "two words"),
        ("init", "--data", fresh, "--db", "postgresql://[::1"),
        ("init", "--data", "/proc/hoso"),
        ("verify", str(tmp_path / "none.json"), "--log-key", "x"),
        ("verify", str(tmp_path / "bad.json"), "--log-key", "x"),
        ("verify-head", str(tmp_path / "bad.json"), "--log-key", "x"),
        ("witness", "add-log", "--state", missing, "--origin", "o", "--log-key", "x"),
        ("--bogus",),
    ]:
        assert_one_sentence(*run_in_process(args, monkeypatch, capsys), args)
        assert not Path(fresh).exists(), args  # nothing half-written


def test_the_last_line_of_defence_names_no_class(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An error nobody foresaw is still one sentence (a bug to report), without its class."""
    from api.cli import main as cli

    def broken(*_args: object, **_kwargs: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'code'")

    monkeypatch.setattr(cli, "init_data_dir", broken)
    code, out, error = run_in_process(("init", "--data", str(tmp_path / "x")), monkeypatch, capsys)
    assert_one_sentence(code, out, error, ("init",))
    assert "please report it" in error and "no attribute 'code'" in error


# ------------------------------------------------------------------ 80 columns, read as a user


def test_at_80_columns_nothing_is_cut(demo80: tuple[Path, str, str], tmp_path: Path) -> None:
    """Dates, actors, key ids and hashes whole in the slip, the key registry, a bundle's
    timeline and the token list: Rich cuts a cell with '…', and none may be."""
    data = str(demo80[0])
    key = hoso("log", "key", "--data", data).stdout.strip()
    bundle = hoso("bundle", SAMPLE, "--data", data)
    (tmp_path / "f.json").write_text(bundle.stdout)
    for args in [
        ("file", "show", SAMPLE, "--data", data),
        ("keys", "list", "--data", data),
        ("token", "list", "--data", data),
        ("verify", str(tmp_path / "f.json"), "--log-key", key),
        ("queue", "PBADINH", "--data", data),
        ("inspect", "--data", data),
    ]:
        shown = hoso(*args, columns=80)
        assert shown.returncode == 0, (args, shown.stderr)
        assert "…" not in shown.stdout, (args, shown.stdout)
        assert max(len(x) for x in shown.stdout.splitlines()) <= 80, args
    slip = hoso("file", "show", SAMPLE, "--data", data, columns=80).stdout
    rows = _rows(slip[slip.index("┏") :], key=0)
    assert len(rows) >= 5
    for row in rows:
        assert re.fullmatch(r"\d+", row[0]) and re.fullmatch(r"2026-11-\d\d \d\d:\d\d", row[1])
        assert re.fullmatch(r"[0-9a-f]{10}", row[-1]), row  # the chain hash, whole
    registry = hoso("keys", "list", "--data", data, columns=80).stdout
    assert len(re.findall(r"│ [0-9a-f]{16} │", registry)) > 20  # `keys revoke` takes them


def test_command_lists_wrap_to_the_terminal() -> None:
    """``hoso --help`` at 80 columns: a command's summary fills each line before the next
    (Typer broke it where the docstring's source lines broke)."""
    shown = hoso("--help", columns=80)
    assert shown.returncode == 0, shown.stderr
    panel = shown.stdout[shown.stdout.index("Commands") :].splitlines()[1:]
    lines = [x[1:-1] for x in panel if x.startswith("│")]
    start = len(lines[0]) - len(lines[0][1:].lstrip().split(" ", 1)[1].lstrip()) - 1
    width = len(lines[0]) - start - 1
    for above, below in pairwise(lines):
        if below[:start].strip():
            continue  # the next command
        room = width - len(above[start:].rstrip())
        assert len(below[start:].split()[0]) + 1 > room, (above, below)
