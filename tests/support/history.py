"""A small hand-built history for the figures and queues tests, every number worked out by hand.

Twelve files of two units (PBD, PHK) and two procedures, received 2026-04-20 .. 2026-05-08
around the holidays: Sun 04-26 Hùng Kings, Mon 04-27 (observed), Thu 04-30 and Fri 05-01
(Reunification and Labour Day), then the weekend 05-02/03. Working days in the window:

    Apr: Mon 20, Tue 21, Wed 22, Thu 23, Fri 24 | Tue 28, Wed 29
    May: Mon 4, Tue 5, Wed 6, Thu 7, Fri 8 | Mon 11, Tue 12

Office hours 07:30-11:30 and 13:00-17:00 (480 minutes a day). All times are Hanoi (UTC+7).
``marital`` = marital status confirmation, 3 working days: due at 17:00 on the 3rd working day
after the receipt day. ``extract`` = civil status extract copy, 4 working hours: due 240 office
minutes after receipt. "Now" is Fri 2026-05-08 14:00.

    file  unit proc    channel    received         outcome
    F1    PBD  marital in_person  Mon 04-20 08:00  returned Wed 04-22 10:00 early, satisfied
    F2    PBD  extract online     Tue 04-21 15:00  returned Wed 04-22 09:00 on time, neutral
    F3    PBD  marital in_person  Wed 04-22 14:00  apology, returned Wed 04-29 late, dissatisfied
    F4    PBD  marital online     Thu 04-23 09:00  supplement 04-24 -> 05-05, returned 05-07 on time
    F5    PHK  extract in_person  Fri 04-24 16:00  refused Fri 04-24 16:30, dissatisfied
    F6    PBD  marital online     Tue 04-28 09:00  open, due Tue 05-05 17:00: overdue now
    F12   PHK  marital online     Mon 04-27 20:00  (a holiday) returned Mon 05-04 early, satisfied
    F13   PHK  marital in_person  Wed 04-29 15:00  open, apology: new appointment Mon 05-11 11:30
    F11   PBD  extract in_person  Tue 05-05 08:00  open, waiting for the citizen since 09:00
    F10   PBD  marital postal     Wed 05-06 08:00  open, due Mon 05-11 17:00
    F7    PHK  extract in_person  Wed 05-06 09:00  withdrawn Wed 05-06 10:00
    F9    PBD  extract online     Fri 05-08 13:30  open, due Mon 05-11 08:00

Fees: F1 20,000 at the counter, F2 8,000 online, F6 20,000 online, F12 20,000 online,
F13 20,000 at the counter.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import StatutoryTime, SupplementPolicy, TimeUnit
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import Channel, Procedure, get_procedure
from projections.models.rows import FileRow, row_from_file

CAL = vietnam_calendar()
MARITAL = get_procedure("marital_status_confirmation")
# the extract copy as a province that sets it at 4 working hours would (the catalogue's is same
# day): the history keeps one procedure counted in working hours
EXTRACT = dataclasses.replace(
    get_procedure("civil_status_extract_copy"), time=StatutoryTime(4, TimeUnit.WORKING_HOURS)
)
DOC = "cd" * 32
PBD_COUNTER, PBD_OFFICER, PBD_LEADER = "thu.tran", "lan.nguyen", "pho.chu-tich"
PHK_COUNTER, PHK_OFFICER, PHK_LEADER = "mai.vo", "hoa.pham", "chu-tich.phk"


def vn(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


NOW = vn(5, 8, 14)  # Friday


def receive(code: str, procedure: Procedure, channel: Channel, at: datetime) -> AdministrativeFile:
    unit = code.split("-")[0]
    return AdministrativeFile.receive(
        code=code,
        procedure=procedure,
        channel=channel,
        unit=unit,
        counter="counter-1",
        department="one-stop",
        documents=("Tờ khai",),
        applicant_ref=f"applicant-{code}",
        applicant_sealed="sealed",
        actor=PBD_COUNTER if unit == "PBD" else PHK_COUNTER,
        at=at,
        calendar=CAL,
        supplement_policy=SupplementPolicy.EXTEND,
    )


def to_officer(f: AdministrativeFile, at: datetime) -> None:
    pbd = f.unit == "PBD"
    desk = Desk(PBD_OFFICER if pbd else PHK_OFFICER, "justice", f.unit)
    f.hand_off(actor=f.holder.officer, to=desk, note="chuyển phòng tư pháp", at=at)


def fee(f: AdministrativeFile, amount: int, method: PaymentMethod, at: datetime) -> None:
    f.request_fee(actor=f.holder.officer, amount_vnd=amount, description="lệ phí", at=at)
    f.pay_fee(actor=f.received_by, amount_vnd=amount, method=method, at=at)


def finish(f: AdministrativeFile, submit: datetime, sign: datetime, back: datetime) -> None:
    leader = PBD_LEADER if f.unit == "PBD" else PHK_LEADER
    f.submit_for_signature(actor=f.holder.officer, leader=leader, at=submit)
    f.sign_result(actor=leader, document_sha256=DOC, at=sign)
    f.return_result(actor=f.received_by, method=ReturnMethod.COUNTER, at=back, calendar=CAL)


def rate(f: AdministrativeFile, rating: Rating, at: datetime) -> None:
    f.rate_satisfaction(actor="citizen", rating=rating, at=at)


def history() -> dict[str, AdministrativeFile]:
    ip, online, postal = Channel.IN_PERSON, Channel.ONLINE, Channel.POSTAL
    f1 = receive("PBD-260420-0001", MARITAL, ip, vn(4, 20, 8))
    fee(f1, 20_000, PaymentMethod.COUNTER, vn(4, 20, 8, 10))
    to_officer(f1, vn(4, 20, 8, 30))
    finish(f1, vn(4, 21, 15), vn(4, 22, 9), vn(4, 22, 10))
    rate(f1, Rating.SATISFIED, vn(4, 22, 10, 5))

    f2 = receive("PBD-260421-0001", EXTRACT, online, vn(4, 21, 15))
    fee(f2, 8_000, PaymentMethod.ONLINE, vn(4, 21, 15, 10))
    to_officer(f2, vn(4, 21, 15, 20))
    finish(f2, vn(4, 21, 16), vn(4, 21, 16, 30), vn(4, 22, 9))
    rate(f2, Rating.NEUTRAL, vn(4, 22, 9, 5))

    f3 = receive("PBD-260422-0001", MARITAL, ip, vn(4, 22, 14))
    to_officer(f3, vn(4, 22, 14, 30))
    f3.issue_apology(
        actor=PBD_OFFICER, reason="chờ xác minh", new_appointment_at=vn(4, 29, 11, 30),
        at=vn(4, 28, 16),
    )  # fmt: skip
    finish(f3, vn(4, 29, 8), vn(4, 29, 9), vn(4, 29, 10))
    rate(f3, Rating.DISSATISFIED, vn(4, 29, 10, 30))

    f4 = receive("PBD-260423-0001", MARITAL, online, vn(4, 23, 9))
    to_officer(f4, vn(4, 23, 9, 30))
    f4.request_supplement(
        actor=PBD_OFFICER, items=("Giấy tờ ly hôn",), reason="thiếu", at=vn(4, 24, 10)
    )
    f4.receive_supplement(
        actor=PBD_COUNTER, items=("Giấy tờ ly hôn",), at=vn(5, 5, 8, 30), calendar=CAL
    )
    finish(f4, vn(5, 7, 9), vn(5, 7, 14), vn(5, 7, 16))
    rate(f4, Rating.SATISFIED, vn(5, 7, 16, 30))

    f5 = receive("PHK-260424-0001", EXTRACT, ip, vn(4, 24, 16))
    f5.refuse(actor=PHK_COUNTER, reason="không thuộc thẩm quyền", at=vn(4, 24, 16, 30))
    rate(f5, Rating.DISSATISFIED, vn(4, 24, 16, 45))

    f6 = receive("PBD-260428-0001", MARITAL, online, vn(4, 28, 9))
    fee(f6, 20_000, PaymentMethod.ONLINE, vn(4, 28, 9, 10))
    to_officer(f6, vn(4, 28, 9, 30))

    f12 = receive("PHK-260427-0001", MARITAL, online, vn(4, 27, 20))
    fee(f12, 20_000, PaymentMethod.ONLINE, vn(4, 28, 8))
    to_officer(f12, vn(4, 28, 8, 40))
    finish(f12, vn(4, 29, 10), vn(4, 29, 15), vn(5, 4, 10))
    rate(f12, Rating.SATISFIED, vn(5, 4, 10, 30))

    f13 = receive("PHK-260429-0001", MARITAL, ip, vn(4, 29, 15))
    fee(f13, 20_000, PaymentMethod.COUNTER, vn(4, 29, 15, 10))
    to_officer(f13, vn(4, 29, 15, 30))
    f13.issue_apology(
        actor=PHK_OFFICER, reason="chờ trích lục", new_appointment_at=vn(5, 11, 11, 30),
        at=vn(5, 6, 16),
    )  # fmt: skip

    f11 = receive("PBD-260505-0001", EXTRACT, ip, vn(5, 5, 8))
    to_officer(f11, vn(5, 5, 8, 30))
    f11.request_supplement(actor=PBD_OFFICER, items=("Tờ khai",), reason="sai", at=vn(5, 5, 9))

    f10 = receive("PBD-260506-0001", MARITAL, postal, vn(5, 6, 8))
    to_officer(f10, vn(5, 6, 8, 20))

    f7 = receive("PHK-260506-0001", EXTRACT, ip, vn(5, 6, 9))
    f7.withdraw(actor=PHK_COUNTER, reason="công dân rút", at=vn(5, 6, 10))

    f9 = receive("PBD-260508-0001", EXTRACT, online, vn(5, 8, 13, 30))
    to_officer(f9, vn(5, 8, 13, 45))
    files = {"F1": f1, "F2": f2, "F3": f3, "F4": f4, "F5": f5, "F6": f6, "F7": f7}
    files |= {"F9": f9, "F10": f10, "F11": f11, "F12": f12, "F13": f13}
    return files


ROWS: dict[str, FileRow] = {name: row_from_file(f, CAL) for name, f in history().items()}
ALL = list(ROWS.values())
