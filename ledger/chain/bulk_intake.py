"""Bulk intake (nhận hàng loạt): many files' client-signed envelopes checked and stored at once.

Per file, the very checks of ``Intake.submit`` in the same order with the same error types:
canonical form, one stream per submission, idempotent replay of what is stored, the file's head
(``StaleHead``), origin, clock skew, chain link, key valid for that actor at that instant,
signature, role, and the domain rule by replaying the command. What differs is how:

* the stored events of every file of the batch are read in one query, and so are the keys of
  their applicants, which check that free text is sealed (``sealed_text.prefetched``);
* a file this process verified before, whose stored rows are byte-identical to the rows it
  verified, is not verified again: its aggregate comes from a bounded cache (``VerifiedFiles``),
  taken out by one batch at a time and put back after that batch's write. A row that differs
  (or a file not cached) is verified from its first event, exactly as ``Ledger.load`` would;
* the Ed25519 signatures of the whole batch are verified by a thread pool (``cryptography``
  releases the GIL while it verifies) while this thread decodes and replays the rest;
* the accepted files are stored in ONE transaction (``EventStore.append_batch``): the events
  in one statement, each side-table statement once over all its rows. If that transaction
  fails on a conflict (a concurrent writer took a version, a side row already exists), each
  accepted file is then stored in its own transaction, so only the conflicting file fails.

A file named by two submissions of one batch: the first is processed, every later one is
refused (``Refused``) and nothing of it is stored. Send a file's envelopes in one submission.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.file import AdministrativeFile
from ledger.chain.bulk_checks import FreshVerifier, applicant_named, bad_signatures
from ledger.chain.ports import IntakeLedger
from ledger.chain.sealed_text import TextSealer, prefetched
from ledger.chain.submission import Submitted, replay_submitted
from ledger.chain.verify import ChainVerifier, SignatureCheck
from ledger.encoding.envelope import GENESIS_HASH, Envelope, decode
from ledger.errors import (
    ConflictError,
    LedgerError,
    PermissionRefused,
    Refused,
    StaleHead,
    StoreError,
    TamperError,
)
from ledger.store.events import SideWrite, group_side_writes
from signing.errors import BadSignature, VerificationError
from signing.keys import verify_signature
from signing.registry import KeyRegistry

CHUNK = 128  # signatures per task handed to a verifying thread
CACHE_FILES = 10_000

Clock = datetime | Callable[[Envelope], datetime]
"""The server's receipt time: one instant, or one per envelope (a replay of recorded traffic)."""
Opening = Callable[[str, Envelope], Sequence[SideWrite]]
"""Side rows for a file the batch opens (its receipt): called before that file's checks."""


@dataclass(frozen=True)
class FileOutcome:
    """One submission's result: what was stored (or already was), or why nothing was."""

    code: str
    submitted: tuple[Submitted, ...] = ()
    error: LedgerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Known:
    rows: tuple[bytes, ...]
    file: AdministrativeFile
    head_hash: str


class VerifiedFiles:
    """Files this process verified: their stored rows and their aggregate, least recently used
    dropped first. ``take`` hands an aggregate to one caller only (never shared)."""

    def __init__(self, capacity: int = CACHE_FILES) -> None:
        self.capacity = capacity
        self._files: OrderedDict[str, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, code: str, rows: tuple[bytes, ...]) -> tuple[AdministrativeFile, str] | None:
        """The aggregate and head hash verified from exactly ``rows``, removed from the cache."""
        with self._lock:
            known = self._files.pop(code, None)
        if known is None or known.rows != rows:
            return None
        return known.file, known.head_hash

    def put(self, code: str, rows: tuple[bytes, ...], f: AdministrativeFile, head: str) -> None:
        with self._lock:
            self._files[code] = _Known(rows, f, head)
            self._files.move_to_end(code)
            while len(self._files) > self.capacity:
                self._files.popitem(last=False)

    def __len__(self) -> int:
        return len(self._files)


@dataclass
class _File:
    """One submission while the batch is checked."""

    code: str
    envelopes: list[Envelope]
    rows: list[StoredEvent] = field(default_factory=list)
    done: list[Submitted] = field(default_factory=list)
    side: Sequence[SideWrite] = ()
    checks: list[int] = field(default_factory=list)  # indices into the batch's checks
    signers: list[tuple[bool, int]] = field(default_factory=list)  # per check: (stored, version)
    failure: tuple[int, LedgerError] | None = None  # (checks to pass before it counts, error)
    accepted: list[tuple[Envelope, bytes]] = field(default_factory=list)
    file: AdministrativeFile | None = None
    head: str = GENESIS_HASH
    error: LedgerError | None = None


class BulkIntake:
    """The batch path of ``Intake`` (its cache and verifying threads live as long as it does)."""

    def __init__(
        self, ledger: IntakeLedger, *, max_skew: timedelta, workers: int | None = None
    ) -> None:
        self.ledger = ledger
        self.max_skew = max_skew
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.cache = VerifiedFiles()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor | None:
        if self.workers <= 1:
            return None
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="hoso-verify")
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # ------------------------------------------------------------------ the batch
    def submit_many(
        self,
        submissions: Sequence[Sequence[bytes]],
        *,
        now: Clock,
        opening: Opening | None = None,
    ) -> list[FileOutcome]:
        files: list[_File | FileOutcome] = []
        seen: set[str] = set()
        for signed in submissions:
            try:
                envelopes = [decode(data) for data in signed]
            except LedgerError as e:
                files.append(FileOutcome("", error=e))
                continue
            if not envelopes:
                files.append(FileOutcome(""))
                continue
            code = envelopes[0].stream
            if any(e.stream != code for e in envelopes):
                files.append(FileOutcome(code, error=Refused("a submission holds one file")))
            elif code in seen:
                refusal = Refused(f"file {code} appears twice in this batch: send it once")
                files.append(FileOutcome(code, error=refusal))
            else:
                seen.add(code)
                files.append(_File(code, envelopes))
        pending = [f for f in files if isinstance(f, _File)]
        if not pending:
            return [self._outcome(f) for f in files]
        stored = self.ledger.store.streams([f.code for f in pending])
        registry = self.ledger.registry()  # once per batch
        sealer = self._sealer(stored, pending)
        checks: list[SignatureCheck] = []
        futures: list[Future[list[int]]] = []
        pool = self._executor()
        sent = 0
        for f in pending:
            f.rows = stored.get(f.code, [])
            self._check_file(f, registry, checks, now, opening, sealer)
            while pool is not None and len(checks) - sent >= CHUNK:
                futures.append(pool.submit(bad_signatures, checks[sent : sent + CHUNK], sent))
                sent += CHUNK
        bad: set[int] = set()
        if pool is not None and sent < len(checks):
            futures.append(pool.submit(bad_signatures, checks[sent:], sent))
        elif pool is None:
            bad.update(bad_signatures(checks, 0))
        for future in futures:
            bad.update(future.result())
        for f in pending:
            self._settle(f, checks, bad)
        self._store([f for f in pending if f.error is None and f.accepted])
        return [self._outcome(f) for f in files]

    def _outcome(self, f: _File | FileOutcome) -> FileOutcome:
        if isinstance(f, FileOutcome):
            return f
        if f.error is not None:
            return FileOutcome(f.code, error=f.error)
        return FileOutcome(
            f.code, tuple(f.done) + tuple(Submitted(env, False) for env, _ in f.accepted)
        )

    def _sealer(self, stored: dict[str, list[StoredEvent]], pending: list[_File]) -> TextSealer:
        """The batch's check of sealed text: every file's applicant key read in one query."""
        named = (applicant_named(stored.get(f.code, []), f.envelopes) for f in pending)
        base = self.ledger.sealer
        keys = prefetched(filter(None, named), self.ledger.applicant_secrets, base.secret_of)
        return TextSealer(keys, base.random)

    # ------------------------------------------------------------------ one file
    def _check_file(
        self,
        f: _File,
        registry: KeyRegistry,
        checks: list[SignatureCheck],
        now: Clock,
        opening: Opening | None,
        sealer: TextSealer,
    ) -> None:
        by_version = {s.originator_version: s for s in f.rows}
        fresh: list[Envelope] = []
        for env in f.envelopes:
            already = by_version.get(env.version)
            if already is not None and not fresh:
                before = decode(already.state)
                if before.signed_bytes() != env.signed_bytes():
                    f.error = StaleHead(
                        f"file {f.code} already has a different version {env.version}"
                    )
                    return
                f.done.append(Submitted(before, True))
                continue
            fresh.append(env)
        if not fresh:
            return
        ledger = self.ledger
        verifier = FreshVerifier(ledger.origin, ledger.authority_key, registry)
        try:
            if not f.rows and opening is not None and fresh[0].version == 1:
                f.side = opening(f.code, fresh[0])
            head_version, head_hash = self._head(f, verifier, checks)
        except LedgerError as e:
            f.failure = (len(f.checks), e)
            return
        first = fresh[0]
        if first.version != head_version + 1 or first.prev_hash != head_hash:
            f.failure = (
                len(f.checks),
                StaleHead(
                    f"file {f.code} is at version {head_version}: the envelope for version "
                    f"{first.version} was prepared on an older head"
                ),
            )
            return
        current: Any = f.file
        skew = self.max_skew
        for env in fresh:
            at = now(env) if callable(now) else now
            if env.unsigned.origin != ledger.origin:
                refusal = Refused(f"envelope is for ledger {env.unsigned.origin!r}")
                f.failure = (len(f.checks), refusal)
                return
            if abs(env.occurred_at - at) > skew:
                f.failure = (
                    len(f.checks),
                    Refused(
                        f"occurred_at {env.unsigned.occurred_at} is more than "
                        f"{int(skew.total_seconds())} s from the server's clock"
                    ),
                )
                return
            received = env.received(at)
            try:
                checked, data = verifier.check_fresh(received)
            except TamperError as e:
                refused = PermissionRefused(e.reason)
                refused.__cause__ = e
                f.failure = (len(f.checks), refused)
                return
            self._defer(f, checks, checked.signature, False, env.version)
            try:
                current = replay_submitted(self.ledger, current, env, checked.event, sealer)
            except LedgerError as e:
                f.failure = (len(f.checks), e)
                return
            f.accepted.append((received, data))
        f.file = current
        f.head = verifier.head(f.code)[1]

    def _head(
        self, f: _File, verifier: ChainVerifier, checks: list[SignatureCheck]
    ) -> tuple[int, str]:
        """The file's verified head (and aggregate in ``f.file``): cached, or checked now."""
        if not f.rows:
            return 0, GENESIS_HASH
        rows = tuple(r.state for r in f.rows)
        cached = self.cache.take(f.code, rows)
        if cached is not None:
            f.file, head = cached
            version = f.rows[-1].originator_version
            verifier.heads[f.code] = (version, head)
            return version, head
        aggregate: Any = None
        for row in f.rows:
            checked = verifier.check(row, verify=False)
            self._defer(f, checks, checked.signature, True, row.originator_version)
            aggregate = checked.event.mutate(aggregate)
        assert isinstance(aggregate, AdministrativeFile)
        f.file = aggregate
        return verifier.head(f.code)

    @staticmethod
    def _defer(
        f: _File, checks: list[SignatureCheck], check: SignatureCheck | None, stored: bool, v: int
    ) -> None:
        if check is None:
            return
        f.checks.append(len(checks))
        f.signers.append((stored, v))
        checks.append(check)

    def _settle(self, f: _File, checks: list[SignatureCheck], bad: set[int]) -> None:
        """The file's error: its first bad signature if it comes before its first other failure
        (the order a one-by-one check would meet them in), else that failure."""
        if f.error is not None:
            return
        limit = f.failure[0] if f.failure is not None else len(f.checks)
        for i in range(limit):
            if f.checks[i] in bad:
                f.error = self._signature_error(f, i, checks[f.checks[i]])
                return
        if f.failure is not None:
            f.error = f.failure[1]

    @staticmethod
    def _signature_error(f: _File, i: int, check: SignatureCheck) -> LedgerError:
        stored, version = f.signers[i]
        cause: VerificationError = BadSignature("Ed25519 signature does not verify")
        try:
            verify_signature(*check)
        except VerificationError as e:
            cause = e
        tamper = TamperError(f.code, version, str(cause))
        tamper.__cause__ = cause
        if stored:
            return tamper
        refused = PermissionRefused(tamper.reason)
        refused.__cause__ = tamper
        return refused

    # ------------------------------------------------------------------ writing
    def _store(self, accepted: list[_File]) -> None:
        if not accepted:
            return
        store = self.ledger.store
        try:
            store.append_batch(
                [_row(env, data) for f in accepted for env, data in f.accepted],
                group_side_writes([w for f in accepted for w in f.side]),
            )
        except ConflictError:
            for f in accepted:  # one transaction each: only the conflicting file fails
                try:
                    store.append_batch(
                        [_row(env, data) for env, data in f.accepted], group_side_writes(f.side)
                    )
                except (ConflictError, StoreError) as e:
                    f.error = e
        for f in accepted:
            if f.error is None and f.file is not None:
                rows = tuple(r.state for r in f.rows) + tuple(data for _, data in f.accepted)
                self.cache.put(f.code, rows, f.file, f.head)


def _row(env: Envelope, data: bytes) -> StoredEvent:
    return StoredEvent(env.stream, env.version, env.type, data)
