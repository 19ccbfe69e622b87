"""Lookup PINs (mã tra cứu) printed on the receipt, stored only as keyed hashes, and the
per-code count of wrong PINs that locks a code against brute force (issue 16).

The hash lives in a side table, never in an event: bundles handed to inspectors must not carry
something a laptop could brute-force back into a citizen's PIN. A PIN is hashed keyed
(``hmac-sha256``): HMAC-SHA256 under the server's PIN pepper, a secret kept outside the
database (a file beside the signing keys), over a random salt, the file's code and the PIN. A
stolen database alone then gives no PIN back, however many of the 10^6 a laptop tries, and a
check costs microseconds, not a scrypt. Hashes made before the pepper existed (``scrypt$``,
salted scrypt) keep verifying.

``PinFailures`` counts PIN checks per code, for known and unknown codes alike (the same answer
for both), in the database, so every worker process sees the same count, and counts each one
before it runs (``attempt``): after ``FREE_TRIES`` wrong PINs the code is locked for a minute,
doubling with each wrong PIN after that up to a day (``lock_seconds``); a right PIN outside a
lockout clears the count, and an officer who reissues the PIN at the counter clears it too.
The count is written without waiting for the disk (``EventStore._execute(durable=False)``):
every lookup sees it at once, and a wrong PIN then costs one short statement rather than a WAL
flush (issue 19); a crash of the database server can forget the last fraction of a second of
counts, a guard loosened for a moment, never a record lost (nothing of the ledger is written so).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta

from ledger.encoding.canonical import format_instant, parse_instant
from ledger.store.events import EventStore, SideWrite, Statements
from signing import b64, unb64

_N, _R, _P = 2**12, 8, 1
_CONTEXT = b"hoso/pin/v1\x00"
KEYED = "hmac-sha256$"  # how a keyed hash begins
PEPPER_BYTES = 32
FREE_TRIES = 5
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 86_400


def hash_pin(pin: str, salt: bytes, *, code: str = "", pepper: bytes | None = None) -> str:
    """The stored form of a PIN: keyed (``pepper``: HMAC-SHA256 over salt, code and PIN), or,
    without a pepper, salted scrypt (the form before keyed PINs)."""
    if pepper is not None:
        digest = _keyed(pepper, salt, code, pin)
        return f"{KEYED}{b64(salt)}${b64(digest)}"
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def _keyed(pepper: bytes, salt: bytes, code: str, pin: str) -> bytes:
    message = _CONTEXT + salt + code.encode() + b"\x00" + pin.encode()
    return hmac.new(pepper, message, hashlib.sha256).digest()


def pin_matches(pin: str, stored: str, *, code: str = "", pepper: bytes | None = None) -> bool:
    """Whether ``pin`` is the PIN of ``stored``; a keyed hash never matches without the pepper."""
    try:
        scheme, *parts = stored.split("$")
        if scheme == "hmac-sha256":
            salt, digest = parts
            if pepper is None:
                return False
            return hmac.compare_digest(_keyed(pepper, unb64(salt), code, pin), unb64(digest))
        if scheme != "scrypt":
            return False
        n, r, p, salt, digest = parts
        got = hashlib.scrypt(pin.encode(), salt=unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got, unb64(digest))


def new_pepper() -> bytes:
    return secrets.token_bytes(PEPPER_BYTES)


def pepper_id(pepper: bytes) -> str:
    """What the database keeps of the pepper (never the pepper): enough to tell it is the one
    the ledger's PINs were made with."""
    return hashlib.sha256(b"hoso/pin-pepper-id\x00" + pepper).hexdigest()[:32]


def lock_seconds(failures: int) -> int:
    """How long a code stays locked after its ``failures``-th wrong PIN in a row (0: not)."""
    if failures < FREE_TRIES:
        return 0
    return min(FIRST_LOCK_SECONDS << min(failures - FREE_TRIES, 20), MAX_LOCK_SECONDS)


_COUNT = (
    "INSERT INTO hoso_pin_failures (file_code, failures, locked_until) {} "
    "ON CONFLICT (file_code) DO UPDATE "
    "SET failures = hoso_pin_failures.failures + 1, locked_until = CASE "
    "WHEN hoso_pin_failures.failures + 1 >= ? THEN ? ELSE NULL END "
    "WHERE hoso_pin_failures.locked_until IS NULL "
    "OR hoso_pin_failures.locked_until <= ? RETURNING file_code, failures"
)
"""One more failure on each code not locked (the values: a row or a SELECT of rows); a code
locked at ``now`` is left as it is and returns no row."""


def _first_lock(now: datetime) -> str:
    return format_instant(now + timedelta(seconds=FIRST_LOCK_SECONDS))


def _locked_until(run: Statements, codes: list[str], now: datetime) -> dict[str, datetime]:
    """Until when each of ``codes`` (refused as locked) stays locked."""
    marks = ", ".join("?" for _ in codes)
    rows = run(
        f"SELECT file_code, locked_until FROM hoso_pin_failures WHERE file_code IN ({marks})",  # noqa: S608
        tuple(codes),
    )
    found = {str(r["file_code"]): r["locked_until"] for r in rows}
    fallback = now + timedelta(seconds=1)
    return {c: parse_instant(str(found[c])) if found.get(c) else fallback for c in codes}


def _lengthen(run: Statements, code: str, failures: int, now: datetime) -> None:
    """A later wrong PIN after the first lock: a longer lock (``lock_seconds``)."""
    seconds = lock_seconds(failures)
    if seconds > FIRST_LOCK_SECONDS:
        run(
            "UPDATE hoso_pin_failures SET locked_until = ? WHERE file_code = ? AND failures = ?",
            (format_instant(now + timedelta(seconds=seconds)), code, failures),
        )


class PinFailures:
    """The wrong PINs of each code in a row, and until when it is locked
    (``hoso_pin_failures``)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def locked_until(self, code: str) -> datetime | None:
        found = self.store._query(
            "SELECT locked_until FROM hoso_pin_failures WHERE file_code = ?", (code,)
        )
        value = found[0]["locked_until"] if found else None
        return parse_instant(str(value)) if value else None

    def attempt(self, code: str, now: datetime) -> datetime | None:
        """Count one lookup that needs a PIN check, BEFORE the check, in one atomic statement:
        None when it may go on, else until when the code is locked (nothing counted). The
        attempt that reaches ``FREE_TRIES`` locks the code at once, as if it will fail (a
        right PIN then clears it), so guesses sent together get no more than ``FREE_TRIES``
        PIN checks between them, however many arrive at the same moment."""
        return self.attempts([(code, now)])[0]

    def attempts(self, tries: Sequence[tuple[str, datetime]]) -> list[datetime | None]:
        """``attempt`` for each (code, now) in order, in one transaction: the lookups waiting
        at one moment share a commit (``api.http.gathered``). Each code's count and lock is
        atomic, and the same code twice in ``tries`` counts twice (one statement each). On
        PostgreSQL, distinct codes are counted by one statement, at the batch's latest
        ``now`` (its lookups arrived within milliseconds of each other)."""
        codes = [code for code, _ in tries]
        with self.store._statements(durable=False) as run:
            if self.store.dialect == "postgresql" and 1 < len(set(codes)) == len(codes):
                return self._attempt_many(run, codes, max(now for _, now in tries))
            return [self._attempt(run, code, now) for code, now in tries]

    @staticmethod
    def _attempt_many(run: Statements, codes: list[str], now: datetime) -> list[datetime | None]:
        """``_attempt`` of distinct codes in one statement (PostgreSQL)."""
        rows = run(
            _COUNT.format("SELECT code, 1, NULL FROM unnest(?::text[]) AS code"),
            (codes, FREE_TRIES, _first_lock(now), format_instant(now)),
        )
        counted = {str(r["file_code"]): int(r["failures"]) for r in rows}
        locked = [c for c in codes if c not in counted]  # refused without a check, not counted
        until = _locked_until(run, locked, now) if locked else {}
        for code, failures in counted.items():
            _lengthen(run, code, failures, now)
        return [until.get(c) for c in codes]

    @staticmethod
    def _attempt(run: Statements, code: str, now: datetime) -> datetime | None:
        rows = run(
            _COUNT.format("VALUES (?, 1, NULL)"),
            (code, FREE_TRIES, _first_lock(now), format_instant(now)),
        )
        if not rows:  # locked: this one is refused without a check, and not counted
            return _locked_until(run, [code], now)[code]
        _lengthen(run, code, int(rows[0]["failures"]), now)
        return None

    @staticmethod
    def clearing(code: str) -> SideWrite:
        """The write that clears the code's count (a PIN reissued at the counter)."""
        return SideWrite("DELETE FROM hoso_pin_failures WHERE file_code = ?", (code,))

    def clear(self, code: str) -> None:
        """A right PIN outside a lockout, or a PIN reissued at the counter: a fresh start."""
        self.store._execute("DELETE FROM hoso_pin_failures WHERE file_code = ?", (code,))


class VerifiedPins:
    """A bounded memory of (code, PIN) pairs whose scrypt already matched, in this process.

    A repeat lookup with the right PIN skips the scrypt; anything else (a wrong PIN, an unknown
    code, a pair not seen yet or evicted) pays one scrypt as before. So the only fast answers are
    200s, which the answer itself already reveals: no new enumeration oracle. The pairs are kept
    as HMAC-SHA256 under a random per-process secret, over the code, the PIN and the stored hash:
    no PIN is held in clear, the memory is useless to another process, and a re-issued PIN (a new
    stored hash) never matches an old pair. At most ``capacity`` pairs, least recently used out.
    """

    def __init__(
        self, capacity: int = 65_536, secret: bytes | None = None, pepper: bytes | None = None
    ) -> None:
        if capacity < 1:
            raise ValueError("the PIN cache needs room for at least one pair")
        self.capacity = capacity
        self.pepper = pepper
        # An unknown code is checked against this hash, the same work as a known code's.
        self.dummy = hash_pin("000000", b"hoso-no-such-file", pepper=pepper)
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._pairs: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, code: str, pin: str, stored: str) -> bytes:
        message = b"\x00".join((code.encode(), pin.encode(), stored.encode()))
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def known(self, code: str, pin: str, stored: str) -> bool:
        """True if this exact pair matched before (and is still remembered): no scrypt."""
        key = self._key(code, pin, stored)
        with self._lock:
            if key not in self._pairs:
                return False
            self._pairs.move_to_end(key)
            return True

    def check(self, code: str, pin: str, stored: str) -> bool:
        """``pin_matches`` with the memory in front: a remembered pair is True at once, any
        other pays one scrypt; a match is remembered, a mismatch never is."""
        return self.known(code, pin, stored) or self.verify(code, pin, stored)

    def verify(self, code: str, pin: str, stored: str) -> bool:
        """One scrypt, whatever is remembered; a match is remembered, a mismatch never is."""
        if not pin_matches(pin, stored, code=code, pepper=self.pepper):
            return False
        key = self._key(code, pin, stored)
        with self._lock:
            self._pairs[key] = None
            self._pairs.move_to_end(key)
            while len(self._pairs) > self.capacity:
                self._pairs.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._pairs)
