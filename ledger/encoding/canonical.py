"""The one canonical encoding: RFC 8785 JSON Canonicalization Scheme (JCS), restricted to no floats,
and the one textual form of an instant (UTC, microseconds, ``Z``: ``format_instant``).

Every hash and signature in the ledger is over ``canonical_bytes(value)``. The accepted values are
``dict`` (ASCII ``str`` keys), ``list``/``tuple``, ``str``, ``int`` in ±(2**53 - 1), ``bool`` and
``None``; anything else is a ``CanonicalError`` naming where it is (``payload.items[2]: float not
allowed``). Containers must be exactly ``dict``, ``list`` or ``tuple``; ``str``/``int`` subclasses
(``StrEnum``, ``IntEnum``) are encoded as their plain value. Nesting is limited to ``MAX_DEPTH``.

Serialisation is ``orjson.dumps(value, option=OPT_SORT_KEYS)``. Checked against RFC 8785 (and
cross-tested against the ``rfc8785`` package, over every Unicode scalar value for strings):

* Strings agree exactly: raw UTF-8; only ``"``, ``\\`` and controls below U+0020 are escaped, as
  ``\\b \\t \\n \\f \\r`` or ``\\u00xx`` with lowercase hex; ``/``, DEL, U+2028/U+2029 are raw.
  Lone surrogates are refused by both (here: ``CanonicalError``).
* Key order differs in general: orjson sorts by code point, RFC 8785 by UTF-16 code unit, so e.g.
  ``"\\ue000"`` and ``"\\U0001f600"`` sort in opposite orders. With ASCII-only keys they agree,
  hence the ASCII rule.
* Numbers differ: orjson writes ints up to 64 bits exactly, RFC 8785 (ECMAScript ``Number``) only
  represents ±(2**53 - 1) exactly; orjson writes ``1.0`` and ``-0.0`` where RFC 8785 writes ``1``
  and ``0``. Hence the safe-integer range and no floats.
* ``orjson.loads`` keeps the last of duplicate keys silently and accepts ``-0``, whitespace and
  ``\\u`` escapes; ``parse_canonical`` refuses all of these by requiring an exact round trip.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.errors import CanonicalError, MalformedEnvelope

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "canonical_bytes", "parse_canonical"]

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class _Refused(Exception):
    """Internal: carries the reason up the stack, collecting the path on the way."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segments: list[str] = []


def _key_segment(key: str) -> str:
    if _PLAIN_KEY.fullmatch(key):
        return "." + key
    return "[" + orjson.dumps(key).decode() + "]"


def _describe(value: object) -> str:
    return type(value).__name__


def _check(value: object, depth: int, strings: bool) -> None:
    """Raise ``_Refused`` if ``value`` is outside the canonical subset.

    ``strings`` additionally checks that every string is valid Unicode (no lone surrogates); the
    fast path leaves that to orjson and only re-walks to name the path when orjson refuses.
    """
    if isinstance(value, str):
        if strings:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                raise _Refused("string with a lone surrogate not allowed") from e
        return
    if value is None or value is True or value is False:
        return
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return
        raise _Refused("int outside ±(2**53 - 1) not allowed")
    if depth >= MAX_DEPTH:
        raise _Refused(f"nesting deeper than {MAX_DEPTH} not allowed")
    if type(value) is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Refused(f"{_describe(key)} key {key!r} not allowed")
            if not key.isascii():
                raise _Refused(f"non-ASCII key {key!r} not allowed")
            try:
                _check(item, depth + 1, strings)
            except _Refused as r:
                r.segments.append(_key_segment(key))
                raise
        return
    if type(value) is list or type(value) is tuple:
        for index, item in enumerate(value):
            try:
                _check(item, depth + 1, strings)
            except _Refused as r:
                r.segments.append(f"[{index}]")
                raise
        return
    raise _Refused(f"{_describe(value)} not allowed")


def _check_fast(value: Any, depth: int) -> bool:
    """Shortcut of ``_check(value, depth, strings=False)`` (the reference): True only if it
    would pass, and True exactly when it passes for exact ``dict``, ``list``, ``tuple``, ``str``,
    ``int`` and ``bool`` values and ``None`` (what ``orjson.loads`` gives and what the ledger
    builds); False means "not sure": ``_check`` decides and names why. No exceptions and no path
    bookkeeping, and scalars inside containers are checked inline (a call only per nested
    container), so it is the cheap test on the hot path."""
    t = type(value)
    if t is dict:
        if depth >= MAX_DEPTH:
            return False
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or not _check_fast_item(item, depth):
                return False
        return True
    if t is list or t is tuple:
        if depth >= MAX_DEPTH:
            return False
        for item in value:  # noqa: SIM110 (a loop: no generator frame on the hot path)
            if not _check_fast_item(item, depth):
                return False
        return True
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    return False


def _check_fast_item(item: Any, depth: int) -> bool:
    """``_check_fast(item, depth + 1)`` with its scalar cases inline."""
    t = type(item)
    if t is str or t is bool or item is None:
        return True
    if t is int:
        return bool(-MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER)
    if t is dict or t is list or t is tuple:
        return _check_fast(item, depth + 1)
    return False


def _error(refused: _Refused) -> CanonicalError:
    path = "".join(reversed(refused.segments)).removeprefix(".") or "<root>"
    return CanonicalError(f"{path}: {refused.reason}")


def canonical_bytes(value: object) -> bytes:
    """The RFC 8785 canonical JSON bytes of ``value``; ``CanonicalError`` if it has none."""
    if not _check_fast(value, 0):
        try:
            _check(value, 0, strings=False)
        except _Refused as r:
            raise _error(r) from None
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as e:
        try:
            _check(value, 0, strings=True)
        except _Refused as r:
            raise _error(r) from e
        raise CanonicalError(f"<root>: cannot encode: {e}") from e


def parse_canonical(data: bytes) -> object:
    """Parse canonical JSON bytes, refusing anything that is not exactly ``canonical_bytes``.

    Invalid JSON, floats, out-of-range ints, non-ASCII keys, whitespace, unsorted or duplicate keys
    and needless escapes are all ``CanonicalError``.
    """
    if not isinstance(data, bytes):
        raise CanonicalError(f"<root>: expected bytes, got {type(data).__name__}")
    try:
        value: object = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise CanonicalError(f"invalid JSON: {e}") from e
    if canonical_bytes(value) != data:
        raise CanonicalError("not in canonical form (RFC 8785)")
    return value


# ------------------------------------------------------------------ instants
# The one textual form of an instant in envelopes: UTC, microseconds, ``Z`` (e.g.
# ``2026-11-23T07:51:48.123456Z``). Anything else is refused, so every instant has one encoding.
# ASCII digits only and ``\Z`` (not ``$``, which also matches before a final newline), so that
# ``INSTANT_FORM.match`` accepts exactly the texts ``format_instant`` writes.
INSTANT_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z")


def format_instant(at: datetime) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise MalformedEnvelope(f"instant {at!r} has no time zone")
    utc = at if at.tzinfo is UTC else at.astimezone(UTC)
    # isoformat ends in "+00:00" for UTC and pads the year to four digits (strftime's %Y does
    # not, on glibc, below year 1000); for years from 1000 both give the same text.
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_instant(text: str) -> datetime:
    if not INSTANT_FORM.match(text):
        raise MalformedEnvelope(f"instant {text!r} is not of the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        # The pattern fixed the form; fromisoformat reads the final "Z" as UTC (Python 3.11+).
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise MalformedEnvelope(f"instant {text!r} is not a real date and time") from e
