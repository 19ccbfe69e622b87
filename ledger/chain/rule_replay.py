"""Replaying the rules (luật nghiệp vụ): files through the domain, event by event, in log order.

Signatures, keys and chains say who wrote an event; they do not say the event was allowed. Here
each file's events are replayed through the same aggregate code and command table that decided
them (``ledger.chain.submission.replay``: the same command on the file as it stood must give the
very same event), so a validly signed event that the procedure forbids (an apology after the
result was returned, a step dated before the one it follows, anything after a terminal state, a
deadline computed otherwise) is named by file code and version.

The file as it stands is kept while a step may still follow (open, or returned or refused and not
yet rated); a file no step may follow keeps only its final state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from domain import commands
from domain.calendar import WorkingCalendar, in_force
from domain.deadlines import SupplementPolicy
from domain.errors import DomainError
from domain.events import FileState
from domain.working_year import YearDays
from ledger.chain.submission import replay
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope, decode
from ledger.errors import LedgerError
from signing.registry import REGISTRY_STREAM, WorkingCalendarPublished

PAGE = 1000
RATEABLE = frozenset({FileState.RETURNED, FileState.REFUSED})
"""Terminal states after which the citizen may still rate the service (the one step left)."""


@dataclass(frozen=True)
class RuleSettings:
    """The domain rule's settings: the deployment's working calendar and supplement policy."""

    calendar: WorkingCalendar
    supplement_policy: SupplementPolicy


@dataclass(frozen=True)
class RuleFailure:
    """The first event the rule refuses: where, and why."""

    stream: str
    version: int
    position: int
    reason: str

    def __str__(self) -> str:
        return f"file {self.stream} version {self.version}: {self.reason}"


@dataclass(frozen=True)
class RulesReport:
    files: int
    events: int
    failure: RuleFailure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


class RuleReplay:
    """Files replayed event by event; ``step`` names the reason an event is refused.

    ``exact`` (the audit): the rule must give the very event stored, computed fields
    (deadlines, appointments) included, from the calendar in force at the event's place in the
    log (the years published before it, ``registry_step``). Not exact (the offline verifier,
    which sees no calendar): each event must be a legal
    step of the file as it stood, at a time not before the one it follows; the file then goes on
    from the stored event itself."""

    def __init__(self, rules: RuleSettings, *, exact: bool = True) -> None:
        self.rules = rules
        self.base = rules.calendar
        self.published: dict[int, YearDays] = {}
        self.exact = exact
        self.files: dict[str, Any] = {}  # code -> the file as it stands
        # files no step may follow any more (withdrawn, stopped, or finished and rated): only
        # their final state is kept, so memory follows the files still in play
        self.finished: dict[str, str] = {}

    @property
    def count(self) -> int:
        """Files met so far."""
        return len(self.files) + len(self.finished)

    def registry_step(self, env: Envelope) -> None:
        """A registry entry: a year of the working calendar published puts it in force for
        what follows in the log, as it did when the ledger received it."""
        if env.type != WorkingCalendarPublished.__name__:
            return
        event = codec.event_of(env)
        assert isinstance(event, WorkingCalendarPublished)
        self.published[event.year] = event.days()
        self.rules = replace(self.rules, calendar=in_force(self.base, self.published))

    def step(self, env: Envelope) -> str | None:
        """Apply ``env`` to its file if the rule gives that very event; else the reason."""
        code = env.stream
        if code in self.finished and env.type == "PinReissued":
            return None  # a new lookup PIN is given whatever the file's state; it changes none
        if code in self.finished:
            return (
                f"{env.type} after the file was finished ({self.finished[code]}): no step may "
                "follow"
            )
        current = self.files.get(code)
        try:
            event = codec.event_of(env)
            after = (
                replay(self.rules, current, env, event)
                if self.exact
                else self._legal(current, env, event)
            )
        except (DomainError, LedgerError, KeyError, TypeError, ValueError) as e:
            return f"{env.type} is not a legal step of this file at {env.unsigned.occurred_at}: {e}"
        if after.is_open or (after.state in RATEABLE and after.rating is None):
            self.files[code] = after
        else:
            self.files.pop(code, None)
            self.finished[code] = str(after.state.value)
        return None

    def _legal(self, current: Any, env: Envelope, event: Any) -> Any:
        """The file after the stored ``event``, once its command is a legal step of ``current``
        (a copy takes the command: what goes on is the stored event, not the one recomputed)."""
        if current is None:
            return event.mutate(None)
        command = commands.BY_EVENT.get(env.type)
        if command is None:
            raise LedgerError(f"unknown event type {env.type!r}")
        trial = copy.deepcopy(current)
        command.of_event(event).apply(
            trial, actor=env.actor, at=env.occurred_at, calendar=self.rules.calendar
        )
        (produced,) = trial.collect_events()
        _type, payload = codec.to_payload(produced)
        if _beyond_calendar(payload) != _beyond_calendar(env.payload):
            raise LedgerError(f"{env.type} does not match what the rule produces for this file")
        event.mutate(current)
        return current


CALENDAR_FIELDS = frozenset({"due_at", "new_due_at", "timeliness"})
"""Payload fields computed from the working calendar (deadlines and what is judged by them)."""


def _beyond_calendar(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in CALENDAR_FIELDS}


def replay_report(
    rows: Iterable[tuple[int, bytes]],
    rules: RuleSettings,
    progress: Callable[[int], None] | None = None,
) -> RulesReport:
    """Replay ``(log position, stored envelope)`` rows in log order; stop at the first refusal."""
    replayer = RuleReplay(rules)
    events = 0
    for position, state in rows:
        env = decode(state)
        if env.stream == REGISTRY_STREAM:
            replayer.registry_step(env)
            continue
        reason = replayer.step(env)
        if reason is not None:
            failure = RuleFailure(env.stream, env.version, position, reason)
            return RulesReport(replayer.count, events, failure)
        events += 1
        if progress is not None and events % PAGE == 0:
            progress(position)
    return RulesReport(replayer.count, events, None)
