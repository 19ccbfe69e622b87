"""``hoso demo``: a ward centre's working days, simulated and written to the signed ledger.

A ward (phường) of the two-tier local government in force since mid-2025: no district between the
ward and the province, and residence registration is the ward police's. About 300 files a day
over 12 counters: the certified copies (about 200) at any counter, so the counters share the
load, civil status at the 4 justice counters, the rest at the other 8; handoffs between
departments and to the ward police; supplements (some asked for twice), fees (certified copies by
their page count), leaders signing, every late file apologised for, refusals, withdrawals and
citizens' ratings. Every action is planned with its instant, then all are executed in time order,
so the ledger reads as a real day.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain import commands
from domain.calendar import WorkingCalendar
from domain.deadlines import Timeliness, compute_due, judge
from domain.events import Desk, PaymentMethod, Rating, ReturnMethod
from domain.file import AdministrativeFile
from domain.procedures import CATALOGUE, Channel
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger, Receipt
from signing import KeyDirectory, Signer
from signing.registry import Role

UNIT = "PBADINH"
POLICE = "CAPBADINH"  # Công an phường Ba Đình: residence is the ward police's since mid-2025
SAMPLES = 5  # receipts kept for the summary and DATA/demo-credentials.json
RECEPTION = "mot-cua"
DEPARTMENTS = {
    "civil_status": "tu-phap-ho-tich",
    "certification": "tu-phap-ho-tich",
    "residence": "cong-an-phuong",
    "health_insurance": "van-hoa-xa-hoi",
    "construction": "dia-chinh-xay-dung",
    "land": "dia-chinh-xay-dung",
}
# Daily mix of a large ward centre (about 300 files, about 200 of them certified copies).
MIX = {
    "certified_copy": 170,
    "signature_certification": 30,
    "birth_registration": 12,
    "marriage_registration": 5,
    "death_registration": 3,
    "marital_status_confirmation": 14,
    "civil_status_extract_copy": 14,
    "permanent_residence": 20,
    "birth_residence_insurance": 8,
    "child_health_insurance": 10,
    "house_construction_permit": 5,
    "land_use_certificate_first": 4,
}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
GIVEN = [
    "Văn An",
    "Thị Bình",
    "Minh Châu",
    "Quốc Dũng",
    "Thu Hà",
    "Gia Huy",
    "Ngọc Lan",
    "Đức Minh",
]


@dataclass(frozen=True)
class Staff:
    admin: str
    counters: tuple[str, ...]
    specialists: dict[str, tuple[str, ...]]
    leaders: tuple[str, ...]
    kiosk: str


def staff() -> Staff:
    counters = tuple(f"quay{n:02d}" for n in range(1, 13))
    specialists = {
        dept: tuple(f"{dept.split('-')[0]}{n}" for n in range(1, 4))
        for dept in sorted(set(DEPARTMENTS.values()))
    }
    return Staff(
        admin="quantri",
        counters=counters,
        specialists=specialists,
        leaders=("chutich", "phochutich1", "phochutich2"),
        kiosk="kiosk",
    )


def enroll(ledger: Ledger, keys: KeyDirectory, authority: Signer, at: datetime) -> Staff:
    """Create and register every demo key (idempotent on an already enrolled directory)."""
    s = staff()
    registry = ledger.registry()
    known = {record.holder for record in registry.keys.values()}

    def key(name: str) -> Signer:
        return keys.signer(name) if keys.exists(name) else keys.create(name)

    if s.admin not in known:
        ledger.register_key(
            signer=authority,
            actor="authority",
            holder=s.admin,
            role=Role.UNIT_ADMIN,
            unit=UNIT,
            public_key=key(s.admin).public_key,
            valid_from=at,
            at=at,
        )
    admin = keys.signer(s.admin)
    people: list[tuple[str, Role]] = [(c, Role.OFFICER) for c in s.counters]
    people += [(o, Role.OFFICER) for group in s.specialists.values() for o in group]
    people += [(ldr, Role.LEADER) for ldr in s.leaders] + [(s.kiosk, Role.KIOSK)]
    for name, role in people:
        if name not in known:
            ledger.register_key(
                signer=admin,
                actor=s.admin,
                holder=name,
                role=role,
                unit=UNIT,
                public_key=key(name).public_key,
                valid_from=at,
                at=at,
            )
    return s


@dataclass(order=True)
class Planned:
    at: datetime
    seq: int
    actor: str = field(compare=False)
    code_of: int = field(compare=False)  # index of the file this step acts on
    action: str = field(compare=False)  # a ``domain.commands`` action (``BY_ACTION``), or "receive"
    kwargs: dict[str, object] = field(compare=False, default_factory=dict)


@dataclass
class DemoStats:
    files: int = 0
    events: int = 0
    refused_commands: int = 0
    samples: list[Receipt] = field(default_factory=list)


class Simulation:
    def __init__(self, ledger: Ledger, keys: KeyDirectory, s: Staff, seed: int) -> None:
        self.ledger = ledger
        self.keys = keys
        self.s = s
        self.rng = random.Random(seed)
        self.cal: WorkingCalendar = ledger.calendar
        self.plan: list[Planned] = []
        self.seq = 0
        self.codes: dict[int, str] = {}
        self.signers: dict[str, Signer] = {}

    def signer(self, actor: str) -> Signer:
        if actor not in self.signers:
            self.signers[actor] = self.keys.signer(actor)
        return self.signers[actor]

    def _push(self, at: datetime, actor: str, index: int, action: str, **kw: object) -> None:
        self.seq += 1
        heapq.heappush(self.plan, Planned(at, self.seq, actor, index, action, dict(kw)))

    def later(self, at: datetime, lo: int, hi: int) -> datetime:
        return self.cal.add_working_minutes(at, self.rng.randint(lo, hi))

    # ----------------------------------------------------------- planning
    def plan_day(self, day: date, first_index: int) -> int:
        index = first_index
        opening = self.cal.opening(day)
        for code, per_day in MIX.items():
            for _ in range(max(1, round(per_day * self.rng.uniform(0.85, 1.15)))):
                at = self.cal.add_working_minutes(opening, self.rng.randint(0, 470))
                self.plan_file(index, code, at)
                index += 1
        return index

    def plan_file(self, index: int, procedure: str, at: datetime) -> None:
        rng, s = self.rng, self.s
        proc = CATALOGUE[procedure]
        if proc.field == "certification":  # the bulk: any counter takes them
            counter = rng.choice(s.counters)
        elif proc.field == "civil_status":
            counter = rng.choice(s.counters[:4])
        else:
            counter = rng.choice(s.counters[4:])
        channel = Channel.IN_PERSON
        roll = rng.random()
        if proc.online_eligible and roll < 0.3:
            channel = Channel.ONLINE
        elif roll < 0.33:
            channel = Channel.POSTAL
        elif roll < 0.36:
            channel = Channel.MOBILE_SESSION
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        person = PersonalData(
            full_name=name,
            id_number=f"0{rng.randint(10**10, 10**11 - 1)}",
            phone=f"09{rng.randint(10**7, 10**8 - 1)}",
            address=f"{rng.randint(1, 200)} phố Đội Cấn, Ba Đình, Hà Nội",
        )
        refused = rng.random() < 0.02  # papers not accepted at the counter (form 03)
        self._push(
            at,
            counter,
            index,
            "receive",
            procedure=procedure,
            channel=channel,
            counter=counter,
            department=RECEPTION,
            documents=proc.documents,
            applicant=person,
            refusal="Hồ sơ chưa đủ thành phần theo quy định" if refused else "",
        )
        if not refused:
            self.plan_lifecycle(index, procedure, counter, at)

    def act(self, at: datetime, actor: str, index: int, action: str, **kw: object) -> None:
        """Plan one command: ``domain.commands.BY_ACTION[action](**kw)``, by ``actor`` at ``at``."""
        self._push(at, actor, index, action, **kw)

    def plan_lifecycle(self, i: int, procedure: str, counter: str, at: datetime) -> None:
        rng, s, cal = self.rng, self.s, self.cal
        proc = CATALOGUE[procedure]
        dept = DEPARTMENTS[proc.field]
        officer = rng.choice(s.specialists[dept])
        agency = POLICE if proc.field == "residence" else UNIT
        due = _due(cal, at, procedure)
        due_minutes = max(60, cal.working_minutes_between(at, due))
        # How long this file will really take: most early, some late.
        pace = rng.choices([0.3, 0.7, 0.95, 1.3], weights=[45, 30, 15, 10])[0]
        t = self.later(at, 2, 15)
        amount = _fee(procedure, rng)
        if amount:
            self.act(
                t,
                counter,
                i,
                "request_fee",
                amount_vnd=amount,
                description=f"Lệ phí {proc.name_vi}",
            )
            t = self.later(t, 1, 10)
            pay = PaymentMethod.ONLINE if rng.random() < 0.4 else PaymentMethod.COUNTER
            self.act(t, counter, i, "pay_fee", amount_vnd=amount, method=pay)
        if rng.random() < 0.01:
            self.act(self.later(t, 5, 60), counter, i, "withdraw", reason="Công dân xin rút hồ sơ")
            return
        t = self.later(t, 3, 30)
        self.act(t, counter, i, "hand_off", to=Desk(officer, dept, agency), note="Chuyển xử lý")
        self.act(self.later(t, 1, 1), officer, i, "acknowledge_handoff")  # the receiver signs
        if proc.time.unit.value != "same_day" and rng.random() < 0.12:
            t = self.later(t, 30, 300)
            items = (rng.choice(proc.documents),)
            self.act(
                t,
                officer,
                i,
                "request_supplement",
                items=items,
                reason="Thiếu giấy tờ theo quy định",
            )
            t = self.later(t, 240, 960)
            self.act(t, officer, i, "receive_supplement", items=items)
            if rng.random() < 0.35:  # asked again: the file is late (Decision 766, 2.1)
                t = self.later(t, 30, 300)
                self.act(t, officer, i, "request_supplement", items=items,
                         reason="Giấy tờ bổ sung chưa hợp lệ")  # fmt: skip
                t = self.later(t, 240, 960)
                self.act(t, officer, i, "receive_supplement", items=items)
        if rng.random() < 0.02:
            self.act(
                self.later(t, 30, 600),
                officer,
                i,
                "refuse",
                reason="Hồ sơ không đủ điều kiện giải quyết",
            )
            return
        if rng.random() < 0.005:
            self.act(
                self.later(t, 30, 600),
                officer,
                i,
                "stop_processing",
                reason="Cơ quan có thẩm quyền yêu cầu dừng",
            )
            return
        work = max(20, int(due_minutes * pace))
        t_signature = self.later(t, work // 2, max(work // 2 + 1, work - 30))
        if pace > 1.0:
            new_date = cal.closing(cal.add_working_days(cal.local_date(due), 2))
            self.act(
                self.later(t, 1, max(2, work // 2)),
                officer,
                i,
                "issue_apology",
                reason="Cần xác minh thêm với cơ quan liên quan",
                new_appointment_at=new_date,
            )
        leader = rng.choice(s.leaders)
        self.act(t_signature, officer, i, "submit_for_signature", leader=leader)
        t = self.later(t_signature, 5, 60)
        digest = hashlib.sha256(f"ket-qua-{i}".encode()).hexdigest()
        self.act(t, leader, i, "sign_result", document_sha256=digest)
        t = self.later(t, 5, 30)
        self.act(
            t, leader, i, "hand_off", to=Desk(counter, RECEPTION, UNIT), note="Chuyển trả kết quả"
        )
        self.act(self.later(t, 1, 1), counter, i, "acknowledge_handoff")
        t = self.later(t, 5, 60)
        method = rng.choices(list(ReturnMethod), [80, 10, 10])[0]
        self.act(t, counter, i, "return_result", method=method)
        if rng.random() < 0.4:
            rating = rng.choices(list(Rating), [85, 10, 5])[0]
            self.act(self.later(t, 1, 5), s.kiosk, i, "rate_satisfaction", rating=rating)

    # ---------------------------------------------------------- execution
    def _receive(self, item: Planned) -> Receipt:
        kw = item.kwargs
        applicant, channel, documents = kw["applicant"], kw["channel"], kw["documents"]
        assert isinstance(applicant, PersonalData) and isinstance(channel, Channel)
        assert isinstance(documents, tuple)
        return self.ledger.receive(
            signer=self.signer(item.actor),
            actor=item.actor,
            unit=UNIT,
            at=item.at,
            procedure=str(kw["procedure"]),
            channel=channel,
            counter=str(kw["counter"]),
            department=str(kw["department"]),
            documents=documents,
            applicant=applicant,
            refusal=str(kw["refusal"]),
        )

    def run(self, until: datetime) -> Iterator[DemoStats]:
        """Execute planned steps in time order up to ``until``; yield stats after each."""
        stats = DemoStats()
        while self.plan and self.plan[0].at <= until:
            item = heapq.heappop(self.plan)
            if item.action == "receive":
                receipt = self._receive(item)
                self.codes[item.code_of] = receipt.code
                stats.files += 1
                stats.events += 1
                if len(stats.samples) < SAMPLES:
                    stats.samples.append(receipt)
            else:
                code = self.codes.get(item.code_of)
                if code is None:
                    continue
                envelopes = self.ledger.execute(
                    code,
                    signer=self.signer(item.actor),
                    actor=item.actor,
                    at=item.at,
                    command=_command(item, self.cal),
                )
                stats.events += len(envelopes)
            yield stats


ENDING = (commands.SignResult, commands.Refuse, commands.StopProcessing)
APOLOGY = "Hồ sơ cần thêm thời gian xác minh; cơ quan xin lỗi và hẹn lại ngày trả kết quả"


def _command(item: Planned, calendar: WorkingCalendar) -> Callable[[AdministrativeFile], None]:
    planned = commands.BY_ACTION[item.action](**item.kwargs)

    def command(f: AdministrativeFile) -> None:
        command = planned
        if isinstance(command, commands.IssueApology):  # a day after the current appointment
            later = max(command.new_appointment_at, f.appointment_at + timedelta(days=1))
            command = dataclasses.replace(command, new_appointment_at=later)
        elif isinstance(command, ENDING) and not f.apologies and _late(f, item.at):
            _apologise(f, item.actor, item.at, calendar)  # every late file is apologised for
        command.apply(f, actor=item.actor, at=item.at, calendar=calendar)

    return command


def _late(f: AdministrativeFile, at: datetime) -> bool:
    """Whether the file would end late at ``at`` (the domain's verdict)."""
    return judge(at, f.due_at, late_by_supplement=f.late_by_supplement) is Timeliness.LATE


def _apologise(f: AdministrativeFile, actor: str, at: datetime, cal: WorkingCalendar) -> None:
    """The apology with a new appointment (form 04), half an hour before the deadline when the
    file's history allows it, else now; the new date is the next working day's closing."""
    when = max(f.modified_on, min(at, f.due_at - timedelta(minutes=30)))
    new_date = cal.closing(cal.next_working_day(cal.local_date(at)))
    new_date = max(new_date, f.appointment_at + timedelta(days=1))
    f.issue_apology(actor=actor, reason=APOLOGY, new_appointment_at=new_date, at=when)


def _fee(procedure: str, rng: random.Random) -> int:
    """The fee asked: a certified copy by its pages (2,000 VND a page for the first two, 1,000
    from the third, at most 200,000 a copy: Circular 226/2016/TT-BTC), per copy; other fees as
    the catalogue charges them."""
    proc = CATALOGUE[procedure]
    if procedure != "certified_copy":
        return proc.fee_vnd
    pages, copies = rng.randint(1, 12), rng.randint(1, 3)
    per_copy = min(200_000, proc.fee_vnd * min(pages, 2) + 1000 * max(0, pages - 2))
    return copies * per_copy


def _due(cal: WorkingCalendar, at: datetime, procedure: str) -> datetime:
    return compute_due(cal, at, CATALOGUE[procedure].time)
