"""The HTTP service: the Merkle log as C2SP tlog-tiles (``api.http.routes.log``: checkpoints,
hash tiles and proofs in public; entries and bundles with a token or, for a citizen's own
file, the code and PIN), the integration API, the reads and the citizen's lookup.

``create_app(settings)`` is the only constructor. Nothing connects at import or construction:
the store opens at start-up (lifespan) and closes at shutdown, and a background task keeps the
log integrated and signs a checkpoint when one is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from api.bootstrap import Services, open_services
from api.http import problems
from api.http.followers import Followers
from api.http.guards import HeadAsGet
from api.http.middleware import (
    BodySizeLimit,
    FastHandler,
    FastPath,
    NoStore,
    install_openapi,
)
from api.http.routes import commands as routes_commands
from api.http.routes import commands_batch, public_post
from api.http.routes import log as routes_log
from api.http.routes import public as routes_public
from api.http.routes import reads as routes_reads
from api.http.routes import results as routes_results
from api.http.state import ServiceState
from api.pages import counter as pages_counter
from api.pages import dashboard as pages_dashboard
from api.pages import docs as pages_docs
from api.pages import forms_print as pages_forms
from api.pages import inspector as pages_inspector
from api.pages import lookup as pages_lookup
from api.pages import results as pages_results
from api.pages.layout import STATIC, STATIC_DIR
from api.settings import Settings
from ledger.store.pins import VerifiedPins

log = logging.getLogger("hoso.http")


class Service(FastAPI):
    """The service's app: FastAPI, with the citizen lookup's fast path (``FastPath``) in front
    of every middleware, Starlette's and FastAPI's own included. The lookup is the hot public
    route (issue 19): a well-formed GET is answered there, as the route would answer it (its
    answers carry ``no-store`` and their problems as the route's do); anything else, HEAD
    included, goes through the whole stack to the route."""

    fast_path: FastHandler | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.fast_path is None:
            return stack
        return FastPath(stack, prefix=routes_public.PREFIX, handler=self.fast_path)


OPENAPI_DESCRIPTION = (
    "The signed, hash-chained ledger of administrative files (hồ sơ) of a one-stop centre.\n\n"
    "Authenticate with `Authorization: Bearer <token>` (`hoso token create`). Every 4xx and 5xx "
    "answer is an RFC 9457 `application/problem+json` document with a stable `type`; 503 and "
    "429 carry `Retry-After`. Unknown query parameters are refused (422). Times are RFC 3339 "
    "UTC with microseconds; shares are exact percentages rendered as strings."
)
OPENAPI_TAGS = [
    {
        "name": "log",
        "description": "The Merkle log (C2SP tlog-tiles): checkpoints, hash tiles and proofs "
        "are public; entry bundles and file bundles need a token.",
    },
    {
        "name": "reads",
        "description": "Files, the process control slip, queues, figures, "
        "the inspector's index and the event feed for the provincial system.",
    },
    {"name": "public", "description": "The citizen's lookup with code and PIN (no token)."},
]


async def _integrator(services: Services, every: float) -> None:
    """Integrate and checkpoint now, then every ``every`` seconds, until cancelled."""
    failing = False
    await anyio.to_thread.run_sync(services.warm_heads)
    while True:
        failing = await anyio.to_thread.run_sync(
            functools.partial(services.integrate_logged, failing=failing)
        )
        await asyncio.sleep(every)


def create_app(
    settings: Settings,
    *,
    integrate_every: float | None = 2.0,
    follow_projections: bool = False,
    processes: int = 1,
) -> FastAPI:
    """The service for one ledger. ``integrate_every`` None or <= 0 turns the integrator off.
    ``processes``: how many worker processes serve the same address (``hoso serve --workers``);
    each keeps its share of the per-address lookup limit, so together they allow no more."""
    state = ServiceState.for_settings(settings, processes=processes)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await anyio.to_thread.run_sync(open_services, settings)
        ledger = services.ledger
        state.services = services
        state.verified_pins = VerifiedPins(pepper=ledger.receipts.pin_pepper)
        # The read models' tables first (SQLite cannot change its schema under a busy writer),
        # then the projections' followers, then the log's integrator.
        followers = None
        if follow_projections:
            followers = Followers(settings, ledger)
            await anyio.to_thread.run_sync(followers.start)
        else:  # the tables must exist even when nobody follows here
            host = await anyio.to_thread.run_sync(services.projections)
            await anyio.to_thread.run_sync(host.close)
        # What start-up built (the caught-up read models, the key registry, imported code)
        # lives as long as the process: keep it out of the cyclic collector's full passes,
        # which otherwise walk all of it for nothing (tens of ms with every request waiting).
        gc.collect()
        gc.freeze()
        task = None
        if integrate_every is not None and integrate_every > 0:
            task = asyncio.create_task(_integrator(services, integrate_every))
        try:
            yield
        finally:
            gc.unfreeze()  # what start-up built may be garbage now (tests start many apps)
            if followers is not None:
                await anyio.to_thread.run_sync(followers.stop)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            state.services = None
            await anyio.to_thread.run_sync(commands_batch.close_batch_intake, state)
            await anyio.to_thread.run_sync(routes_public.close_lookup_reads, state)
            await anyio.to_thread.run_sync(services.close)

    app = Service(
        title="hoso ledger",
        summary=f"The Merkle log of {settings.origin} (C2SP tlog-tiles) and its proofs.",
        description=OPENAPI_DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        docs_url=None,  # served with local assets (api.pages.docs): nothing from a CDN
        redoc_url=None,
    )
    app.state.hoso = state  # the one typed state: api.http.state.service_state(request)
    app.fast_path = routes_public.fast_lookup(state)
    app.add_middleware(BodySizeLimit, limits=state)
    app.add_middleware(NoStore, prefix="/public/")  # the fast path's answers too
    app.add_middleware(HeadAsGet)  # outermost: a HEAD is a GET to everything inside
    problems.install(app)
    # The citizen's lookup first: routes are matched in order, one by one (issue 6: the public
    # route is the hot one; no other path starts with /public, so the order changes no answer).
    app.include_router(routes_public.router)
    app.include_router(public_post.router)
    app.include_router(routes_results.router)
    app.include_router(pages_results.router)
    app.include_router(pages_dashboard.router)
    app.include_router(pages_lookup.router)
    app.include_router(pages_counter.router)
    app.include_router(pages_inspector.router)
    app.include_router(pages_forms.router)
    pages_docs.install(app)
    app.mount(STATIC, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(routes_log.router)
    app.include_router(routes_commands.router_for(settings))
    app.include_router(routes_reads.router)
    install_openapi(app)
    return app
