"""File codes, unit codes and actor ids have one spelling each (regression: a trailing newline or
a non-ASCII digit used to pass the patterns)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.codes import check_actor, check_unit_code, format_file_code, parse_file_code
from domain.errors import InvalidValue


def test_a_well_formed_code_round_trips() -> None:
    code = format_file_code("PTEST", date(2026, 3, 2), 7)
    assert code == "PTEST-260302-0007"
    parsed = parse_file_code(code)
    assert (parsed.unit, parsed.day, parsed.number) == ("PTEST", date(2026, 3, 2), 7)


@pytest.mark.parametrize(
    "code",
    [
        "PTEST-260302-0001\n",  # $ matched before a final newline
        "PTEST-２60302-0001",  # fullwidth digit: \d took it
        "PTEST-260302-٠٠٠1",  # Arabic-Indic digits
        "PTEST-260302-0000",
        "PTEST-261302-0001",
    ],
)
def test_other_spellings_of_a_file_code_are_refused(code: str) -> None:
    with pytest.raises(InvalidValue):
        parse_file_code(code)


def test_real_agency_codes_with_dots_make_file_codes() -> None:
    """Provinces issue agency identifiers such as H15.50.05.13 (issue 17)."""
    code = format_file_code("H15.50.05.13", date(2026, 10, 8), 975)
    assert code == "H15.50.05.13-261008-0975"
    parsed = parse_file_code(code)
    assert (parsed.unit, parsed.day, parsed.number) == ("H15.50.05.13", date(2026, 10, 8), 975)
    assert parse_file_code("000.00.13.H15-261008-0001").unit == "000.00.13.H15"


@pytest.mark.parametrize(
    "code",
    [
        "H15..50-261008-0001",  # an empty group
        ".H15-261008-0001",
        "H15.-261008-0001",
        "H15.50.05.13.01.02.03-261008-0001",  # seven groups
        "A" * 33 + "-261008-0001",  # longer than a unit code may be
        "P-261008-0001",  # one character
    ],
)
def test_malformed_dotted_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidValue):
        parse_file_code(code)


@pytest.mark.parametrize("unit", ["PTEST\n", "P", "ptest", "H15..50", "H15.", ".H15", "A" * 33])
def test_unit_codes_have_one_spelling(unit: str) -> None:
    with pytest.raises(InvalidValue):
        check_unit_code(unit)


@pytest.mark.parametrize("actor", ["quay01\n", "Quay01", ""])
def test_actor_ids_have_one_spelling(actor: str) -> None:
    with pytest.raises(InvalidValue):
        check_actor(actor)
