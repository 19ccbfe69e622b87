"""Lookup PINs (mã tra cứu) printed on the receipt, stored only as salted scrypt hashes.

The hash lives in a side table, never in an event: bundles handed to inspectors must not carry
something a laptop could brute-force back into a citizen's PIN.
"""

from __future__ import annotations

import hashlib
import hmac

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
