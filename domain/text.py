"""Text as people type it into a file (ghi chú, lý do, tên giấy tờ): checked once, at the domain's
boundary, so that no value the ledger accepts can stop a read model, a JSON encoder or a printed
form later: not empty where required, bounded, and free of control characters (line breaks and
tabs only in multi-line fields such as notes and reasons) and of lone surrogates.

A text the ledger sealed for erasure (``sealed:<applicant ref>:<base64url>``, see
``ledger.chain.sealed_text``) is opaque here: it was checked as typed before it was sealed, and a
replay of stored events (the audit, a client's submission) sees only the sealed form. Its
alphabet is ASCII letters, digits, ``-``, ``_`` and ``:``, so it can stop nothing either."""

from __future__ import annotations

import re

from domain.errors import InvalidValue

MAX_TEXT = 500
MAX_ITEMS = 50
SEALED_PREFIX = "sealed:"
# 12-byte nonce + 16-byte tag at least; at most MAX_TEXT characters of 4 UTF-8 bytes each.
_SEALED = re.compile(r"sealed:[a-z0-9-]{1,40}:[A-Za-z0-9_-]{38,2720}")

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text(value: str, what: str, *, required: bool = True, multiline: bool = False) -> str:
    """A text field as a person typed it: not empty (when required), not too long, and no
    control character (NUL included; line breaks and tabs only where ``multiline``) nor lone
    surrogate, which no database column, JSON encoder or printed form takes."""
    if is_sealed(value):
        return value
    if required and not value.strip():
        raise InvalidValue(f"{what} must not be empty")
    if len(value) > MAX_TEXT:
        raise InvalidValue(f"{what} is longer than {MAX_TEXT} characters")
    bad = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if bad is not None:
        kind = "a lone surrogate" if "\ud800" <= bad.group() <= "\udfff" else "a control character"
        raise InvalidValue(
            f"{what} contains {kind} (U+{ord(bad.group()):04X}) at position {bad.start()}"
        )
    return value


def is_sealed(value: str) -> bool:
    """True for a text sealed by the ledger for erasure (opaque to the domain)."""
    return value.startswith(SEALED_PREFIX) and _SEALED.fullmatch(value) is not None


def items(values: tuple[str, ...] | list[str], what: str) -> tuple[str, ...]:
    """A list of texts (documents, missing papers): at least one, at most ``MAX_ITEMS``."""
    found = tuple(values)
    if not found:
        raise InvalidValue(f"{what} must list at least one item")
    if len(found) > MAX_ITEMS:
        raise InvalidValue(f"{what} lists more than {MAX_ITEMS} items")
    for item in found:
        text(item, what)
    return found
