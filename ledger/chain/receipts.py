"""What a receipt issues beside the file's first event (giấy tiếp nhận và hẹn trả kết quả): the
file code from the unit's daily counter, the applicant's key (their data is sealed with it, and
erased by destroying it) and the PIN the citizen looks the file up with.

The applicant's key and the PIN hash are side rows written in the receipt's own transaction; the
code is one atomic increment, never reissued.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from domain.codes import check_unit_code, format_file_code
from ledger.chain.personal import ERASED, PersonalData, unseal
from ledger.encoding.canonical import format_instant
from ledger.encoding.envelope import Envelope
from ledger.errors import NotFound, SealError
from ledger.store.events import EventStore, SideWrite
from ledger.store.pins import hash_pin, pin_matches
from ledger.store.side_tables import ApplicantKeys, CodeCounters, FilePins


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
    """The applicant's reference and key, and the side row storing a new one (else None)."""

    ref: str
    secret: bytes
    write: SideWrite | None


class Receipts:
    """``random_bytes``: the source of applicant references, keys, nonces and PIN salts."""

    def __init__(self, store: EventStore, random_bytes: Callable[[int], bytes]) -> None:
        self.store = store
        self.random = random_bytes

    def next_code(self, unit: str, day: date) -> str:
        """The next code of the unit's daily counter; one atomic increment, never reissued."""
        check_unit_code(unit)
        return format_file_code(unit, day, CodeCounters(self.store).next(unit, day.isoformat()))

    def applicant(self, applicant_ref: str | None, at: datetime) -> Applicant:
        """A new applicant (``applicant_ref`` None: a fresh reference and key), or a known one."""
        if applicant_ref is None:
            ref = "ap-" + self.random(12).hex()
            secret = self.random(32)
            write = ApplicantKeys.adding(ref, secret, format_instant(at))
            return Applicant(ref, secret, write)
        known = self.applicant_secret(applicant_ref)
        if known is None:
            raise NotFound(f"applicant {applicant_ref} is unknown or was forgotten")
        return Applicant(applicant_ref, known, None)

    def pin(self, code: str) -> tuple[str, SideWrite]:
        """A new PIN for the file (shown once) and the side row storing its salted hash."""
        pin = f"{secrets.randbelow(10**6):06d}"
        write = FilePins.adding(code, hash_pin(pin, self.random(16)))
        return pin, write

    def check_pin(self, code: str, pin: str) -> bool:
        stored = FilePins(self.store).pin_hash(code)
        return stored is not None and pin_matches(pin, stored)

    # ------------------------------------------------------------ personal data
    def applicant_secret(self, applicant_ref: str) -> bytes | None:
        return ApplicantKeys(self.store).secret(applicant_ref)

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
        """Decree 13/2023 erasure: destroy the applicant's key. Events are untouched."""
        if self.applicant_secret(applicant_ref) is None:
            raise NotFound(f"applicant {applicant_ref} is unknown or already forgotten")
        ApplicantKeys(self.store).erase(applicant_ref)
