"""What a receipt issues beside the file's first event (giấy tiếp nhận và hẹn trả kết quả): the
file code from the unit's daily counter, the applicant's key (their data is sealed with it, and
erased by destroying it) and the PIN the citizen looks the file up with.

The applicant's key and the PIN hash are side rows written in the receipt's own transaction; the
code is one atomic increment, never reissued.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.codes import check_unit_code, format_file_code
from ledger.chain.personal import ERASED, PersonalData, unseal
from ledger.encoding.canonical import format_instant
from ledger.encoding.envelope import Envelope
from ledger.errors import NotFound, SealError
from ledger.store.events import EventStore, KeyRead, SideWrite
from ledger.store.keystore import ApplicantKeyStore, open_key_store
from ledger.store.pins import PinFailures, hash_pin, pin_matches
from ledger.store.side_tables import CodeCounters, FilePins


@dataclass(frozen=True)
class Receipt:
    """What the receiving counter prints: the code, the PIN (shown once), the appointment; and
    the envelopes the receipt stored."""

    code: str
    pin: str
    applicant_ref: str
    appointment_at: datetime
    envelopes: tuple[Envelope, ...] = ()


@dataclass(frozen=True)
class Applicant:
    """The applicant's reference and key (a new key is stored at once, in the key store)."""

    ref: str
    secret: bytes


class Receipts:
    """``random_bytes``: the source of applicant references, keys, nonces and PIN salts."""

    def __init__(
        self,
        store: EventStore,
        random_bytes: Callable[[int], bytes],
        pin_pepper: bytes | None = None,
        keys: ApplicantKeyStore | None = None,
    ) -> None:
        """``keys``: the applicants' key store (default: the one beside ``store``)."""
        self.store = store
        self.random = random_bytes
        self.pin_pepper = pin_pepper
        self.keys = open_key_store(store) if keys is None else keys

    def next_code(self, unit: str, day: date) -> str:
        """The next code of the unit's daily counter; one atomic increment, never reissued."""
        check_unit_code(unit)
        return format_file_code(unit, day, CodeCounters(self.store).next(unit, day.isoformat()))

    def applicant(self, applicant_ref: str | None, at: datetime) -> Applicant:
        """A new applicant (``applicant_ref`` None: a fresh reference and key, stored now in
        the key store, before the receipt), or a known one."""
        if applicant_ref is None:
            ref = "ap-" + self.random(12).hex()
            secret = self.random(32)
            self.keys.add([(ref, secret, format_instant(at))])
            return Applicant(ref, secret)
        known = self.applicant_secret(applicant_ref)
        if known is None:
            raise NotFound(f"applicant {applicant_ref} is unknown or was forgotten")
        return Applicant(applicant_ref, known)

    def pin(self, code: str) -> tuple[str, SideWrite]:
        """A new PIN for the file (shown once) and the side row storing its keyed hash."""
        pin = f"{secrets.randbelow(10**6):06d}"
        write = FilePins.adding(code, self.pin_hash(code, pin))
        return pin, write

    def pin_hash(self, code: str, pin: str) -> str:
        return hash_pin(pin, self.random(16), code=code, pepper=self.pin_pepper)

    def check_pin(self, code: str, pin: str) -> bool:
        stored = FilePins(self.store).pin_hash(code)
        return stored is not None and self.pin_matches(code, pin, stored)

    def pin_matches(self, code: str, pin: str, stored: str) -> bool:
        return pin_matches(pin, stored, code=code, pepper=self.pin_pepper)

    def reissued_pin(self, code: str) -> tuple[str, list[SideWrite]]:
        """A new PIN for a known file (shown once), and the side rows of its reissue: the new
        hash in place of the old, the count of wrong PINs cleared. Written with the signed
        ``PinReissued`` event, in its transaction."""
        if FilePins(self.store).pin_hash(code) is None:
            raise NotFound(f"no file {code}")
        pin = f"{secrets.randbelow(10**6):06d}"
        return pin, [FilePins.replacing(code, self.pin_hash(code, pin)), PinFailures.clearing(code)]

    # ------------------------------------------------------------ personal data
    def applicant_secret(self, applicant_ref: str) -> bytes | None:
        return self.keys.secret(applicant_ref)

    def key_read(self, applicant_ref: str) -> KeyRead | None:
        """The applicant's key to read with a command's file (None: read apart, if needed)."""
        return self.keys.key_read(applicant_ref)

    def applicant_secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        """The keys of those of ``refs`` not forgotten, in one read."""
        return self.keys.secrets(refs)

    def personal_data(self, applicant_ref: str, sealed: str) -> PersonalData:
        """The applicant's data, or every field ``[erased]`` once the applicant was forgotten."""
        secret = self.applicant_secret(applicant_ref)
        if secret is None:
            return PersonalData.erased()
        try:
            return unseal(secret, applicant_ref, sealed)
        except SealError:
            return PersonalData(ERASED, ERASED, ERASED, ERASED)

    def forget(self, applicant_ref: str) -> None:
        """Erasure (Law 91/2025/QH15 on personal data): destroy the applicant's key, beyond
        recovery from the key store's files. Events are untouched."""
        if not self.keys.erase(applicant_ref):
            raise NotFound(f"applicant {applicant_ref} is unknown or already forgotten")
