"""Personal data (dữ liệu cá nhân) sealed per applicant with AES-256-GCM.

The Law on Personal Data Protection (Luật Bảo vệ dữ liệu cá nhân, No. 91/2025/QH15, adopted
26/6/2025, in force from 1/1/2026, replacing Decree 13/2023/NĐ-CP) gives the data subject the
right to have their data erased (art. 9(1)(l), art. 16).

The envelope carries only an applicant reference and the sealed bytes; the per-applicant secret
lives in a side table, apart from the events. The signature covers the ciphertext, so destroying
the secret (``forget``) erases the person while every signature and chain link still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.encoding.canonical import canonical_bytes, parse_canonical
from ledger.errors import SealError
from signing import b64, unb64
from signing.errors import VerificationError

ERASED = "[erased]"
_AAD = b"hoso/personal/v1\x00"
_FIELDS = ("full_name", "id_number", "phone", "address")
NONCE_BYTES = 12
SECRET_BYTES = 32


@dataclass(frozen=True)
class PersonalData:
    full_name: str
    id_number: str
    phone: str
    address: str

    @classmethod
    def erased(cls) -> PersonalData:
        return cls(ERASED, ERASED, ERASED, ERASED)

    @property
    def is_erased(self) -> bool:
        return self.full_name == ERASED


def seal(secret: bytes, nonce: bytes, applicant_ref: str, data: PersonalData) -> str:
    """Base64 of ``nonce || AES-GCM(secret, nonce, canonical(data), aad=context||ref)``."""
    if len(secret) != SECRET_BYTES or len(nonce) != NONCE_BYTES:
        raise SealError("an applicant secret is 32 bytes and a nonce 12")
    plaintext = canonical_bytes({name: getattr(data, name) for name in _FIELDS})
    aad = _AAD + applicant_ref.encode()
    return b64(nonce + AESGCM(secret).encrypt(nonce, plaintext, aad))


def unseal(secret: bytes, applicant_ref: str, sealed: str) -> PersonalData:
    try:
        raw = unb64(sealed)
        nonce, ciphertext = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        plaintext = AESGCM(secret).decrypt(nonce, ciphertext, _AAD + applicant_ref.encode())
    except (InvalidTag, VerificationError, ValueError) as e:
        raise SealError(f"personal data of {applicant_ref} does not open with its key") from e
    doc = parse_canonical(plaintext)
    if not isinstance(doc, dict) or set(doc) != set(_FIELDS):
        raise SealError(f"personal data of {applicant_ref} has unexpected fields")
    return PersonalData(**{name: str(doc[name]) for name in _FIELDS})
