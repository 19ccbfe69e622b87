"""The file commands (lệnh xử lý hồ sơ) on the ledger: receive a file, run a command on it, load
it verified.

Write path: load the file (verifying every stored event) -> the domain checks the rule -> the
new events are written (``EventWriter``: chained, signed by the actor's key, checked as a read
would check them, stored in one transaction with any side rows). A concurrent writer that got
there first makes the command retry on the new head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain import commands
from domain.calendar import WorkingCalendar
from domain.deadlines import SupplementPolicy
from domain.file import AdministrativeFile
from domain.procedures import Channel
from ledger.chain import load_cache as lc
from ledger.chain.calendar import CalendarInForce
from ledger.chain.load_cache import RegistryCache, RegistryMark, VerifiedPrefixCache, VerifiedRow
from ledger.chain.personal import PersonalData, seal
from ledger.chain.receipts import Receipt, Receipts
from ledger.chain.sealed_text import TextSealer
from ledger.chain.verify import ChainVerifier
from ledger.chain.writer import MAX_ATTEMPTS, EventWriter
from ledger.encoding.envelope import Envelope
from ledger.errors import ConflictError, NotFound
from ledger.store.events import EventStore, SideWrite
from signing import Signer
from signing.registry import REGISTRY_STREAM, KeyRegistry


@dataclass(frozen=True)
class VerifiedFile:
    file: AdministrativeFile
    envelopes: tuple[Envelope, ...]
    known_head_hash: str | None = None

    @property
    def head_hash(self) -> str:
        return self.known_head_hash or self.envelopes[-1].hash()


class FileCommands:
    def __init__(
        self,
        store: EventStore,
        *,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy,
        registry: RegistryCache,
        writer: EventWriter,
        receipts: Receipts,
        load_cache: VerifiedPrefixCache,
        sealer: TextSealer,
    ) -> None:
        self.store = store
        self.in_force = CalendarInForce(registry, calendar)
        self.supplement_policy = supplement_policy
        self.registry = registry
        self.writer = writer
        self.receipts = receipts
        self.load_cache = load_cache
        self.sealer = sealer

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar in force (``ledger.chain.calendar``): what every deadline is
        computed from, as of the registry this process last read (each command reads it first)."""
        return self.in_force()

    def _verifier(self, registry: KeyRegistry) -> ChainVerifier:
        return ChainVerifier(self.registry.origin, self.registry.authority_key, registry)

    def receive(
        self,
        *,
        signer: Signer,
        actor: str,
        procedure: str,
        channel: Channel,
        unit: str,
        counter: str,
        department: str,
        documents: Sequence[str],
        applicant: PersonalData,
        at: datetime,
        applicant_ref: str | None = None,
        refusal: str = "",
    ) -> Receipt:
        """Tiếp nhận: open a file, seal the applicant's data, issue the code and PIN; with a
        ``refusal`` reason, the papers are not accepted (the file opens closed, and its code
        and PIN let the citizen see the refusal).

        The rule is checked once, before a number is reserved (``Receive.draft``); the receipt
        answers with what it stored."""
        known = self.receipts.applicant(applicant_ref, at)  # NotFound before a number is reserved
        sealed = seal(known.secret, self.receipts.random(12), known.ref, applicant)
        receive = commands.Receive(
            procedure=procedure,
            channel=channel,
            unit=unit,
            counter=counter,
            department=department,
            documents=tuple(documents),
            applicant_ref=known.ref,
            applicant_sealed=sealed,
            refusal=refusal,
        )
        registry, mark = self.registry.state()  # first: the calendar in force comes with it
        calendar = self.calendar
        calendar.require_published(at)
        draft = receive.draft(
            actor=actor,
            at=at,
            calendar=calendar,
            supplement_policy=self.supplement_policy,
        )
        registry.key_for(actor, signer.key_id, at)  # valid for this actor now
        code = self.receipts.next_code(unit, at.astimezone(calendar.tz).date())
        pin, pin_write = self.receipts.pin(code)
        side: list[SideWrite] = [pin_write]
        f = commands.Receive.issue(draft, code)
        events = self.sealer.seal(f.collect_events(), known.ref, known.secret)
        with self.writer.expecting():
            stored = self.writer.append(
                code,
                events,
                signer,
                verifier=self._verifier(registry),
                side_writes=side,
                mark=mark,
            )
        return Receipt(code, pin, known.ref, f.due_at, tuple(stored))

    def now(self) -> datetime:
        """The server's clock: the receipt time of what is written now."""
        return self.writer.clock()

    def load(self, code: str) -> VerifiedFile:
        """The file rebuilt from its events, each one's signature, key and chain link checked.

        Every row is read from the store; a row byte-identical to one this process already
        verified (same prefix, same registry) reuses that result (``ledger.chain.load_cache``)."""
        file, rows, _registry, _mark, _key = self._load(code)
        return VerifiedFile(file, tuple(row.envelope for row in rows), rows[-1].hash)

    def _load(
        self, code: str, *, tail: bool = False
    ) -> tuple[
        AdministrativeFile, tuple[VerifiedRow, ...], KeyRegistry, RegistryMark, bytes | None
    ]:
        """``tail`` (commands): read only from the last row this process knows of the file
        on, if it knows the file; anything unexpected falls back to reading it all. Last of
        the five: the applicant's key, when the store could read it with the rows (None:
        not read, or erased; ``TextSealer`` asks the key store again)."""
        known = self.load_cache.entry(code) if tail else None
        after = known.last.version - 1 if known is not None else 0
        key = self.receipts.key_read(known.state.applicant_ref) if known is not None else None
        # One read: the file's rows (from ``after``), the registry's after its verified head
        # and, where the store can, the applicant's key.
        stored, news = self.store.stream_with(
            code, REGISTRY_STREAM, other_after=self.registry.head(), after=after, key=key
        )
        registry, mark = self.registry.apply(news)
        verifier = self._verifier(registry)
        if known is not None:
            found = lc.verify_tail(stored, verifier, self.load_cache, known, mark)
            if found is None:
                return self._load(code)
            rows, aggregate = found
            if len(rows) > len(known.rows) and self.registry.unchanged(mark):
                new = rows[len(known.rows) :]
                self.load_cache.extend(code, mark, known.last.version, new, aggregate)
        elif not stored:
            raise NotFound(f"no file {code}")
        else:
            rows, fresh = lc.verify_rows(stored, verifier, self.load_cache, code, mark)
            aggregate = lc.replay(rows)
            if fresh and self.registry.unchanged(mark):
                self.load_cache.put(code, mark, rows, aggregate)
        assert isinstance(aggregate, AdministrativeFile)
        secret = key.found if key is not None and key.ref == aggregate.applicant_ref else None
        return aggregate, rows, registry, mark, secret

    def execute(
        self,
        code: str,
        *,
        signer: Signer,
        actor: str,
        at: datetime,
        command: Callable[[AdministrativeFile], None],
        side_writes: Sequence[SideWrite] = (),
    ) -> list[Envelope]:
        """Run a command on the current file and store its events (with ``side_writes``, in
        the same transaction); retry on a concurrent write. The file and the registry are read
        first, so a ``command`` that takes ``self.calendar`` when it runs gets the calendar in
        force; no step is taken in a year whose calendar is not published."""
        with self.writer.expecting():
            for _attempt in range(MAX_ATTEMPTS):
                file, rows, registry, mark, secret = self._load(code, tail=True)
                self.calendar.require_published(at)
                registry.key_for(actor, signer.key_id, at)  # valid for this actor now
                command(file)
                events = self.sealer.seal(file.collect_events(), file.applicant_ref, secret)
                verifier = self._verifier(registry)
                verifier.heads[code] = (rows[-1].version, rows[-1].hash)
                try:
                    return self.writer.append(
                        code, events, signer, verifier=verifier, side_writes=side_writes, mark=mark
                    )
                except ConflictError:
                    continue
        raise ConflictError(f"file {code} kept changing under this command")
