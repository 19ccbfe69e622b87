"""Lookup PINs (mã tra cứu) printed on the receipt, stored only as salted scrypt hashes.

The hash lives in a side table, never in an event: bundles handed to inspectors must not carry
something a laptop could brute-force back into a citizen's PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

from signing import b64, unb64

_N, _R, _P = 2**12, 8, 1


def hash_pin(pin: str, salt: bytes) -> str:
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(pin.encode(), salt=unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got, unb64(digest))


class VerifiedPins:
    """A bounded memory of (code, PIN) pairs whose scrypt already matched, in this process.

    A repeat lookup with the right PIN skips the scrypt; anything else (a wrong PIN, an unknown
    code, a pair not seen yet or evicted) pays one scrypt as before. So the only fast answers are
    200s, which the answer itself already reveals: no new enumeration oracle. The pairs are kept
    as HMAC-SHA256 under a random per-process secret, over the code, the PIN and the stored hash:
    no PIN is held in clear, the memory is useless to another process, and a re-issued PIN (a new
    stored hash) never matches an old pair. At most ``capacity`` pairs, least recently used out.
    """

    def __init__(self, capacity: int = 65_536, secret: bytes | None = None) -> None:
        if capacity < 1:
            raise ValueError("the PIN cache needs room for at least one pair")
        self.capacity = capacity
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
        if not pin_matches(pin, stored):
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
