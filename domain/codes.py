"""File codes (mã hồ sơ) ``{unit code}-{yyMMdd}-{NNNN}`` and receipt PIN shape checks.

A unit code is the agency's identifier as provinces issue it: upper-case letters and digits in
dot-separated groups, e.g. ``H15.50.05.13`` (mã định danh điện tử của cơ quan), or a short local
code such as ``PBADINH``; so a file code reads ``H15.50.05.13-261008-0975``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidValue

# \Z, not $ ($ also matches before a final newline) and [0-9], not \d (which takes any Unicode
# digit): one spelling per code, actor and PIN.
UNIT = r"[A-Z0-9]{1,12}(?:\.[A-Z0-9]{1,12}){0,5}"
"""A unit code's shape (no anchors), shared with the HTTP schemas: 1 to 6 dot-separated groups."""
MAX_UNIT_LENGTH = 32
MAX_FILE_CODE_LENGTH = MAX_UNIT_LENGTH + len("-yyMMdd-NNNN")
UNIT_CODE_RE = re.compile(rf"^{UNIT}\Z")
FILE_CODE_RE = re.compile(rf"^(?P<unit>{UNIT})-(?P<day>[0-9]{{6}})-(?P<n>[0-9]{{4}})\Z")
ACTOR_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")
PIN_RE = re.compile(r"^[0-9]{6}\Z")
MAX_DAILY_FILES = 9999


@dataclass(frozen=True)
class FileCode:
    unit: str
    day: date
    number: int

    def __str__(self) -> str:
        return f"{self.unit}-{self.day:%y%m%d}-{self.number:04d}"


def check_unit_code(unit: str) -> str:
    if not (2 <= len(unit) <= MAX_UNIT_LENGTH and UNIT_CODE_RE.match(unit)):
        raise InvalidValue(
            f"unit code {unit!r} must be 2 to {MAX_UNIT_LENGTH} characters: upper-case letters "
            "or digits in dot-separated groups (e.g. H15.50.05.13)"
        )
    return unit


def check_actor(actor: str) -> str:
    if not ACTOR_RE.match(actor):
        raise InvalidValue(
            f"actor id {actor!r} must be 1 to 64 lower-case letters, digits, '.', '_' or '-'"
        )
    return actor


def format_file_code(unit: str, day: date, number: int) -> str:
    check_unit_code(unit)
    if not 1 <= number <= MAX_DAILY_FILES:
        raise InvalidValue(
            f"daily file number {number} for unit {unit} on {day} is outside 1..{MAX_DAILY_FILES}"
        )
    return str(FileCode(unit, day, number))


@functools.lru_cache(maxsize=1 << 16)  # pure; FileCode is frozen; errors are not cached
def parse_file_code(code: str) -> FileCode:
    m = FILE_CODE_RE.match(code) if len(code) <= MAX_FILE_CODE_LENGTH else None
    if m is None or len(m.group("unit")) < 2:
        raise InvalidValue(f"file code {code!r} is not of the form UNIT-yyMMdd-NNNN")
    raw = m.group("day")
    try:
        day = date(2000 + int(raw[0:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError as e:
        raise InvalidValue(f"file code {code!r} has no valid date") from e
    number = int(m.group("n"))
    if number == 0:
        raise InvalidValue(f"file code {code!r} has number 0000")
    return FileCode(m.group("unit"), day, number)
