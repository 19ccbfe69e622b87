"""Portal status codes follow the file's state (DESIGN.md: 1 to 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.events import Desk, PaymentMethod, ReturnMethod
from domain.file import AdministrativeFile
from domain.portal import PortalStatus, portal_channel, portal_status
from domain.procedures import Channel, get_procedure

CAL = vietnam_calendar()
T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def new(channel: Channel = Channel.IN_PERSON) -> AdministrativeFile:
    return AdministrativeFile.receive(
        code="PT-260302-0001",
        procedure=get_procedure("permanent_residence"),
        channel=channel,
        unit="PT",
        counter="Q1",
        department="mot-cua",
        documents=("CT01",),
        applicant_ref="ap-1",
        applicant_sealed="x",
        actor="an",
        at=T,
        calendar=CAL,
        supplement_policy=SupplementPolicy.EXTEND,
    )


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def test_codes_through_a_lifecycle() -> None:
    # the ledger's receipt is the acceptance: an accepted online file is 2, not 1 (issue 17)
    assert portal_status(new(Channel.ONLINE)) is PortalStatus.ACCEPTED
    f = new()
    assert portal_status(f) is PortalStatus.ACCEPTED
    f.request_fee(actor="an", amount_vnd=20000, description="lệ phí", at=at(1))
    assert portal_status(f) is PortalStatus.PAYMENT_REQUESTED
    f.pay_fee(actor="an", amount_vnd=20000, method=PaymentMethod.COUNTER, at=at(2))
    f.hand_off(actor="an", to=Desk("binh", "cong-an", "PT"), note="", at=at(3))
    assert portal_status(f) is PortalStatus.IN_PROGRESS
    f.request_supplement(actor="binh", items=("CT01",), reason="thiếu", at=at(4))
    assert portal_status(f) is PortalStatus.SUPPLEMENT_REQUESTED
    f.receive_supplement(actor="binh", items=("CT01",), at=at(5), calendar=CAL)
    f.submit_for_signature(actor="binh", leader="chutich", at=at(6))
    assert portal_status(f) is PortalStatus.IN_PROGRESS
    f.sign_result(actor="chutich", document_sha256="a" * 64, at=at(7))
    assert portal_status(f) is PortalStatus.PROCESSED
    f.return_result(actor="chutich", method=ReturnMethod.COUNTER, at=at(8), calendar=CAL)
    assert portal_status(f) is PortalStatus.RETURNED


def test_closed_codes() -> None:
    f = new()
    f.withdraw(actor="an", reason="xin rút", at=at(1))
    assert portal_status(f) is PortalStatus.WITHDRAWN
    g = new()
    g.refuse(actor="an", reason="không đủ điều kiện", at=at(1))
    # refused after acceptance: a processing end, not "not accepted" (3)
    assert portal_status(g) is PortalStatus.PROCESSED
    assert g.processing_ended_at == at(1) and g.timeliness == "early"
    h = new()
    h.stop_processing(actor="an", reason="dừng", at=at(1))
    assert portal_status(h) is PortalStatus.STOPPED


@pytest.mark.parametrize(
    ("channel", "code"),
    [(Channel.IN_PERSON, 1), (Channel.MOBILE_SESSION, 1), (Channel.ONLINE, 2), (Channel.POSTAL, 3)],
)
def test_portal_channel_codes(channel: Channel, code: int) -> None:
    assert portal_channel(channel.value) == code
