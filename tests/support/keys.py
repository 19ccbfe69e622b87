"""A ledger's applicants' key store, counted: how many reads of one key, of many at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ledger.chain.service import Ledger
from ledger.store.keystore import ApplicantKeyStore


class CountingKeys:
    """The real key store (every other call goes through to it), counting ``secret`` as
    ``one`` and ``secrets`` as ``many``."""

    def __init__(self, real: ApplicantKeyStore) -> None:
        self.real = real
        self.reads: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def secret(self, applicant_ref: str) -> bytes | None:
        self.reads["one"] += 1
        return self.real.secret(applicant_ref)

    def secrets(self, refs: Sequence[str]) -> dict[str, bytes]:
        self.reads["many"] += 1
        return self.real.secrets(refs)


def counting_keys(ledger: Ledger) -> CountingKeys:
    """``ledger``'s key store replaced by its counted self."""
    keys = CountingKeys(ledger.receipts.keys)
    ledger.receipts.keys = keys
    return keys
