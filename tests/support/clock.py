"""A server clock for tests: it moves on by itself, one second per reading, and on demand."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class Clock:
    """The server's clock: one second further on every reading, thread-safe."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=1)
            return self.now

    def set(self, at: datetime) -> None:
        """The next reading is ``at`` (a test's server received what it writes next then)."""
        with self._lock:
            self.now = at - timedelta(seconds=1)

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.now += by
