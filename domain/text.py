"""Text as people type it into a file (ghi chú, lý do, tên giấy tờ): checked once, at the domain's
boundary, so that no value the ledger accepts can stop a read model, a JSON encoder or a printed
form later: not empty where required, bounded, and free of control characters (line breaks and
tabs only in multi-line fields such as notes and reasons) and of lone surrogates."""

from __future__ import annotations

import re

from domain.errors import InvalidValue

MAX_TEXT = 500
MAX_ITEMS = 50

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text(value: str, what: str, *, required: bool = True, multiline: bool = False) -> str:
    """A text field as a person typed it: not empty (when required), not too long, and no
    control character (NUL included; line breaks and tabs only where ``multiline``) nor lone
    surrogate, which no database column, JSON encoder or printed form takes."""
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
