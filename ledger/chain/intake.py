"""Client-signed envelopes (ký phía máy trạm): prepared by the server, signed by the officer's own
key on their device, checked and stored by the server.

``prepare`` runs the command on the file as it stands and returns the unsigned envelope(s) the
officer must sign: the same fields the server would have signed in server-side mode, so both
modes produce the same envelope. ``submit`` checks a signed envelope like a read would (canonical
form, origin, key valid for that actor at that instant, signature, role), that its ``prev_hash``
is the file's current head (else ``StaleHead``, a 409), that ``occurred_at`` is within the
allowed skew of the server's clock, and the domain rule, by running the same command again and
requiring the very same event. It then stores it with the server's receipt time beside it.
Resubmitting an envelope already stored is a no-op that returns the stored one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain import commands
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain.bulk_intake import BulkIntake, Clock, FileOutcome, Opening
from ledger.chain.ports import IntakeLedger
from ledger.chain.submission import Submitted, receipt_event, replay_submitted
from ledger.chain.verify import ChainVerifier
from ledger.encoding import codec
from ledger.encoding.envelope import GENESIS_HASH, Envelope, UnsignedEnvelope, build, decode
from ledger.errors import PermissionRefused, Refused, StaleHead, TamperError
from ledger.store.events import SideWrite

__all__ = ["Intake", "Refused", "StaleHead", "Submitted"]


class Intake:
    def __init__(
        self,
        ledger: IntakeLedger,
        *,
        max_skew: timedelta = timedelta(minutes=5),
        workers: int | None = None,
    ) -> None:
        """``workers``: threads verifying a batch's signatures (None: one per CPU; 1: none)."""
        self.ledger = ledger
        self.max_skew = max_skew
        self.workers = workers
        self._bulk: BulkIntake | None = None

    # ------------------------------------------------------------------ prepare
    def prepare(
        self,
        code: str,
        *,
        actor: str,
        key_id: str,
        command: Callable[[AdministrativeFile], None],
    ) -> UnsignedEnvelope:
        """The unsigned envelope ``command`` would produce now, for the actor to sign."""
        current = self.ledger.load(code)
        command(current.file)
        events = self.ledger.sealer.seal(current.file.collect_events(), current.file.applicant_ref)
        if len(events) != 1:
            raise Refused("a prepared command produces exactly one event")
        return self._unsigned(code, events[0], actor, key_id, current.head_hash)

    def prepare_receipt(
        self,
        *,
        actor: str,
        key_id: str,
        at: datetime,
        unit: str,
        procedure: str,
        channel: Channel,
        counter: str,
        department: str,
        documents: Sequence[str],
        applicant_ref: str,
        applicant_sealed: str,
        code: str,
        seal: bool = True,
    ) -> UnsignedEnvelope:
        """The unsigned receipt, its documents sealed under the applicant's key (``seal``
        False: a dry run of the rule, before a key or a code exists)."""
        receive = commands.Receive(
            procedure=procedure,
            channel=channel,
            unit=unit,
            counter=counter,
            department=department,
            documents=tuple(documents),
            applicant_ref=applicant_ref,
            applicant_sealed=applicant_sealed,
        )
        event = receipt_event(self.ledger, receive, code=code, actor=actor, at=at)
        if seal:
            (event,) = self.ledger.sealer.seal([event], applicant_ref)
        return self._unsigned(code, event, actor, key_id, GENESIS_HASH)

    def _unsigned(
        self, code: str, event: Any, actor: str, key_id: str, prev: str
    ) -> UnsignedEnvelope:
        type_name, payload = codec.to_payload(event)
        return build(
            origin=self.ledger.origin,
            stream=code,
            version=event.originator_version,
            type_=type_name,
            occurred_at=event.timestamp,
            actor=actor,
            key_id=key_id,
            payload=payload,
            prev_hash=prev,
        )

    # ------------------------------------------------------------------- submit
    def submit(
        self, signed: Sequence[bytes], *, now: datetime, side_writes: Sequence[SideWrite] = ()
    ) -> list[Submitted]:
        """Check and store the signed envelopes of ONE file, all or nothing."""
        envelopes = [decode(data) for data in signed]
        if not envelopes:
            return []
        code = envelopes[0].stream
        if any(e.stream != code for e in envelopes):
            raise Refused("a submission holds the envelopes of one file")
        stored = {s.originator_version: s for s in self.ledger.store.stream(code)}
        done: list[Submitted] = []
        fresh: list[Envelope] = []
        for env in envelopes:
            already = stored.get(env.version)
            if already is not None and not fresh:
                if decode(already.state).signed_bytes() != env.signed_bytes():
                    raise StaleHead(f"file {code} already has a different version {env.version}")
                done.append(Submitted(decode(already.state), True))
                continue
            fresh.append(env)
        if not fresh:
            return done
        accepted = self._check(code, fresh, now)
        items = [StoredEvent(e.stream, e.version, e.type, e.to_bytes()) for e in accepted]
        self.ledger.store.append(items, side_writes)
        return done + [Submitted(e, False) for e in accepted]

    def submit_many(
        self,
        submissions: Sequence[Sequence[bytes]],
        *,
        now: Clock,
        opening: Opening | None = None,
    ) -> list[FileOutcome]:
        """Check and store many files' signed envelopes: each submission (one file) all or
        nothing, with ``submit``'s checks and errors, the whole batch's signatures verified in
        parallel and every accepted file stored in one transaction (``ledger.chain.bulk_intake``).

        ``now``: the server's receipt time, or a function giving it per envelope. ``opening``
        gives the side rows of a file the batch opens (called before its checks; a
        ``LedgerError`` it raises refuses that file alone). One outcome per submission, in order.
        """
        if self._bulk is None:
            self._bulk = BulkIntake(self.ledger, max_skew=self.max_skew, workers=self.workers)
        return self._bulk.submit_many(submissions, now=now, opening=opening)

    def close(self) -> None:
        """Stop the verifying threads of ``submit_many`` (started on first use)."""
        if self._bulk is not None:
            self._bulk.close()

    def _check(self, code: str, fresh: list[Envelope], now: datetime) -> list[Envelope]:
        first = fresh[0]
        if first.version == 1:
            current: Any = None
            head_version, head_hash = 0, GENESIS_HASH
        else:
            loaded = self.ledger.load(code)
            current, head_version, head_hash = loaded.file, loaded.file.version, loaded.head_hash
        if first.version != head_version + 1 or first.prev_hash != head_hash:
            raise StaleHead(
                f"file {code} is at version {head_version}: the envelope for version "
                f"{first.version} was prepared on an older head"
            )
        verifier = ChainVerifier(
            self.ledger.origin, self.ledger.authority_key, self.ledger.registry()
        )
        verifier.heads[code] = (head_version, head_hash)
        accepted = []
        for env in fresh:
            if env.unsigned.origin != self.ledger.origin:
                raise Refused(f"envelope is for ledger {env.unsigned.origin!r}")
            if abs(env.occurred_at - now) > self.max_skew:
                raise Refused(
                    f"occurred_at {env.unsigned.occurred_at} is more than "
                    f"{int(self.max_skew.total_seconds())} s from the server's clock"
                )
            received = env.received(now)
            try:
                checked = verifier.check(
                    StoredEvent(env.stream, env.version, env.type, received.to_bytes())
                )
            except TamperError as e:
                raise PermissionRefused(e.reason) from e
            current = replay_submitted(self.ledger, current, env, checked.event)
            accepted.append(received)
        return accepted
