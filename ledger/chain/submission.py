"""What a submission of client-signed envelopes meets, in ``Intake`` and ``BulkIntake`` alike: its
outcome (``Submitted``), its refusals (``StaleHead``, ``Refused``), and the domain rule replayed
on each envelope (``replay``: the same command on the same file must give the very same event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain import commands
from domain.calendar import WorkingCalendar
from domain.deadlines import SupplementPolicy
from ledger.chain.sealed_text import TextSealer
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope
from ledger.errors import Refused


@dataclass(frozen=True)
class Submitted:
    envelope: Envelope
    stored_before: bool  # True when this envelope was already in the store (idempotent replay)


class Rules(Protocol):
    """What the domain rule needs besides the file: the working calendar and the supplement
    policy (an ``IntakeLedger`` is one; the audit builds one from the settings)."""

    @property
    def calendar(self) -> WorkingCalendar: ...

    @property
    def supplement_policy(self) -> SupplementPolicy: ...


def receipt_event(
    ledger: Rules, receive: commands.Receive, *, code: str, actor: str, at: datetime
) -> Any:
    """The receipt event the domain rule gives (``FileReceived``)."""
    f = receive.open(
        code,
        actor=actor,
        at=at,
        calendar=ledger.calendar,
        supplement_policy=SupplementPolicy(ledger.supplement_policy),
    )
    (event,) = f.collect_events()
    return event


class Sealing(Protocol):
    @property
    def sealer(self) -> TextSealer: ...


class IntakeRules(Rules, Sealing, Protocol):
    """What a client's submission meets: the rules, and its free text sealed."""


def replay_submitted(
    ledger: IntakeRules, current: Any, env: Envelope, event: Any, sealer: TextSealer | None = None
) -> Any:
    """``replay``, for a client-signed envelope: its free text must be sealed under its file's
    applicant key (``Refused`` otherwise), so nothing typed escapes erasure; and a PIN is
    reissued only by the server, which sets the new PIN with the event. ``sealer``: the one
    to check with (default ``ledger.sealer``; a batch's has its keys read in one query)."""
    if env.type == "PinReissued":
        raise Refused(
            "a PIN is reissued by the server, which sets the new PIN: "
            "POST /files/{code}/reissue-pin"
        )
    ref = (
        event.applicant_ref
        if env.type in commands.OPENING_EVENTS
        else getattr(current, "applicant_ref", "")
    )
    (ledger.sealer if sealer is None else sealer).check(event, ref)
    return replay(ledger, current, env, event)


def replay(ledger: Rules, current: Any, env: Envelope, event: Any) -> Any:
    """The file after ``env`` (its decoded ``event``), if the domain rule gives that very event
    on ``current`` (None before a receipt); else ``Refused``. No step is taken in a year whose
    working calendar is not published (``CalendarNotPublished``)."""
    ledger.calendar.require_published(env.occurred_at)
    if env.type in commands.OPENING_EVENTS:
        again = receipt_event(
            ledger,
            commands.Receive.of_event(event),
            code=env.stream,
            actor=env.actor,
            at=env.occurred_at,
        )
        if not codec.payload_equals(again, env.payload):
            raise Refused("the receipt's computed fields (deadline, policy) are not the server's")
        return event.mutate(None)
    command = commands.BY_EVENT.get(env.type)
    if command is None:
        raise Refused(f"unknown event type {env.type!r}")
    try:
        command.of_event(event).apply(
            current, actor=env.actor, at=env.occurred_at, calendar=ledger.calendar
        )
    except (KeyError, TypeError, ValueError) as e:
        raise Refused(f"{env.type} payload is malformed: {e}") from e
    (produced,) = current.collect_events()
    if not codec.payload_equals(produced, env.payload):
        raise Refused(f"{env.type} does not match what the rule produces for this file")
    return current
