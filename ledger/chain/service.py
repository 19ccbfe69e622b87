"""The ledger service: commands in, signed and chained envelopes out, verified on every read.

Write path: load the file (verifying every stored event) -> the domain checks the rule -> each new
event becomes an envelope chained to the file's head and signed by the actor's key, which must be
valid for that actor at that instant in the key registry -> stored in one transaction with any
side rows. A concurrent writer that got there first makes the command retry on the new head.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from domain.calendar import WorkingCalendar
from domain.codes import check_unit_code, format_file_code
from domain.deadlines import SupplementPolicy
from domain.file import AdministrativeFile
from domain.procedures import Channel, get_procedure
from ledger.chain import load_cache as lc
from ledger.chain.key_commands import KeyCommands
from ledger.chain.load_cache import RegistryMark, VerifiedPrefixCache, VerifiedRow
from ledger.chain.personal import ERASED, PersonalData, SealError, seal, unseal
from ledger.chain.verify import ChainVerifier
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope, build
from ledger.encoding.timefmt import format_instant
from ledger.errors import ConflictError, NotFound, PermissionRefused, TamperError
from ledger.store.events import EventStore, SideWrite
from ledger.store.group_commit import GroupCommit
from ledger.store.pins import hash_pin, pin_matches
from ledger.store.side_tables import ApplicantKeys, CodeCounters, FilePins
from signing import Signer
from signing.registry import REGISTRY_STREAM, KeyRegistry

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Receipt:
    """What the receiving counter prints: the code, the PIN (shown once), the appointment."""

    code: str
    pin: str
    applicant_ref: str
    appointment_at: datetime


@dataclass(frozen=True)
class VerifiedFile:
    file: AdministrativeFile
    envelopes: tuple[Envelope, ...]
    known_head_hash: str | None = None

    @property
    def head_hash(self) -> str:
        return self.known_head_hash or self.envelopes[-1].hash()


class Ledger(KeyCommands):
    def __init__(
        self,
        store: EventStore,
        *,
        origin: str,
        authority_key: bytes | None,
        calendar: WorkingCalendar,
        supplement_policy: SupplementPolicy = SupplementPolicy.EXTEND,
        random_bytes: Callable[[int], bytes] = os.urandom,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        group_commit: GroupCommit | None = None,
        load_cache: VerifiedPrefixCache | None = None,
    ) -> None:
        """``group_commit``: store concurrent commands together (None: each alone).
        ``load_cache``: where ``load`` keeps what it verified (default: 10,000 files)."""
        self.store = store
        self.origin = origin
        self.authority_key = authority_key
        self.calendar = calendar
        self.supplement_policy = supplement_policy
        self._random = random_bytes
        self.clock = clock
        self.group_commit = group_commit
        self.load_cache = VerifiedPrefixCache() if load_cache is None else load_cache
        self._registry_verifier = ChainVerifier(origin, authority_key)
        self._registry_lock = threading.Lock()
        self._registry_generation = 0  # + 1 whenever the registry object changes

    def close(self) -> None:
        """Store what the writer still holds, then close the store."""
        if self.group_commit is not None:
            self.group_commit.close()
        self.store.close()

    # ------------------------------------------------------------- registry
    def registry(self) -> KeyRegistry:
        """The verified key registry, brought up to date with the store."""
        return self._registry_state()[0]

    def _registry_state(self) -> tuple[KeyRegistry, RegistryMark]:
        """The registry brought up to date (one SELECT of what is new, outside the lock, so
        concurrent commands do not queue behind each other's round trip) and its generation."""
        last = self._head()
        return self._apply_registry(self.store.stream(REGISTRY_STREAM, gt=last or None))

    def _head(self) -> int:
        """The version of the registry's last verified row (0: none yet)."""
        with self._registry_lock:
            return self._registry_verifier.head(REGISTRY_STREAM)[0]

    def _apply_registry(self, fresh: Sequence[StoredEvent]) -> tuple[KeyRegistry, RegistryMark]:
        """Apply registry rows read after the head; skip what another thread applied since."""
        with self._registry_lock:
            verifier = self._registry_verifier
            head, _ = verifier.head(REGISTRY_STREAM)
            if fresh and fresh[0].originator_version > head + 1:  # the verifier was rebuilt
                fresh = self.store.stream(REGISTRY_STREAM, gt=head or None)
            for stored in fresh:
                if stored.originator_version <= verifier.head(REGISTRY_STREAM)[0]:
                    continue
                self._registry_generation += 1  # before: a failed check may have mutated it
                verifier.check(stored)
            if verifier.registry is None:
                raise NotFound("the key registry is not established: run `hoso init`")
            return verifier.registry, self._registry_generation

    def _registry_unchanged(self, mark: RegistryMark) -> bool:
        with self._registry_lock:
            return self._registry_generation == mark

    def establish_registry(self, authority: Signer, *, actor: str, at: datetime) -> None:
        if self.authority_key != authority.public_key:
            raise PermissionRefused("the authority key is not the one pinned in the settings")
        registry = KeyRegistry.establish(
            origin=self.origin, authority=actor, public_key=authority.public_key, at=at
        )
        verifier = ChainVerifier(self.origin, self.authority_key)
        self._append(REGISTRY_STREAM, registry.collect_events(), authority, verifier=verifier)

    def _registry_command(
        self, signer: Signer, actor: str, at: datetime, command: Callable[[KeyRegistry], Any]
    ) -> Any:
        """Run a registry command on a freshly verified copy, then drop the cache."""
        for _attempt in range(MAX_ATTEMPTS):
            history = self.store.stream(REGISTRY_STREAM)
            # Two replays: the command mutates one registry, the other checks what it produced.
            verifier, working = (ChainVerifier(self.origin, self.authority_key) for _ in "ab")
            for stored in history:
                verifier.check(stored)
                working.check(stored)
            registry = working.registry
            if registry is None:
                raise NotFound("the key registry is not established: run `hoso init`")
            self._check_key(registry, signer, actor, at)
            result = command(registry)
            try:
                self._append(REGISTRY_STREAM, registry.collect_events(), signer, verifier=verifier)
            except ConflictError:
                continue
            finally:
                with self._registry_lock:
                    self._registry_verifier = ChainVerifier(self.origin, self.authority_key)
                    self._registry_generation += 1
            return result
        raise ConflictError("the key registry kept changing under this command")

    @staticmethod
    def _check_key(registry: KeyRegistry, signer: Signer, actor: str, at: datetime) -> None:
        registry.key_for(actor, signer.key_id, at)

    # ---------------------------------------------------------------- files
    def next_code(self, unit: str, day: date) -> str:
        """The next code of the unit's daily counter; one atomic increment, never reissued."""
        check_unit_code(unit)
        return format_file_code(unit, day, CodeCounters(self.store).next(unit, day.isoformat()))

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
    ) -> Receipt:
        """Tiếp nhận: open a file, seal the applicant's data, issue the code and PIN."""
        proc = get_procedure(procedure)
        registry, mark = self._registry_state()
        self._check_key(registry, signer, actor, at)
        code = self.next_code(unit, at.astimezone(self.calendar.tz).date())
        side: list[SideWrite] = []
        if applicant_ref is None:
            applicant_ref = "ap-" + self._random(12).hex()
            secret = self._random(32)
            side.append(ApplicantKeys.adding(applicant_ref, secret, format_instant(at)))
        else:
            known = self._applicant_secret(applicant_ref)
            if known is None:
                raise NotFound(f"applicant {applicant_ref} is unknown or was forgotten")
            secret = known
        sealed = seal(secret, self._random(12), applicant_ref, applicant)
        pin = f"{secrets.randbelow(10**6):06d}"
        side.append(FilePins.adding(code, hash_pin(pin, self._random(16))))
        f = AdministrativeFile.receive(
            code=code,
            procedure=proc,
            channel=channel,
            unit=unit,
            counter=counter,
            department=department,
            documents=tuple(documents),
            applicant_ref=applicant_ref,
            applicant_sealed=sealed,
            actor=actor,
            at=at,
            calendar=self.calendar,
            supplement_policy=self.supplement_policy,
        )
        verifier = ChainVerifier(self.origin, self.authority_key, registry)
        with self._expecting():
            self._append(
                code, f.collect_events(), signer, verifier=verifier, side_writes=side, mark=mark
            )
        return Receipt(code=code, pin=pin, applicant_ref=applicant_ref, appointment_at=f.due_at)

    def load(self, code: str) -> VerifiedFile:
        """The file rebuilt from its events, each one's signature, key and chain link checked.

        Every row is read from the store; a row byte-identical to one this process already
        verified (same prefix, same registry) reuses that result (``ledger.load_cache``)."""
        file, rows, _registry, _mark = self._load(code)
        return VerifiedFile(file, tuple(row.envelope for row in rows), rows[-1].hash)

    def _load(
        self, code: str, *, tail: bool = False
    ) -> tuple[AdministrativeFile, tuple[VerifiedRow, ...], KeyRegistry, RegistryMark]:
        """``tail`` (commands): read only from the last row this process knows of the file
        on, if it knows the file; anything unexpected falls back to reading it all."""
        known = self.load_cache.entry(code) if tail else None
        after = known.last.version - 1 if known is not None else 0
        # One read: the file's rows (from ``after``) and the registry's after its verified head.
        stored, news = self.store.stream_with(
            code, REGISTRY_STREAM, other_after=self._head(), after=after
        )
        registry, mark = self._apply_registry(news)
        verifier = ChainVerifier(self.origin, self.authority_key, registry)
        if known is not None:
            found = lc.verify_tail(stored, verifier, self.load_cache, known, mark)
            if found is None:
                return self._load(code)
            rows, aggregate = found
            if len(rows) > len(known.rows) and self._registry_unchanged(mark):
                new = rows[len(known.rows) :]
                self.load_cache.extend(code, mark, known.last.version, new, aggregate)
        elif not stored:
            raise NotFound(f"no file {code}")
        else:
            rows, fresh = lc.verify_rows(stored, verifier, self.load_cache, code, mark)
            aggregate = lc.replay(rows)
            if fresh and self._registry_unchanged(mark):
                self.load_cache.put(code, mark, rows, aggregate)
        assert isinstance(aggregate, AdministrativeFile)
        return aggregate, rows, registry, mark

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
        with self._expecting():
            for _attempt in range(MAX_ATTEMPTS):
                file, rows, registry, mark = self._load(code, tail=True)
                self._check_key(registry, signer, actor, at)
                command(file)
                events = file.collect_events()
                verifier = ChainVerifier(self.origin, self.authority_key, registry)
                verifier.heads[code] = (rows[-1].version, rows[-1].hash)
                try:
                    return self._append(code, events, signer, verifier=verifier, mark=mark)
                except ConflictError:
                    continue
        raise ConflictError(f"file {code} kept changing under this command")

    # -------------------------------------------------------------- writing
    def _append(
        self,
        stream: str,
        events: Sequence[CanMutateAggregate[str]],
        signer: Signer,
        *,
        verifier: ChainVerifier,
        side_writes: Sequence[SideWrite] = (),
        mark: RegistryMark | None = None,
    ) -> list[Envelope]:
        """Seal, check and store new events atomically.

        Every new envelope goes through the very checks a read applies (``verifier`` holds the
        stream's head and the registry): what a read would reject is never written. With
        ``mark`` (the generation of ``verifier``'s registry), what was written joins the
        load cache.
        """
        after, prev = verifier.head(stream)
        envelopes: list[Envelope] = []
        stored: list[StoredEvent] = []
        rows: list[VerifiedRow] = []
        for event in events:
            type_name, payload = codec.to_payload(event)
            env = build(
                origin=self.origin,
                stream=stream,
                version=event.originator_version,
                type_=type_name,
                occurred_at=event.timestamp,
                actor=str(getattr(event, "actor")),  # noqa: B009 - every ledger event has one
                key_id=signer.key_id,
                payload=payload,
                prev_hash=prev,
            ).sign(signer)
            env = env.received(self.clock())
            item = StoredEvent(env.stream, env.version, env.type, env.to_bytes())
            try:
                checked = verifier.check(item)
            except TamperError as e:
                raise PermissionRefused(f"refused before writing: {e.reason}") from e
            envelopes.append(env)
            stored.append(item)
            prev = verifier.head(stream)[1]
            rows.append(VerifiedRow.of(item, checked, prev))
        self.write(stored, side_writes)
        if mark is not None and stream != REGISTRY_STREAM and self._registry_unchanged(mark):
            self.load_cache.extend(stream, mark, after, rows)
        return envelopes

    def write(self, stored: Sequence[StoredEvent], side_writes: Sequence[SideWrite] = ()) -> None:
        """Store checked events and side rows in one transaction (through the group commit
        when there is one); return once they are durable."""
        if self.group_commit is not None:
            self.group_commit.append(stored, side_writes)
        else:
            self.store.append(stored, side_writes)

    def _expecting(self) -> Any:
        return nullcontext() if self.group_commit is None else self.group_commit.expecting()

    # ------------------------------------------------------ personal data, PINs
    def _applicant_secret(self, applicant_ref: str) -> bytes | None:
        return ApplicantKeys(self.store).secret(applicant_ref)

    def personal_data(self, f: AdministrativeFile) -> PersonalData:
        """The applicant's data, or every field ``[erased]`` once the applicant was forgotten."""
        secret = self._applicant_secret(f.applicant_ref)
        if secret is None:
            return PersonalData.erased()
        try:
            return unseal(secret, f.applicant_ref, f.applicant_sealed)
        except SealError:
            return PersonalData(ERASED, ERASED, ERASED, ERASED)

    def forget(self, applicant_ref: str) -> None:
        """Decree 13/2023 erasure: destroy the applicant's key. Events are untouched."""
        if self._applicant_secret(applicant_ref) is None:
            raise NotFound(f"applicant {applicant_ref} is unknown or already forgotten")
        ApplicantKeys(self.store).erase(applicant_ref)

    def check_pin(self, code: str, pin: str) -> bool:
        stored = FilePins(self.store).pin_hash(code)
        return stored is not None and pin_matches(pin, stored)
