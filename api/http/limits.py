"""The citizen lookup's per-address limit, with the maintained ``limits`` library (issue 16).

A moving window per client address: at most ``burst`` lookups in ``burst / per_minute``
minutes (by default 20 in two minutes: 10 a minute with room for a burst). Its counters live in
a storage every worker process shares when one is configured (``rate_limit_storage``, e.g.
``async+redis://127.0.0.1:6379/0``), so ``hoso serve --workers N`` allows no more than one
process; without one, in this process's memory, each of N workers keeping 1/N of the limit
(``ServiceState.for_settings``). The per-address limit slows one client down; what stops a PIN
being guessed from many addresses is the per-code lockout (``ledger.store.pins.PinFailures``).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

LOOKUP_RATE_PER_MINUTE = 10.0
LOOKUP_BURST = 20
MEMORY = "async+memory://"


class AddressLimit:
    """``take(key)``: None when the request may go on, else the seconds to wait."""

    def __init__(
        self,
        per_minute: float = LOOKUP_RATE_PER_MINUTE,
        burst: int = LOOKUP_BURST,
        storage: str | None = None,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        window = max(1, math.ceil(burst / per_minute * 60))
        self.item = RateLimitItemPerSecond(burst, window)
        self.storage_uri = storage or MEMORY
        options = {"implementation": "redispy"} if "redis" in self.storage_uri else {}
        self.limiter = MovingWindowRateLimiter(storage_from_string(self.storage_uri, **options))

    async def take(self, key: str) -> float | None:
        if await self.limiter.hit(self.item, "lookup", key):
            return None
        stats = await self.limiter.get_window_stats(self.item, "lookup", key)
        return max(1.0, stats.reset_time - time.time())

    async def clear(self, key: str) -> None:
        await self.limiter.clear(self.item, "lookup", key)
