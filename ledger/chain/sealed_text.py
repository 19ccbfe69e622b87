"""Free text sealed like personal data (issue 16, point 3; Law 91/2025/QH15 on personal data).

An officer may type anything into a note, a reason, a document name or a list of missing
papers (văn bản tự do): an ID number, a phone, a name. So every such text is stored sealed with
the applicant's key (AES-256-GCM, the same key as their personal fields): forgetting the
applicant (``hoso forget``) makes it unreadable everywhere at once, while the envelope, its
signature, the hash chain, the Merkle leaf and every proof commit to the sealed form and keep
verifying. Sealing happens once, when the server makes the event (server-signed commands, and
the envelopes it prepares for client signatures); a client-signed envelope must hold every free
text sealed under its file's key (``check_sealed``), else it is refused.

A sealed text is ``sealed:<applicant ref>:<base64url(nonce || ciphertext+tag)>``, with the
reference in the associated data, so it names the key that opens it and cannot be moved to
another applicant's file. Empty text stays empty (nothing to erase). The domain treats a sealed
text as opaque (``domain.text``): it was checked as typed before it was sealed, and a replay of
stored events (the audit, a client's submission) sees only the sealed form, and gives it back
unchanged. Events written before sealing existed hold their text in clear, which no erasure
reaches: ``reveal`` shows them as they are.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.text import SEALED_PREFIX, is_sealed
from ledger.chain.personal import ERASED, NONCE_BYTES, SECRET_BYTES
from ledger.errors import Refused, SealError

_AAD = b"hoso/text/v1\x00"
FREE_TEXT: Mapping[str, tuple[str, ...]] = {
    "FileReceived": ("documents",),
    "FileNotAccepted": ("documents", "reason"),
    "FileHandedOff": ("note",),
    "SupplementRequested": ("items", "reason"),
    "SupplementReceived": ("items",),
    "FeeRequested": ("description",),
    "FileRefused": ("reason",),
    "FileWithdrawn": ("reason",),
    "ProcessingStopped": ("reason",),
    "ApologyIssued": ("reason",),
}
"""The fields of each event type that people type freely: sealed for erasure."""

SecretOf = Callable[[str], "bytes | None"]
"""The applicant's key by reference, None once forgotten (``Receipts.applicant_secret``)."""

E = TypeVar("E")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_text(secret: bytes, nonce: bytes, applicant_ref: str, text: str) -> str:
    """``text`` sealed under the applicant's key ("" stays "")."""
    if not text:
        return text
    if len(secret) != SECRET_BYTES or len(nonce) != NONCE_BYTES:
        raise SealError("an applicant secret is 32 bytes and a nonce 12")
    sealed = AESGCM(secret).encrypt(nonce, text.encode("utf-8"), _AAD + applicant_ref.encode())
    return f"{SEALED_PREFIX}{applicant_ref}:{_b64(nonce + sealed)}"


def sealed_ref(value: str) -> str | None:
    """The applicant reference a sealed text names, or None for a text in clear."""
    if not is_sealed(value):
        return None
    return value[len(SEALED_PREFIX) :].split(":", 1)[0]


def open_text(secret: bytes, value: str) -> str:
    """The text in clear; ``SealError`` if ``value`` is not sealed or not under this key."""
    ref = sealed_ref(value)
    if ref is None:
        raise SealError("the text is not sealed")
    try:
        raw = _unb64(value.rsplit(":", 1)[1])
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        plain = AESGCM(secret).decrypt(nonce, sealed, _AAD + ref.encode())
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError) as e:
        raise SealError(f"a text of {ref} does not open with its key") from e


def reveal(value: str | None, secret_of: SecretOf) -> str | None:
    """What a reader with the right to see it is shown: the text in clear while the applicant's
    key exists, ``[erased]`` after ``forget`` (or for a sealed text that does not open), a text
    written in clear before sealing existed as it is."""
    if value is None:
        return None
    ref = sealed_ref(value)
    if ref is None:
        return value
    secret = secret_of(ref)
    if secret is None:
        return ERASED
    try:
        return open_text(secret, value)
    except SealError:
        return ERASED


def reveal_all(values: Iterable[str], secret_of: SecretOf) -> tuple[str, ...]:
    return tuple(reveal(v, secret_of) or "" for v in values)


def prefetched(
    refs: Iterable[str],
    secrets_of: Callable[[list[str]], Mapping[str, bytes]],
    secret_of: SecretOf,
) -> SecretOf:
    """``secret_of`` for a batch: the keys of ``refs`` read first in one query
    (``secrets_of``: those not forgotten), then given from memory (a forgotten one as None);
    a reference not among ``refs`` is asked of ``secret_of`` as before."""
    asked = sorted(set(refs))
    found = secrets_of(asked) if asked else {}
    known = set(asked)

    def lookup(ref: str) -> bytes | None:
        return found.get(ref) if ref in known else secret_of(ref)

    return lookup


def remembering(secret_of: SecretOf) -> SecretOf:
    """``secret_of`` asked at most once per reference (for one answer's many texts)."""
    seen: dict[str, bytes | None] = {}

    def lookup(ref: str) -> bytes | None:
        if ref not in seen:
            seen[ref] = secret_of(ref)
        return seen[ref]

    return lookup


def _map_text(event: E, fields: tuple[str, ...], fn: Callable[[str], str]) -> E:
    changes: dict[str, Any] = {}
    for name in fields:
        value = getattr(event, name)
        changes[name] = tuple(fn(v) for v in value) if isinstance(value, tuple) else fn(value)
    return dataclasses.replace(event, **changes)  # type: ignore[type-var]


def seal_event(
    event: E, applicant_ref: str, secret: bytes, random_bytes: Callable[[int], bytes]
) -> E:
    """``event`` with each free text sealed under the applicant's key. A text that already has
    the sealed form must be one of this applicant's that opens (else ``Refused``): typed in that
    form, it would be kept as it is and escape erasure."""
    fields = FREE_TEXT.get(type(event).__name__)
    if not fields:
        return event

    def one(text: str) -> str:
        if not is_sealed(text):
            return seal_text(secret, random_bytes(NONCE_BYTES), applicant_ref, text)
        try:
            if sealed_ref(text) == applicant_ref:
                open_text(secret, text)
                return text
        except SealError:
            pass
        raise Refused(
            f"{type(event).__name__}: a text in the form of a sealed text that is not one of "
            "this file's; type the text itself"
        )

    return _map_text(event, fields, one)


def check_sealed(event: Any, applicant_ref: str, secret: bytes | None) -> None:
    """``Refused`` unless every non-empty free text of ``event`` is sealed under the key of
    ``applicant_ref`` (what a client-signed envelope must hold)."""
    fields = FREE_TEXT.get(type(event).__name__, ())
    for name in fields:
        value = getattr(event, name)
        for text in value if isinstance(value, tuple) else (value,):
            if not text:
                continue
            if sealed_ref(text) != applicant_ref or secret is None:
                raise Refused(
                    f"{type(event).__name__}.{name} must be sealed under the file's applicant "
                    "key: prepare the envelope with the server (POST .../prepare/...)"
                )
            try:
                open_text(secret, text)
            except SealError as e:
                raise Refused(
                    f"{type(event).__name__}.{name} is not sealed under the file's applicant key"
                ) from e


def _has_text(event: Any) -> bool:
    for name in FREE_TEXT.get(type(event).__name__, ()):
        value = getattr(event, name)
        if any(value if isinstance(value, tuple) else (value,)):
            return True
    return False


class TextSealer:
    """Seals the free text of new events under their file's applicant key (``secret_of``
    finds it by reference; ``random_bytes`` gives the nonces), and checks that a client-signed
    event's free text is sealed so (``check``)."""

    def __init__(self, secret_of: SecretOf, random_bytes: Callable[[int], bytes]) -> None:
        self.secret_of = secret_of
        self.random = random_bytes

    def seal(self, events: Iterable[E], applicant_ref: str, secret: bytes | None = None) -> list[E]:
        """``events`` with their free text sealed; the key is read only when there is text to
        seal and ``secret`` is None (``secret``: the key the caller has: a new applicant's, not
        stored yet, or the one read with the file's rows)."""
        found = list(events)
        if not any(_has_text(e) for e in found):
            return found
        key = secret if secret is not None else self.secret_of(applicant_ref)
        if key is None:
            raise Refused(
                "the applicant of this file was forgotten (personal data erased): no free text "
                "can be recorded for it any more; leave the note or reason empty"
            )
        return [seal_event(e, applicant_ref, key, self.random) for e in found]

    def check(self, event: Any, applicant_ref: str) -> None:
        """``Refused`` unless every non-empty free text of ``event`` opens under the key of
        ``applicant_ref``."""
        if _has_text(event):
            check_sealed(event, applicant_ref, self.secret_of(applicant_ref))
