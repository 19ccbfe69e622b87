"""The HTTP service: the Merkle log as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles)
plus JSON inclusion and consistency proofs for inspectors.

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
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.bootstrap import Services, open_log, open_services
from api.http import problems
from api.http.followers import Followers
from api.http.middleware import (
    BodySizeLimit,
    FastPath,
    install_openapi,
)
from api.http.problems import not_found
from api.http.routes import commands as routes_commands
from api.http.routes import commands_batch
from api.http.routes import public as routes_public
from api.http.routes import reads as routes_reads
from api.http.routes.files import bundle_answer
from api.http.schemas.examples import (
    BUNDLE_EXAMPLE,
    CHECKPOINT_EXAMPLE,
    CONSISTENCY_EXAMPLE,
    INCLUSION_EXAMPLE,
)
from api.http.state import ServiceState
from api.http.state import ledger_of as _ledger
from api.settings import Settings
from ledger.errors import BadTilePath
from ledger.log.jobs import consistency_document, inclusion_document
from ledger.log.storage import TILE_HEIGHT, MerkleLog
from ledger.log.tiles import TILE_WIDTH, TileRef, parse_tile_path

log = logging.getLogger("hoso.http")

CHECKPOINT_CACHE = "public, max-age=5"  # tlog-tiles: mutable, no caching beyond a few seconds
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"  # may be replaced by the full tile later
PINNED_PROOF_CACHE = "public, max-age=86400"  # both sizes given: the answer never changes
LATEST_PROOF_CACHE = "public, max-age=5"
OCTETS = "application/octet-stream"
MAX_LEAF = 1 << 62  # beyond any real log; keeps index arithmetic inside a BIGINT

router = APIRouter(prefix="/log")


def _example(media: str, example: object, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media: {"example": example}}}}


OPENAPI_DESCRIPTION = (
    "The signed, hash-chained ledger of administrative files (hồ sơ) of a one-stop centre.\n\n"
    "Authenticate with `Authorization: Bearer <token>` (`hoso token create`). Every 4xx and 5xx "
    "answer is an RFC 9457 `application/problem+json` document with a stable `type`; 503 and "
    "429 carry `Retry-After`. Unknown query parameters are refused (422). Times are RFC 3339 "
    "UTC with microseconds; shares are exact percentages rendered as strings."
)
OPENAPI_TAGS = [
    {"name": "log", "description": "The Merkle log (C2SP tlog-tiles), proofs and bundles."},
    {
        "name": "reads",
        "description": "Files, the process control slip, queues, figures, "
        "the inspector's index and the event feed for the provincial system.",
    },
    {"name": "public", "description": "The citizen's lookup with code and PIN (no token)."},
]


def _log(request: Request) -> MerkleLog:
    return open_log(_ledger(request))


@router.get(
    "/checkpoint",
    response_class=Response,
    responses=_example("text/plain", CHECKPOINT_EXAMPLE, "C2SP signed note (tlog-checkpoint)"),
)
def checkpoint(request: Request) -> Response:
    """The latest signed checkpoint with every witness cosignature."""
    merkle_log = _log(request)
    latest = merkle_log.latest_checkpoint()
    if latest is None:
        raise not_found("the log has no checkpoint yet")
    note = merkle_log.cosigned_note(latest.size)
    return Response(
        note.encode("utf-8"),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": CHECKPOINT_CACHE},
    )


def _tile_bytes(merkle_log: MerkleLog, ref: TileRef) -> bytes:
    start = ref.index * TILE_WIDTH
    if ref.level < 0:
        entries = merkle_log.entries(start, start + ref.width)
        return b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    return b"".join(merkle_log.hashes(TILE_HEIGHT * ref.level, start, ref.width))


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses=_example(
        OCTETS,
        "<W 32-byte hashes, or W entries each prefixed by a big-endian uint16 length>",
        "C2SP tlog-tiles: a hash tile or an entry bundle",
    ),
)
def tile(path: str, request: Request) -> Response:
    """A hash tile ``<L>/<N>[.p/<W>]`` or an entry bundle ``entries/<N>[.p/<W>]``."""
    try:
        ref = parse_tile_path(path)
    except BadTilePath as e:
        raise not_found(f"tile/{path} is not a tile path: {e}") from e
    level = max(ref.level, 0)
    if (ref.index + 1) * TILE_WIDTH ** (level + 1) > MAX_LEAF:
        raise not_found(f"tile/{path} lies beyond the log")
    body = _tile_bytes(_log(request), ref)
    return Response(
        body,
        media_type=OCTETS,
        headers={"Cache-Control": FULL_TILE_CACHE if ref.full else PARTIAL_TILE_CACHE},
    )


NonNegative = Annotated[int, Query(ge=0, le=MAX_LEAF)]
Positive = Annotated[int, Query(ge=1, le=MAX_LEAF)]


@router.get(
    "/proofs/inclusion",
    responses=_example("application/json", INCLUSION_EXAMPLE, "RFC 9162 inclusion proof"),
)
def inclusion(
    request: Request,
    index: NonNegative,
    size: Positive | None = None,
) -> JSONResponse:
    """Inclusion of leaf ``index`` in the tree of ``size`` (default: the latest checkpoint)."""
    doc = inclusion_document(_log(request), index, size)
    return _proof(doc, pinned=size is not None)


@router.get(
    "/proofs/consistency",
    responses=_example("application/json", CONSISTENCY_EXAMPLE, "RFC 9162 consistency proof"),
)
def consistency(
    request: Request,
    size1: Annotated[int, Query(alias="from", ge=1, le=MAX_LEAF)],
    size2: Annotated[int | None, Query(alias="to", ge=1, le=MAX_LEAF)] = None,
) -> JSONResponse:
    """Consistency of the tree of size ``from`` with the one of size ``to`` (append-only)."""
    doc = consistency_document(_log(request), size1, size2)
    return _proof(doc, pinned=size2 is not None)


@router.get(
    "/bundles/{code}",
    responses=_example("application/json", BUNDLE_EXAMPLE, "A hoso-bundle/v2 evidence bundle"),
)
def bundle(
    request: Request,
    code: Annotated[str, Path(pattern=r"^[A-Z0-9]{2,12}-\d{6}-\d{4}$", max_length=24)],
) -> JSONResponse:
    """The file's evidence bundle at the latest checkpoint, for ``hoso verify`` offline.

    Everything in it is already public through the tiles; the bundle gathers it with proofs.
    """
    return bundle_answer(_log(request), code)


def _proof(doc: dict[str, Any], *, pinned: bool) -> JSONResponse:
    cache = PINNED_PROOF_CACHE if pinned else LATEST_PROOF_CACHE
    return JSONResponse(doc, headers={"Cache-Control": cache})


async def _integrator(services: Services, every: float) -> None:
    """Integrate and checkpoint now, then every ``every`` seconds, until cancelled."""
    failing = False
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

    app = FastAPI(
        title="hoso ledger",
        summary=f"The Merkle log of {settings.origin} (C2SP tlog-tiles) and its proofs.",
        description=OPENAPI_DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.state.hoso = state  # the one typed state: api.http.state.service_state(request)
    # The lookup's fast path runs inside the body limit (a GET has no body).
    fast = routes_public.fast_lookup(state)
    app.add_middleware(FastPath, prefix=routes_public.PREFIX, handler=fast)
    app.add_middleware(BodySizeLimit, limits=state)
    problems.install(app)
    # The citizen's lookup first: routes are matched in order, one by one (issue 6: the public
    # route is the hot one; no other path starts with /public, so the order changes no answer).
    app.include_router(routes_public.router)
    app.include_router(router, tags=["log"])
    app.include_router(routes_commands.router_for(settings))
    app.include_router(routes_reads.router)
    install_openapi(app)
    return app
