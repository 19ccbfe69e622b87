"""The service's state (trạng thái dịch vụ): one typed object per app, in place of loose
``app.state`` attributes. ``create_app`` builds it once from the settings; the routes, the
dependencies and the middleware read it through ``service_state(request)``.

Every default of the service is written here once.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from api.errors import Problem
from api.http import problems
from api.http.limits import LOOKUP_BURST, LOOKUP_RATE_PER_MINUTE, AddressLimit
from api.http.middleware import BODY_TIMEOUT_SECONDS, MAX_BODY_BYTES
from api.settings import Settings
from ledger.store.pins import VerifiedPins

if TYPE_CHECKING:
    from api.bootstrap import Services
    from api.http.lookup_reads import LookupReads
    from ledger.chain.intake import Intake
    from ledger.chain.service import Ledger

DEFAULT_MAX_SKEW = timedelta(minutes=5)
SCRYPT_THREADS = max(1, (os.cpu_count() or 2) - 1)  # leave a core to the loop and the database


@dataclass
class ServiceState:
    """What one app (one process of ``hoso serve``) holds between requests."""

    settings: Settings
    processes: int = 1
    services: Services | None = None  # open between start-up and shutdown
    # How far a client-signed event's occurred_at may be from the server's clock.
    max_skew: timedelta = DEFAULT_MAX_SKEW
    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout: float = BODY_TIMEOUT_SECONDS
    # The citizen lookup's per-address limit (shared, or this process's share: ``for_settings``).
    lookup_limit: AddressLimit = field(default_factory=AddressLimit)
    # Verified (code, PIN) pairs: per process, never shared.
    verified_pins: VerifiedPins = field(default_factory=VerifiedPins)
    lookup_reads: LookupReads | None = None
    batch_intake: Intake | None = None
    scrypt_threads: int = SCRYPT_THREADS
    scrypt_limiter: tuple[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = None

    @property
    def ledger(self) -> Ledger | None:
        """The open ledger (None while starting or stopping)."""
        return None if self.services is None else self.services.ledger

    @classmethod
    def for_settings(cls, settings: Settings, *, processes: int = 1) -> ServiceState:
        """The lookup limit in the configured shared storage (``rate_limit_storage``: every
        worker counts in it); without one, ``processes`` workers serving one address each
        keep 1/N of it in memory, so together they allow no more than one process."""
        if processes < 1:
            raise ValueError("processes must be >= 1")
        shared = settings.rate_limit_storage
        share = 1 if shared else processes
        limit = AddressLimit(
            LOOKUP_RATE_PER_MINUTE / share, max(1, LOOKUP_BURST // share), storage=shared
        )
        return cls(
            settings=settings,
            processes=processes,
            lookup_limit=limit,
            body_timeout=settings.body_timeout_seconds,
        )


def ledger_of(request: HTTPConnection) -> Ledger:
    """The open ledger; 503 with ``Retry-After`` while there is none (starting or stopping)."""
    ledger = service_state(request).ledger
    if ledger is None:
        raise Problem(
            503,
            "unavailable",
            "Service unavailable",
            "the ledger is not open (the service is starting or stopping)",
            headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
        )
    return ledger


def service_state(request: HTTPConnection) -> ServiceState:
    """The app's ``ServiceState`` (set by ``create_app``)."""
    state: ServiceState = request.app.state.hoso
    return state


def state_of(app: ASGIApp) -> ServiceState:
    """The ``ServiceState`` of an app made by ``create_app`` (for tests and benchmarks)."""
    if not isinstance(app, Starlette):
        raise TypeError(f"not an app made by create_app: {app!r}")
    state: ServiceState = app.state.hoso
    return state
