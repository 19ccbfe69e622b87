"""Issue 16: keyed PIN hashes and the lockout's schedule (no I/O)."""

from __future__ import annotations

import pytest

from ledger.store.pins import (
    FIRST_LOCK_SECONDS,
    FREE_TRIES,
    MAX_LOCK_SECONDS,
    VerifiedPins,
    hash_pin,
    lock_seconds,
    new_pepper,
    pin_matches,
)

CODE = "PBADINH-260212-0003"


def test_a_keyed_hash_needs_the_pepper_the_code_and_the_pin() -> None:
    pepper, other = new_pepper(), new_pepper()
    stored = hash_pin("048213", b"0123456789abcdef", code=CODE, pepper=pepper)
    assert stored.startswith("hmac-sha256$") and "048213" not in stored
    assert pin_matches("048213", stored, code=CODE, pepper=pepper)
    # A stolen database alone: without the pepper (or with another) no PIN matches, so no
    # laptop can try the 10^6 PINs against it.
    assert not pin_matches("048213", stored, code=CODE, pepper=None)
    assert not pin_matches("048213", stored, code=CODE, pepper=other)
    assert not pin_matches("048214", stored, code=CODE, pepper=pepper)
    assert not pin_matches("048213", stored, code=CODE.replace("0003", "0004"), pepper=pepper)


def test_hashes_made_before_keyed_pins_keep_verifying() -> None:
    old = hash_pin("123456", b"fedcba9876543210")
    assert old.startswith("scrypt$")
    assert pin_matches("123456", old, code=CODE, pepper=new_pepper())
    assert not pin_matches("123457", old)
    for junk in ("", "scrypt$1$2", "hmac-sha256$x", "md5$a$b"):
        assert not pin_matches("123456", junk, pepper=new_pepper())


def test_the_memory_of_right_pins_uses_the_pepper() -> None:
    pepper = new_pepper()
    pins = VerifiedPins(pepper=pepper)
    stored = hash_pin("111111", b"s" * 16, code=CODE, pepper=pepper)
    assert pins.check(CODE, "111111", stored) and pins.known(CODE, "111111", stored)
    assert not VerifiedPins(pepper=new_pepper()).check(CODE, "111111", stored)
    assert pins.dummy.startswith("hmac-sha256$")


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (0, 0),
        (FREE_TRIES - 1, 0),
        (FREE_TRIES, FIRST_LOCK_SECONDS),
        (FREE_TRIES + 1, 2 * FIRST_LOCK_SECONDS),
        (FREE_TRIES + 3, 8 * FIRST_LOCK_SECONDS),
        (FREE_TRIES + 40, MAX_LOCK_SECONDS),
        (10**6, MAX_LOCK_SECONDS),
    ],
)
def test_the_lockout_grows_with_each_wrong_pin_up_to_a_day(failures: int, seconds: int) -> None:
    assert lock_seconds(failures) == seconds
