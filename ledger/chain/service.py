"""The ledger service: commands in, signed and chained envelopes out, verified on every read.

A facade over its parts, composed once here: the verified key registry (``RegistryCache``) and
its commands (``RegistryCommands``), the writer every command stores through (``EventWriter``),
what a receipt issues (``Receipts``: code, applicant key, PIN) and the file commands
(``FileCommands``: receive, execute, load). Each method below hands over to the part that does
it; the write path is told in ``ledger.chain.files`` and ``ledger.chain.writer``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime

from eventsourcing.persistence import StoredEvent

from domain.calendar import WorkingCalendar
from domain.deadlines import SupplementPolicy
from domain.file import AdministrativeFile
from domain.procedures import Channel
from domain.working_year import YearDays
from ledger.chain.files import FileCommands, VerifiedFile
from ledger.chain.load_cache import RegistryCache, VerifiedPrefixCache
from ledger.chain.personal import PersonalData
from ledger.chain.receipts import Receipt, Receipts
from ledger.chain.registry import RegistryCommands
from ledger.chain.sealed_text import TextSealer, reveal
from ledger.chain.writer import EventWriter, server_clock
from ledger.encoding.envelope import Envelope
from ledger.store.events import EventStore, SideWrite
from ledger.store.group_commit import GroupCommit
from signing import Signer
from signing.registry import KeyRegistry, Role

__all__ = ["Ledger", "Receipt", "VerifiedFile"]


class Ledger:
    def __init__(
        self,
        store: EventStore,
        *,
        origin: str,
        authority_key: bytes | None,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy = SupplementPolicy.EXTEND,
        random_bytes: Callable[[int], bytes] = os.urandom,
        clock: Callable[[], datetime] = server_clock,
        group_commit: GroupCommit | None = None,
        load_cache: VerifiedPrefixCache | None = None,
        pin_pepper: bytes | None = None,
    ) -> None:
        """``group_commit``: store concurrent commands together (None: each alone).
        ``load_cache``: where ``load`` keeps what it verified (default: 10,000 files).
        ``pin_pepper``: the server's secret that keys new PIN hashes (``ledger.store.pins``)."""
        self.store = store
        self.origin = origin
        self.authority_key = authority_key
        self.supplement_policy = supplement_policy
        self.load_cache = VerifiedPrefixCache() if load_cache is None else load_cache
        self.registry_cache = RegistryCache(store, origin=origin, authority_key=authority_key)
        self.writer = EventWriter(
            store,
            origin=origin,
            clock=clock,
            group_commit=group_commit,
            load_cache=self.load_cache,
            unchanged=self.registry_cache.unchanged,
        )
        self.registry_commands = RegistryCommands(self.registry_cache, self.writer)
        self.receipts = Receipts(store, random_bytes, pin_pepper)
        self.sealer = TextSealer(self.receipts.applicant_secret, random_bytes)
        self.files = FileCommands(
            store,
            calendar=calendar,
            supplement_policy=supplement_policy,
            registry=self.registry_cache,
            writer=self.writer,
            receipts=self.receipts,
            load_cache=self.load_cache,
            sealer=self.sealer,
        )

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar in force: every deadline is computed from it (a year nobody
        published is refused). A command takes it when it runs (``execute``)."""
        return self.files.calendar

    def read_calendar(self) -> WorkingCalendar:
        """The calendar in force as of now, for reading figures and queues: a year nobody
        published counts Monday to Friday, so a read never stops on it."""
        self.registry()
        return self.files.calendar.lenient()

    def publish_calendar(self, *, signer: Signer, actor: str, days: YearDays, source: str,
                         at: datetime) -> None:  # fmt: skip
        """Publish (or amend, for days still to come) a year of the working calendar."""
        self.registry_commands.publish_calendar(
            signer=signer, actor=actor, days=days, source=source, at=at
        )

    @property
    def clock(self) -> Callable[[], datetime]:
        """The server's clock (the receipt time of every envelope written)."""
        return self.writer.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.writer.clock = clock

    @property
    def group_commit(self) -> GroupCommit | None:
        return self.writer.group_commit

    @group_commit.setter
    def group_commit(self, group_commit: GroupCommit | None) -> None:
        self.writer.group_commit = group_commit

    def close(self) -> None:
        """Store what the writer still holds, then close the store."""
        if self.group_commit is not None:
            self.group_commit.close()
        self.receipts.keys.close()
        self.store.close()

    # ------------------------------------------------------------- registry
    def registry(self) -> KeyRegistry:
        """The verified key registry, brought up to date with the store."""
        return self.registry_cache.registry()

    def establish_registry(self, authority: Signer, *, actor: str, at: datetime) -> None:
        self.registry_commands.establish(authority, actor=actor, at=at)

    def register_key(
        self,
        *,
        signer: Signer,
        actor: str,
        holder: str,
        role: Role,
        unit: str,
        public_key: bytes,
        valid_from: datetime,
        at: datetime,
    ) -> str:
        return self.registry_commands.register_key(
            signer=signer,
            actor=actor,
            holder=holder,
            role=role,
            unit=unit,
            public_key=public_key,
            valid_from=valid_from,
            at=at,
        )

    def revoke_key(
        self, *, signer: Signer, actor: str, kid: str, effective_at: datetime, reason: str,
        at: datetime,
    ) -> None:  # fmt: skip
        self.registry_commands.revoke_key(
            signer=signer, actor=actor, kid=kid, effective_at=effective_at, reason=reason, at=at
        )

    def rotate_key(
        self, *, signer: Signer, actor: str, old_kid: str, new_public_key: bytes,
        effective_at: datetime, at: datetime,
    ) -> str:  # fmt: skip
        return self.registry_commands.rotate_key(
            signer=signer,
            actor=actor,
            old_kid=old_kid,
            new_public_key=new_public_key,
            effective_at=effective_at,
            at=at,
        )

    # ---------------------------------------------------------------- files
    def next_code(self, unit: str, day: date) -> str:
        """The next code of the unit's daily counter; one atomic increment, never reissued."""
        return self.receipts.next_code(unit, day)

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
        """Tiếp nhận: open a file, seal the applicant's data, issue the code and PIN (with a
        ``refusal``: not accepted at the counter, ``FileNotAccepted``)."""
        return self.files.receive(
            signer=signer,
            actor=actor,
            procedure=procedure,
            channel=channel,
            unit=unit,
            counter=counter,
            department=department,
            documents=documents,
            applicant=applicant,
            at=at,
            applicant_ref=applicant_ref,
            refusal=refusal,
        )

    def load(self, code: str) -> VerifiedFile:
        """The file rebuilt from its events, every one verified (``FileCommands.load``)."""
        return self.files.load(code)

    def execute(
        self,
        code: str,
        *,
        signer: Signer,
        actor: str,
        at: datetime,
        command: Callable[[AdministrativeFile], None],
    ) -> list[Envelope]:
        """Run a command on the current file and store its events; retry on a concurrent write."""
        return self.files.execute(code, signer=signer, actor=actor, at=at, command=command)

    def write(self, stored: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()) -> None:
        """Store checked events and side rows in one transaction (``EventWriter.write``)."""
        self.writer.write(stored, side_writes)

    # ------------------------------------------------------ personal data, PINs
    def personal_data(self, f: AdministrativeFile) -> PersonalData:
        """The applicant's data, or every field ``[erased]`` once the applicant was forgotten."""
        return self.receipts.personal_data(f.applicant_ref, f.applicant_sealed)

    def applicant_secret(self, applicant_ref: str) -> bytes | None:
        """The applicant's key, None once forgotten (it opens their sealed data and text)."""
        return self.receipts.applicant_secret(applicant_ref)

    def applicant_secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        """The keys of those of ``refs`` not forgotten, in one read (many lookups at once)."""
        return self.receipts.applicant_secrets(refs)

    def reveal(self, value: str | None) -> str | None:
        """A free text as a reader with the right to see it is shown (``sealed_text.reveal``)."""
        return reveal(value, self.receipts.applicant_secret)

    def forget(self, applicant_ref: str) -> None:
        """Erasure (Law 91/2025/QH15 on personal data, art. 16): destroy the applicant's key; events
        are untouched."""
        self.receipts.forget(applicant_ref)

    def check_pin(self, code: str, pin: str) -> bool:
        return self.receipts.check_pin(code, pin)

    def reissue_pin(
        self, code: str, *, signer: Signer, actor: str, at: datetime
    ) -> tuple[str, list[Envelope]]:
        """Cấp lại mã tra cứu: a new PIN for the file (shown once), with the signed
        ``PinReissued`` event, the new hash and the cleared lockout in one transaction."""
        pin, writes = self.receipts.reissued_pin(code)
        stored = self.files.execute(
            code,
            signer=signer,
            actor=actor,
            at=at,
            command=lambda f: f.reissue_pin(actor=actor, at=at),
            side_writes=writes,
        )
        return pin, stored

    def pin_matches(self, code: str, pin: str, stored: str) -> bool:
        """Whether ``pin`` is the PIN of ``code`` whose hash is ``stored``."""
        return self.receipts.pin_matches(code, pin, stored)
