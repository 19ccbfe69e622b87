"""``hoso calendar``: the working calendar a new ledger publishes, and its amendments, through the
real command line (issue 17, part 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.calendar import VN_TZ
from tests.support.cli import assert_one_line_error, hoso

THIS_YEAR = datetime.now(UTC).astimezone(VN_TZ).year
NEXT = THIS_YEAR + 1


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("calendar") / "c"
    assert hoso("init", "--data", str(data)).returncode == 0
    added = hoso(
        "keys", "add", "quantri", "--role", "unit_admin", "--unit", "PHN", "--data", str(data)
    )
    assert added.returncode == 0, added.stderr
    return data


def test_a_new_ledger_publishes_this_year_and_the_years_either_side(data: Path) -> None:
    shown = hoso("calendar", "show", "--data", str(data))
    assert shown.returncode == 0, shown.stderr
    for year in (THIS_YEAR - 1, THIS_YEAR, NEXT):
        assert f"│ {year} │" in shown.stdout
    assert "is not published" not in shown.stdout
    one = hoso("calendar", "show", str(NEXT), "--data", str(data))
    assert one.returncode == 0, one.stderr
    assert "published 1 time(s)" in one.stdout
    assert "by authority" in one.stdout and "holidays package 0.109" in one.stdout
    assert f"{NEXT}-01-01" in one.stdout  # New Year's Day is a public holiday every year


def test_days_to_come_are_amended_and_the_history_is_kept(data: Path) -> None:
    june = (date(NEXT, 6, k) for k in range(1, 8))  # June has no public holiday
    day = next(d for d in june if d.weekday() < 5).isoformat()
    amended = hoso(
        "calendar", "publish", str(NEXT), "--day-off", day,
        "--source", "Quyết định 9/QĐ-UBND", "--data", str(data),
    )  # fmt: skip
    assert amended.returncode == 0, amended.stderr
    assert f"Amended the working calendar of {NEXT}" in amended.stdout
    shown = hoso("calendar", "show", str(NEXT), "--data", str(data))
    assert "published 2 time(s)" in shown.stdout
    assert "Quyết định 9/QĐ-UBND" in shown.stdout
    assert day in shown.stdout and "extra day off" in shown.stdout
    audit = hoso("audit", "--data", str(data))
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [str(THIS_YEAR), "--day-off", f"{THIS_YEAR}-01-05", "--cancel", f"{THIS_YEAR}-01-01"],
            "cannot change a day already past",
        ),
        ([str(NEXT), "--makeup", f"{NEXT}-03-03"], "is a weekday"),
        ([str(NEXT), "--day-off", "tomorrow"], "--day-off takes a date as YYYY-MM-DD"),
        ([str(NEXT + 3), "--as", "quantri"], "quantri may not publish the working calendar"),
        ([str(NEXT), "--day-off", f"{NEXT + 1}-03-03"], f"must be dates of {NEXT}"),
    ],
)
def test_a_publication_the_rule_forbids_is_one_sentence(
    data: Path, args: list[str], says: str
) -> None:
    result = hoso("calendar", "publish", *args, "--source", "QĐ 1", "--data", str(data))
    assert_one_line_error(result)
    assert says in result.stderr


def test_a_year_nobody_published_is_named(data: Path) -> None:
    result = hoso("calendar", "show", str(NEXT + 5), "--data", str(data))
    assert_one_line_error(result)
    assert f"the working calendar of {NEXT + 5} is not published" in result.stderr
    published = hoso(
        "calendar", "publish", str(NEXT + 5), "--source", "Thông báo của Bộ Nội vụ",
        "--data", str(data),
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert f"Published the working calendar of {NEXT + 5}" in published.stdout
