"""The command table (``domain.commands``): each command calls its aggregate method and gives its
event, each event gives back its command (the intake's replay), and every action of the HTTP API
maps to a command of the table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.http.schemas.actions import ACTIONS
from domain import commands
from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.errors import InvalidValue
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel

CAL = vietnam_calendar()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)  # a Monday
UNIT = "PBD"
CODE = "PBD-260302-0007"
RECEIVER, OFFICER, LEADER = "thu.tran", "lan.nguyen", "pho.chu-tich"
RECEIVE = commands.Receive(
    procedure="birth_residence_insurance",
    channel=Channel.IN_PERSON,
    unit=UNIT,
    counter="counter-1",
    department="one-stop",
    documents=("Tờ khai",),
    applicant_ref="ap-1",
    applicant_sealed="sealed",
)
TO_OFFICER = commands.HandOff(Desk(OFFICER, "justice", UNIT), "Chuyển xử lý")
Step = tuple[str, commands.FileCommand]

# Each command, by whom, and the steps that bring a fresh file to where it is allowed.
CASES: dict[type[commands.FileCommand], tuple[list[Step], Step]] = {
    commands.HandOff: ([], (RECEIVER, TO_OFFICER)),
    commands.AcknowledgeHandoff: (
        [(RECEIVER, TO_OFFICER)],
        (OFFICER, commands.AcknowledgeHandoff()),
    ),
    commands.RequestSupplement: (
        [(RECEIVER, TO_OFFICER)],
        (OFFICER, commands.RequestSupplement(("Bản sao CCCD",), "Thiếu bản sao")),
    ),
    commands.ReceiveSupplement: (
        [(RECEIVER, TO_OFFICER), (OFFICER, commands.RequestSupplement(("CCCD",), "Thiếu"))],
        (RECEIVER, commands.ReceiveSupplement(("CCCD",))),
    ),
    commands.RequestFee: ([], (RECEIVER, commands.RequestFee(4000, "Lệ phí"))),
    commands.PayFee: (
        [(RECEIVER, commands.RequestFee(4000, "Lệ phí"))],
        (RECEIVER, commands.PayFee(4000, PaymentMethod.ONLINE)),
    ),
    commands.SubmitForSignature: (
        [(RECEIVER, TO_OFFICER)],
        (OFFICER, commands.SubmitForSignature(LEADER)),
    ),
    commands.SignResult: (
        [(RECEIVER, TO_OFFICER), (OFFICER, commands.SubmitForSignature(LEADER))],
        (LEADER, commands.SignResult("ab" * 32)),
    ),
    commands.ReturnResult: (
        [
            (RECEIVER, TO_OFFICER),
            (OFFICER, commands.SubmitForSignature(LEADER)),
            (LEADER, commands.SignResult("ab" * 32)),
        ],
        (RECEIVER, commands.ReturnResult(ReturnMethod.COUNTER)),
    ),
    commands.Refuse: ([], (RECEIVER, commands.Refuse("Không thuộc thẩm quyền"))),
    commands.Withdraw: ([], ("citizen", commands.Withdraw("Xin rút"))),
    commands.StopProcessing: ([], (RECEIVER, commands.StopProcessing("Dừng"))),
    commands.IssueApology: (
        [],
        (RECEIVER, commands.IssueApology("Chờ xác minh", T0 + timedelta(days=30))),
    ),
    commands.RateSatisfaction: (
        [(RECEIVER, commands.Refuse("Không thuộc thẩm quyền"))],
        ("kiosk", commands.RateSatisfaction(Rating.SATISFIED)),
    ),
    commands.ReissuePin: ([], (RECEIVER, commands.ReissuePin())),
}


def opened() -> AdministrativeFile:
    f = RECEIVE.open(
        CODE, actor=RECEIVER, at=T0, calendar=CAL, supplement_policy=SupplementPolicy.EXTEND
    )
    f.collect_events()
    return f


def spy(f: AdministrativeFile, calls: list[str]) -> None:
    """Record which aggregate methods run on ``f`` (each still does its work)."""
    for command in commands.COMMANDS:
        method: Callable[..., None] = getattr(f, command.action)

        def recording(*args: Any, _name: str = command.action, _m: Any = method, **kw: Any) -> None:
            calls.append(_name)
            _m(*args, **kw)

        setattr(f, command.action, recording)


def test_the_table_covers_every_command_once() -> None:
    assert set(CASES) == set(commands.COMMANDS)
    assert len(commands.BY_ACTION) == len(commands.BY_EVENT) == len(commands.COMMANDS)
    for command in commands.COMMANDS:
        assert callable(getattr(AdministrativeFile, command.action))
        assert dataclasses.is_dataclass(command)
        with pytest.raises(dataclasses.FrozenInstanceError):
            CASES[command][1][1].__setattr__("actor", "x")


@pytest.mark.parametrize("kind", commands.COMMANDS, ids=lambda c: c.__name__)
def test_each_command_calls_its_aggregate_method(kind: type[commands.FileCommand]) -> None:
    before, (actor, command) = CASES[kind]
    f = opened()
    at = T0
    for who, step in before:
        at += timedelta(hours=1)
        step.apply(f, actor=who, at=at, calendar=CAL)
    f.collect_events()
    calls: list[str] = []
    spy(f, calls)
    command.apply(f, actor=actor, at=at + timedelta(hours=1), calendar=CAL)
    assert calls == [kind.action]
    (event,) = f.collect_events()
    assert type(event) is kind.event
    # The intake's replay: the stored event gives back the very command.
    assert commands.BY_EVENT[type(event).__name__] is kind
    assert kind.of_event(event) == command


def test_the_receipt_drafted_then_issued_is_the_receipt_opened_under_its_code() -> None:
    policy = SupplementPolicy.EXTEND
    draft = RECEIVE.draft(actor=RECEIVER, at=T0, calendar=CAL, supplement_policy=policy)
    assert draft.originator_id == "PBD-260302-0001"
    issued = commands.Receive.issue(draft, CODE)
    direct = RECEIVE.open(CODE, actor=RECEIVER, at=T0, calendar=CAL, supplement_policy=policy)
    assert issued.collect_events() == direct.collect_events()
    assert commands.Receive.of_event(draft) == RECEIVE
    with pytest.raises(InvalidValue):
        commands.Receive.issue(draft, "OTHER-260302-0001")


def test_the_draft_checks_the_receipt_rule() -> None:
    online = dataclasses.replace(
        RECEIVE, channel=Channel.ONLINE, procedure="land_use_certificate_first"
    )
    with pytest.raises(InvalidValue):
        online.draft(actor=RECEIVER, at=T0, calendar=CAL, supplement_policy=SupplementPolicy.EXTEND)


def test_every_http_action_maps_to_its_command() -> None:
    mapped = set()
    for body in ACTIONS:
        extra = body.model_config.get("json_schema_extra")
        assert isinstance(extra, dict)
        examples = extra["examples"]
        assert isinstance(examples, list)
        command = body.model_validate(examples[0]).to_command()
        assert body.path == type(command).action.replace("_", "-")
        mapped.add(type(command))
    # A PIN is reissued on its own route, which answers the new PIN (issue 16).
    assert mapped == set(commands.COMMANDS) - {commands.ReissuePin}
