"""Projections following the event store inside a long-running service (``hoso serve``).

PostgreSQL: the library's ``ProjectionRunner`` per projection (LISTEN/NOTIFY, live); SQLite: one
thread that polls the notification log. A failed projection stays stopped (its position and
error are in ``hoso projections status``); the others go on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from api.bootstrap import open_projections
from api.settings import Settings
from ledger.chain.service import Ledger
from projections.engine.runtime import ProjectionHost
from projections.errors import ProjectionFailed
from projections.models.handlers import NAMES

log = logging.getLogger("hoso.projections")


class Followers:
    def __init__(self, settings: Settings, ledger: Ledger, *, poll: float = 1.0) -> None:
        self.host: ProjectionHost = open_projections(settings, ledger)
        self.poll = poll
        self._stop = threading.Event()
        self._runners: list[Any] = []
        self._thread: threading.Thread | None = None
        self.failed: set[str] = set()

    def start(self) -> None:
        for name in NAMES:
            self._catch_up(name)
        if self.host.postgres:
            for name in NAMES:
                if name not in self.failed:
                    runner = self.host.runner(name)
                    runner.__enter__()
                    self._runners.append(runner)
        else:
            self._thread = threading.Thread(target=self._poll, name="hoso-projections", daemon=True)
            self._thread.start()

    def _catch_up(self, name: str) -> None:
        if name in self.failed:
            return
        try:
            self.host.catch_up(name)
        except ProjectionFailed as e:
            self.failed.add(name)
            log.error("%s", e)

    def _poll(self) -> None:
        while not self._stop.wait(self.poll):
            for name in NAMES:
                try:
                    self._catch_up(name)
                except Exception as e:  # the database may be away for a while: try again
                    log.warning("projection %s could not catch up: %s", name, e)

    def stop(self) -> None:
        self._stop.set()
        for runner in self._runners:
            try:
                runner.__exit__(None, None, None)
            except Exception as e:
                log.error("projection runner stopped with an error: %s", e)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.host.close()
