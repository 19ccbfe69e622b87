"""The read-model commands as a user runs them: status by code and PIN, queues, figures, index."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest

from api.cli.demo import GIVEN, SURNAMES, staff
from domain.calendar import VN_TZ
from tests.support.cli import assert_one_line_error, hoso


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    data = tmp_path_factory.mktemp("views") / "d"
    made = hoso("demo", "--days", "2", "--seed", "11", "--data", str(data), "--start", "2026-04-28")
    assert made.returncode == 0, made.stderr
    # issue 17: lateness judged at the processing end, the month's Decision 766 score card
    assert re.search(r"processing ended late\s+│\s+\d+ \(\d+\.\d%\)", made.stdout)
    assert "Decision 766 score card, 2026-04" in made.stdout
    code, pin = re.findall(r"(PBADINH-\d{6}-\d{4})\s+PIN (\d{6})", made.stdout)[0]
    return data, code, pin


def test_citizen_status_by_code_and_pin(demo_run: tuple[Path, str, str]) -> None:
    data, code, pin = demo_run
    shown = hoso("status", code, "--pin", pin, "--data", str(data))
    assert shown.returncode == 0, shown.stderr
    assert code in shown.stdout and "Đã tiếp nhận hồ sơ" in shown.stdout
    assert re.search(r"portal status: (\d+)", shown.stdout)
    people = [*SURNAMES, *GIVEN, *staff().counters, *staff().leaders]
    assert not [p for p in people if p in shown.stdout]  # no personal data of anyone
    wrong = hoso(
        "status", code, "--pin", "000000" if pin != "000000" else "111111", "--data", str(data)
    )
    unknown = hoso("status", "PBADINH-260428-9999", "--pin", pin, "--data", str(data))
    assert_one_line_error(wrong)
    assert_one_line_error(unknown)
    assert wrong.stderr == unknown.stderr  # no enumeration oracle


def test_queue_transparency_inspect_workload(demo_run: tuple[Path, str, str]) -> None:
    data = str(demo_run[0])
    q = hoso("queue", "PBADINH", "--department", "tu-phap-ho-tich", "--data", data)
    assert q.returncode == 0, q.stderr
    assert "Work queue of PBADINH" in q.stdout
    t = hoso("transparency", "--period", "2026-Q2", "--data", data)
    assert t.returncode == 0, t.stderr
    assert "Decision 766 score card" in t.stdout and "ranked by" in t.stdout
    assert "not captured" in t.stdout and "Handled early or on time" in t.stdout
    month = hoso("transparency", "--data", data)  # no --period: the current month
    assert month.returncode == 0 and f"{datetime.now(VN_TZ):%Y-%m}" in month.stdout
    i = hoso(
        "inspect",
        "--actor",
        "chutich",
        "--from",
        "2026-04-28",
        "--to",
        "2026-05-05",
        "--data",
        data,
    )
    assert i.returncode == 0, i.stderr
    assert "Ký duyệt" in i.stdout
    w = hoso("workload", "--data", data)
    assert w.returncode == 0 and "Officers' workload" in w.stdout
    assert_one_line_error(hoso("transparency", "--period", "2026-Q5", "--data", data))
    assert_one_line_error(hoso("inspect", "--from", "yesterday", "--data", data))


def test_projection_status_and_rebuild(demo_run: tuple[Path, str, str]) -> None:
    data = str(demo_run[0])
    rebuilt = hoso("projections", "rebuild", "files", "--data", data)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert re.search(r"files: \d+ events replayed \([\d,]+ events/s, 1 process\)", rebuilt.stdout)
    status = hoso("projections", "status", "--data", data)
    assert status.returncode == 0
    assert re.search(r"files\s+│\s+(\d+)\s+│\s+\1\s+│\s+0", status.stdout), status.stdout
    assert_one_line_error(hoso("projections", "rebuild", "nope", "--data", data))
    assert_one_line_error(hoso("projections", "rebuild", "--workers", "2", "--data", data))
    assert_one_line_error(hoso("projections", "rebuild", "--workers", "0", "--data", data))
    too_many = str((os.cpu_count() or 1) + 1)
    refused = hoso("projections", "rebuild", "--workers", too_many, "--data", data)
    assert_one_line_error(refused)
    assert "at most" in refused.stderr


def test_figures_at_the_demo_checkpoint_are_the_live_ones(
    demo_run: tuple[Path, str, str],
) -> None:
    """The demo ends with a signed checkpoint covering every event: the live figures say so, and
    the same figures come back from the log's entries alone (issue 17)."""
    data = str(demo_run[0])
    live = hoso("transparency", "--period", "2026-Q2", "--data", data)
    assert live.returncode == 0, live.stderr
    found = re.search(r"reproduce with --at-checkpoint (\d+)", live.stdout)
    assert found, live.stdout[-400:]
    again = hoso(
        "transparency", "--period", "2026-Q2", "--at-checkpoint", found.group(1),
        "--data", data,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr

    def tables(text: str) -> str:  # the tables: not the progress bar nor the closing line
        lines = text[: text.index("Computed at")].splitlines()
        return "\n".join(x for x in lines if not x.startswith("Reading the log"))

    assert tables(again.stdout) == tables(live.stdout)
    assert "from the log's entries" in again.stdout
    missing = hoso("transparency", "--at-checkpoint", "999999", "--data", data)
    assert_one_line_error(missing)
    assert "no signed checkpoint of size 999999" in missing.stderr
