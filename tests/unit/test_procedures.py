"""The procedure catalogue: codes, statutory times, fees, and its immutability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import StatutoryTime, TimeUnit, compute_due
from domain.errors import DomainError, InvalidValue, UnknownProcedure
from domain.procedures import CATALOGUE, Channel, Procedure, get_procedure


def test_channels() -> None:
    assert [c.value for c in Channel] == ["in_person", "online", "postal", "mobile_session"]


@pytest.mark.parametrize(
    ("code", "time", "fee", "field"),
    [
        ("birth_registration", StatutoryTime(0, TimeUnit.SAME_DAY), 0, "civil_status"),
        ("marriage_registration", StatutoryTime(0, TimeUnit.SAME_DAY), 0, "civil_status"),
        ("death_registration", StatutoryTime(0, TimeUnit.SAME_DAY), 0, "civil_status"),
        ("certified_copy", StatutoryTime(0, TimeUnit.SAME_DAY), 2000, "certification"),
        ("signature_certification", StatutoryTime(0, TimeUnit.SAME_DAY), 10000, "certification"),
        ("permanent_residence", StatutoryTime(7, TimeUnit.WORKING_DAYS), 20000, "residence"),
        ("birth_residence_insurance", StatutoryTime(5, TimeUnit.WORKING_DAYS), 0, "civil_status"),
        ("child_health_insurance", StatutoryTime(5, TimeUnit.WORKING_DAYS), 0, "health_insurance"),
        (
            "house_construction_permit",
            StatutoryTime(15, TimeUnit.WORKING_DAYS),
            75000,
            "construction",
        ),
        ("land_use_certificate_first", StatutoryTime(20, TimeUnit.WORKING_DAYS), 100000, "land"),
        (
            "marital_status_confirmation",
            StatutoryTime(3, TimeUnit.WORKING_DAYS),
            0,
            "civil_status",
        ),
        (
            "civil_status_extract_copy",
            StatutoryTime(0, TimeUnit.SAME_DAY),
            8000,
            "civil_status",
        ),
    ],
)
def test_seeded_procedures(code: str, time: StatutoryTime, fee: int, field: str) -> None:
    procedure = get_procedure(code)
    assert procedure.code == code
    assert procedure.time == time
    assert procedure.fee_vnd == fee
    assert procedure.field == field


def test_online_eligibility() -> None:
    assert not get_procedure("land_use_certificate_first").online_eligible
    assert get_procedure("house_construction_permit").online_eligible
    assert get_procedure("birth_registration").online_eligible


def test_catalogue_entries_are_consistent() -> None:
    assert len(CATALOGUE) == 12
    for code, procedure in CATALOGUE.items():
        assert procedure.code == code
        assert procedure.name_vi
        assert procedure.name_en
        assert procedure.documents
        assert all(doc.strip() for doc in procedure.documents)
        assert procedure.fee_vnd >= 0


def test_catalogue_is_read_only() -> None:
    mutable: Any = CATALOGUE
    with pytest.raises(TypeError):
        mutable["x"] = get_procedure("birth_registration")
    with pytest.raises(AttributeError):
        mutable.clear()


def test_procedures_are_frozen() -> None:
    procedure: Any = get_procedure("certified_copy")
    with pytest.raises(AttributeError):
        procedure.fee_vnd = 0


def test_unknown_procedure() -> None:
    with pytest.raises(UnknownProcedure) as excinfo:
        get_procedure("no_such_thing")
    assert excinfo.value.code == "no_such_thing"
    assert isinstance(excinfo.value, DomainError)


def _procedure(**changes: Any) -> Procedure:
    values: dict[str, Any] = {
        "code": "test_procedure",
        "name_vi": "Thủ tục thử",
        "name_en": "Test procedure",
        "field": "civil_status",
        "time": StatutoryTime(1, TimeUnit.WORKING_DAYS),
        "fee_vnd": 0,
        "online_eligible": True,
        "documents": ("Tờ khai",),
    }
    values.update(changes)
    return Procedure(**values)


@pytest.mark.parametrize(
    "changes",
    [
        {"code": ""},
        {"code": "Has Spaces"},
        {"field": ""},
        {"name_vi": " "},
        {"name_en": ""},
        {"fee_vnd": -1},
        {"fee_vnd": True},
        {"documents": ()},
        {"documents": ("",)},
    ],
)
def test_invalid_procedure(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        _procedure(**changes)


def test_valid_procedure() -> None:
    assert _procedure().code == "test_procedure"


def test_combined_birth_residence_insurance_over_tet_2026() -> None:
    cal = vietnam_calendar([2026])
    procedure = get_procedure("birth_residence_insurance")
    assert procedure.time.describe_vi() == "5 ngày làm việc"
    received = datetime(2026, 2, 13, 10, 0, tzinfo=VN_TZ)
    due = compute_due(cal, received, procedure.time)
    assert due.astimezone(VN_TZ).isoformat() == "2026-02-27T17:00:00+07:00"
