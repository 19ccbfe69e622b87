"""Random command sequences on a handful of files, with the aggregate's invariants after every step.

Each rule calls one command with plausible or deliberately wrong arguments at a time that moves
forward (except the rules that send a past or naive time on purpose). A command either succeeds,
adding exactly one event, or raises ``IllegalTransition``/``InvalidValue`` and leaves the file
exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.calendar import VN_TZ, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.errors import DomainError, IllegalTransition, InvalidValue
from domain.events import (
    TERMINAL_STATES,
    Desk,
    FileState,
    PaymentMethod,
    Rating,
    ReturnMethod,
)
from domain.file import AdministrativeFile
from domain.procedures import CATALOGUE, Channel, Procedure

S = FileState
CAL = vietnam_calendar()
UNIT = "PBD"
MAX_FILES = 8  # at most this many files, at most MAX_OPEN of them open
MAX_OPEN = 3
BASE = datetime(2026, 1, 5, 7, 0, tzinfo=VN_TZ)  # a Monday; the first files meet Tết 2026
LEADER = "pho.chu-tich"
DESKS = (
    Desk("thu.tran", "one-stop", UNIT),
    Desk("lan.nguyen", "justice", UNIT),
    Desk("", "land", UNIT),  # a department's inbox: anyone may take it
    Desk("an.pham", "police", "CAHUYEN"),
    Desk("Bad Officer", "justice", UNIT),  # malformed officer id
    Desk("", "", UNIT),  # no department
)
GOOD_SHA = "0123456789abcdef" * 4

procedures = st.sampled_from(sorted(CATALOGUE.values(), key=lambda p: p.code))
# Mostly minutes, sometimes days: every generated time moves forward from the last event.
steps = st.one_of(st.integers(0, 120), st.integers(0, 6 * 24 * 60))
actors = st.sampled_from(["holder"] * 12 + ["leader", "other", "Bad Actor"])
# An index below MAX_OPEN picks any file; above, an open one if there is any (to go deeper).
indexes = st.integers(0, 4 * MAX_OPEN - 1)
# Closing a file ends its exploration: the closing rules skip three times out of four.
gates = st.integers(0, 3)
reasons = st.sampled_from(["thiếu giấy tờ"] * 12 + ["", "x" * 501])
item_lists = st.sampled_from([("Giấy chứng sinh",)] * 8 + [("a", "b"), (), ("",)])


def replay(events: Sequence[CanMutateAggregate[str]]) -> AdministrativeFile | None:
    agg: AdministrativeFile | None = None
    for event in events:
        agg = event.mutate(agg)
    return agg


def snapshot(f: AdministrativeFile) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in vars(f).items()}


class FileMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[AdministrativeFile] = []
        self.log: dict[str, list[CanMutateAggregate[str]]] = {}
        self.closed: dict[str, tuple[FileState, datetime | None]] = {}
        self.rated: dict[str, str] = {}

    # ------------------------------------------------------------------ helpers
    def pick(self, i: int) -> AdministrativeFile:
        if i >= MAX_OPEN:
            open_files = [f for f in self.files if f.is_open]
            if open_files:
                return open_files[i % len(open_files)]
        return self.files[i % len(self.files)]

    @staticmethod
    def who(f: AdministrativeFile, actor: str) -> str:
        if actor == "holder":
            return f.holder.officer or "lan.nguyen"
        if actor == "leader":
            return LEADER
        if actor == "other":
            return "minh.le"
        return actor

    def attempt(self, f: AdministrativeFile, call: Callable[[], None]) -> bool:
        """Run a command: success adds one event; a refusal changes nothing."""
        before = snapshot(f)
        version, state = f.version, f.state
        error: DomainError | None = None
        try:
            call()
        except DomainError as e:
            error = e
        if error is not None:
            assert isinstance(error, IllegalTransition | InvalidValue), repr(error)
            if isinstance(error, IllegalTransition):
                assert (error.file_code, error.state) == (f.id, f.state.value)
                head = f"file {f.id} is '{f.state.value}': cannot {error.action}"
                assert str(error).startswith(head)
            assert f.version == version
            assert f.state is state
            assert f.pending_events == []
            assert snapshot(f) == before
            return False
        events = f.collect_events()
        assert len(events) == 1
        assert events[0].originator_version == version + 1
        self.log[f.id].extend(events)
        if f.state in TERMINAL_STATES:
            self.closed.setdefault(f.id, (f.state, f.closed_at))
        if f.rating is not None:
            self.rated.setdefault(f.id, f.rating)  # the first rating is the only one
        return True

    @staticmethod
    def at(f: AdministrativeFile, minutes: int) -> datetime:
        return f.modified_on + timedelta(minutes=minutes)

    # ------------------------------------------------------------------ creation
    @precondition(
        lambda self: len(self.files) < MAX_FILES and sum(f.is_open for f in self.files) < MAX_OPEN
    )
    @rule(
        procedure=procedures,
        channel=st.sampled_from(Channel),
        policy=st.sampled_from(SupplementPolicy),
        start=st.integers(0, 60 * 24 * 60),
        wrong=st.sampled_from(["", "", "", "naive", "other_unit", "no_documents"]),
    )
    def receive(
        self,
        procedure: Procedure,
        channel: Channel,
        policy: SupplementPolicy,
        start: int,
        wrong: str,
    ) -> None:
        code = f"{UNIT}-260105-{len(self.files) + 1:04d}"
        at = BASE + timedelta(minutes=start)
        try:
            f = AdministrativeFile.receive(
                code=code,
                procedure=procedure,
                channel=channel,
                unit="UBX" if wrong == "other_unit" else UNIT,
                counter="counter-1",
                department="one-stop",
                documents=() if wrong == "no_documents" else ("Tờ khai",),
                applicant_ref="applicant",
                applicant_sealed="sealed",
                actor="thu.tran",
                at=at.replace(tzinfo=None) if wrong == "naive" else at,
                calendar=CAL,
                supplement_policy=policy,
            )
        except InvalidValue:
            assert wrong or (channel is Channel.ONLINE and not procedure.online_eligible)
            return
        assert not wrong
        assert channel is not Channel.ONLINE or procedure.online_eligible
        assert (f.state, f.version, f.received_at) == (S.RECEIVED, 1, at)
        self.files.append(f)
        self.log[f.id] = list(f.collect_events())

    # ------------------------------------------------------------------ commands
    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        step=steps,
        actor=actors,
        desk=st.sampled_from([*DESKS[:4] * 4, *DESKS[4:], None]),
        note=reasons,
    )
    def hand_off(self, i: int, step: int, actor: str, desk: Desk | None, note: str) -> None:
        f = self.pick(i)
        to = f.holder if desk is None else desk  # None: where the file already is
        self.attempt(
            f,
            lambda: f.hand_off(actor=self.who(f, actor), to=to, note=note, at=self.at(f, step)),
        )

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, actor=actors, items=item_lists, reason=reasons)
    def request_supplement(
        self, i: int, step: int, actor: str, items: tuple[str, ...], reason: str
    ) -> None:
        f = self.pick(i)
        self.attempt(
            f,
            lambda: f.request_supplement(
                actor=self.who(f, actor), items=items, reason=reason, at=self.at(f, step)
            ),
        )

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, items=item_lists)
    def receive_supplement(self, i: int, step: int, items: tuple[str, ...]) -> None:
        f = self.pick(i)
        due, appointment, apologies = f.due_at, f.appointment_at, f.apologies
        if self.attempt(
            f,
            lambda: f.receive_supplement(
                actor="thu.tran", items=items, at=self.at(f, step), calendar=CAL
            ),
        ):
            # The deadline never moves earlier; the appointment follows it by the same shift.
            assert f.due_at >= due
            shift = f.due_at - due
            assert f.appointment_at == (appointment + shift if apologies else f.due_at)

    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        step=steps,
        actor=actors,
        amount=st.sampled_from([20_000] * 6 + [1, 0, -5, 1_000_000_001]),
        description=reasons,
    )
    def request_fee(self, i: int, step: int, actor: str, amount: int, description: str) -> None:
        f = self.pick(i)
        self.attempt(
            f,
            lambda: f.request_fee(
                actor=self.who(f, actor),
                amount_vnd=amount,
                description=description,
                at=self.at(f, step),
            ),
        )

    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        step=steps,
        off_by=st.sampled_from([0] * 6 + [1, -1]),
        method=st.sampled_from(PaymentMethod),
    )
    def pay_fee(self, i: int, step: int, off_by: int, method: PaymentMethod) -> None:
        f = self.pick(i)
        due, paid = f.fee_due_vnd, f.fee_paid_vnd
        if self.attempt(
            f,
            lambda: f.pay_fee(
                actor="thu.tran", amount_vnd=due + off_by, method=method, at=self.at(f, step)
            ),
        ):
            assert off_by == 0
            assert (f.fee_due_vnd, f.fee_paid_vnd) == (0, paid + due)

    @precondition(lambda self: self.files)
    @rule(
        i=indexes, step=steps, actor=actors, leader=st.sampled_from([LEADER] * 4 + ["Bad Leader"])
    )
    def submit_for_signature(self, i: int, step: int, actor: str, leader: str) -> None:
        f = self.pick(i)
        if self.attempt(
            f,
            lambda: f.submit_for_signature(
                actor=self.who(f, actor), leader=leader, at=self.at(f, step)
            ),
        ):
            assert (f.state, f.holder.officer) == (S.AWAITING_SIGNATURE, leader)

    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        step=steps,
        actor=actors,
        sha=st.sampled_from([GOOD_SHA] * 4 + ["00", GOOD_SHA.upper()]),
    )
    def sign_result(self, i: int, step: int, actor: str, sha: str) -> None:
        f = self.pick(i)
        holder = f.holder.officer
        who = self.who(f, actor)
        if self.attempt(
            f,
            lambda: f.sign_result(actor=who, document_sha256=sha, at=self.at(f, step)),
        ):
            assert who == holder  # only the leader it was submitted to signs
            assert (f.state, f.signed_by, f.result_sha256) == (S.SIGNED, who, sha)

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, method=st.sampled_from(ReturnMethod))
    def return_result(self, i: int, step: int, method: ReturnMethod) -> None:
        f = self.pick(i)
        owed = f.fee_due_vnd
        if self.attempt(
            f,
            lambda: f.return_result(
                actor="thu.tran", method=method, at=self.at(f, step), calendar=CAL
            ),
        ):
            assert owed == 0
            assert f.signed_by is not None
            assert f.timeliness in ("early", "on_time", "late")

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, actor=actors, reason=reasons, gate=gates)
    def refuse(self, i: int, step: int, actor: str, reason: str, gate: int) -> None:
        f = self.pick(i)
        if gate and f.is_open:
            return
        self.attempt(
            f, lambda: f.refuse(actor=self.who(f, actor), reason=reason, at=self.at(f, step))
        )

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, reason=reasons, gate=gates)
    def withdraw(self, i: int, step: int, reason: str, gate: int) -> None:
        f = self.pick(i)
        if gate and f.is_open:
            return
        self.attempt(f, lambda: f.withdraw(actor="thu.tran", reason=reason, at=self.at(f, step)))

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, actor=actors, reason=reasons, gate=gates)
    def stop_processing(self, i: int, step: int, actor: str, reason: str, gate: int) -> None:
        f = self.pick(i)
        if gate and f.is_open:
            return
        self.attempt(
            f,
            lambda: f.stop_processing(actor=self.who(f, actor), reason=reason, at=self.at(f, step)),
        )

    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        step=steps,
        actor=actors,
        # minutes from the current appointment; <= 0 must be refused
        offset=st.one_of(st.integers(-3 * 24 * 60, 0), st.integers(1, 10 * 24 * 60)),
        reason=reasons,
    )
    def issue_apology(self, i: int, step: int, actor: str, offset: int, reason: str) -> None:
        f = self.pick(i)
        due, appointment = f.due_at, f.appointment_at
        new = appointment + timedelta(minutes=offset)
        at = self.at(f, step)
        if self.attempt(
            f,
            lambda: f.issue_apology(
                actor=self.who(f, actor), reason=reason, new_appointment_at=new, at=at
            ),
        ):
            assert new > appointment
            assert new > at
            assert (f.appointment_at, f.due_at) == (new, due)

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps, rating=st.sampled_from(Rating), gate=gates)
    def rate_satisfaction(self, i: int, step: int, rating: Rating, gate: int) -> None:
        f = self.pick(i)
        if gate and f.is_open:  # always refused while open: try it less often
            return
        already = f.rating
        if self.attempt(
            f, lambda: f.rate_satisfaction(actor="citizen", rating=rating, at=self.at(f, step))
        ):
            assert already is None
            assert f.rating == rating.value

    @precondition(lambda self: self.files)
    @rule(i=indexes, step=steps)
    def advance(self, i: int, step: int) -> None:
        """The next plausible step of the usual path, with good arguments (to go deep)."""
        f = self.pick(i)
        at = self.at(f, step)
        officer = f.holder.officer or "lan.nguyen"
        call: Callable[[], None]
        if f.state is S.RECEIVED:
            call = partial(f.hand_off, actor=officer, to=DESKS[1], note="", at=at)
        elif f.state is S.IN_PROGRESS:
            call = partial(f.submit_for_signature, actor=officer, leader=LEADER, at=at)
        elif f.state is S.AWAITING_SUPPLEMENT:
            call = partial(
                f.receive_supplement, actor="thu.tran", items=("x",), at=at, calendar=CAL
            )
        elif f.state is S.AWAITING_SIGNATURE:
            call = partial(f.sign_result, actor=officer, document_sha256=GOOD_SHA, at=at)
        elif f.state is S.SIGNED and f.fee_due_vnd:
            call = partial(
                f.pay_fee,
                actor="thu.tran",
                amount_vnd=f.fee_due_vnd,
                method=PaymentMethod.ONLINE,
                at=at,
            )
        elif f.state is S.SIGNED:
            call = partial(
                f.return_result, actor="thu.tran", method=ReturnMethod.ONLINE, at=at, calendar=CAL
            )
        else:
            call = partial(f.rate_satisfaction, actor="citizen", rating=Rating.SATISFIED, at=at)
        # The usual path is never refused; a closed file only takes its one rating.
        expected = f.is_open or (f.state in (S.RETURNED, S.REFUSED) and f.rating is None)
        assert self.attempt(f, call) is expected

    @precondition(lambda self: self.files)
    @rule(
        i=indexes,
        back=st.integers(1, 3 * 24 * 60),
        naive=st.booleans(),
        command=st.sampled_from(
            [
                "hand_off",
                "request_supplement",
                "receive_supplement",
                "refuse",
                "withdraw",
                "stop_processing",
                "issue_apology",
                "return_result",
                "rate_satisfaction",
            ]
        ),
    )
    def bad_time(self, i: int, back: int, naive: bool, command: str) -> None:
        """A time before the last event, or a naive one: always refused."""
        f = self.pick(i)
        at = f.modified_on - timedelta(seconds=back)
        if naive:
            at = (f.modified_on + timedelta(seconds=back)).astimezone(VN_TZ).replace(tzinfo=None)
        officer = f.holder.officer or "lan.nguyen"
        calls: dict[str, Callable[[], None]] = {
            "hand_off": lambda: f.hand_off(
                actor=officer,
                to=DESKS[1] if f.holder != DESKS[1] else DESKS[0],
                note="",
                at=at,
            ),
            "request_supplement": lambda: f.request_supplement(
                actor=officer, items=("x",), reason="y", at=at
            ),
            "receive_supplement": lambda: f.receive_supplement(
                actor=officer, items=("x",), at=at, calendar=CAL
            ),
            "refuse": lambda: f.refuse(actor=officer, reason="y", at=at),
            "withdraw": lambda: f.withdraw(actor=officer, reason="y", at=at),
            "stop_processing": lambda: f.stop_processing(actor=officer, reason="y", at=at),
            "issue_apology": lambda: f.issue_apology(
                actor=officer,
                reason="y",
                new_appointment_at=max(f.appointment_at, f.modified_on) + timedelta(days=30),
                at=at,
            ),
            "return_result": lambda: f.return_result(
                actor=officer, method=ReturnMethod.COUNTER, at=at, calendar=CAL
            ),
            "rate_satisfaction": lambda: f.rate_satisfaction(
                actor="citizen", rating=Rating.NEUTRAL, at=at
            ),
        }
        assert not self.attempt(f, calls[command])

    # ------------------------------------------------------------------ invariants
    @invariant()
    def versions_are_dense_and_replay_reproduces_the_file(self) -> None:
        for f in self.files:
            events = self.log[f.id]
            assert f.pending_events == []
            assert f.version == len(events)
            assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
            assert all(e.originator_id == f.id for e in events)
            stamps = [e.timestamp for e in events]
            assert stamps == sorted(stamps)
            assert f.modified_on == stamps[-1]
            assert replay(events) == f

    @invariant()
    def the_state_is_made_of_immutable_values(self) -> None:
        """``ledger.chain.load_cache.snapshot`` copies a file shallowly: sound only while no event
        leaves a mutable value (a list, a dict, a set) in the aggregate to be changed in place.
        Hashable values are immutable all the way down (a tuple of lists is not hashable)."""
        for f in self.files:
            for name, value in vars(f).items():
                if name != "_pending_events":
                    hash(value)  # TypeError: unhashable, i.e. mutable, in a file's state

    @invariant()
    def states_and_dates_are_sound(self) -> None:
        for f in self.files:
            assert isinstance(f.state, FileState)
            assert f.due_at >= f.received_at
            # Verified: an apology only moves the appointment later, and a supplement moves
            # the deadline later and the appointment by the same shift, so this holds.
            assert f.appointment_at >= f.due_at
            assert f.is_open is (f.state not in TERMINAL_STATES)
            if f.state is S.AWAITING_SUPPLEMENT:
                assert f.supplement_requested_at is not None
                assert f.state_before_supplement in (S.RECEIVED, S.IN_PROGRESS)
                assert f.missing_items
                assert not f.overdue(f.appointment_at + timedelta(days=365))
            elif f.is_open:  # a file closed while waiting keeps what was asked
                assert f.supplement_requested_at is None
                assert f.state_before_supplement is None
            if f.state is S.AWAITING_SIGNATURE:
                assert f.holder.department == "leadership"

    @invariant()
    def terminal_states_are_final(self) -> None:
        for f in self.files:
            if f.id in self.closed:
                assert (f.state, f.closed_at) == self.closed[f.id]
                assert f.closed_at is not None
                assert not f.overdue(f.appointment_at + timedelta(days=365))
            else:
                assert f.closed_at is None

    @invariant()
    def ratings_only_on_returned_or_refused_files(self) -> None:
        for f in self.files:
            assert f.rating == self.rated.get(f.id)
            if f.rating is not None:
                assert f.state in (S.RETURNED, S.REFUSED)
            if f.state is S.RETURNED:
                assert f.fee_due_vnd == 0
                assert f.signed_by is not None
                assert f.timeliness is not None


FileMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFileMachine = FileMachine.TestCase
