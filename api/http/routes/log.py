"""The Merkle log over HTTP: public in its proofs, private in its content (issue 16).

What anyone may read is what witnesses and monitors need to hold the log to its word: the
signed checkpoint with its cosignatures, the hash tiles (C2SP tlog-tiles) and the JSON inclusion
and consistency proofs, which are hashes only. What the log *says* (the entries: every event of
every file, with procedure, times, officers and sealed text) needs a token:

- ``/log/tile/entries/...`` (entry bundles): an inspector's or an integration client's token;
- ``/log/bundles/{code}`` (a file's evidence bundle): a token that may read that file (the
  inspector, an integration client serving its unit, the unit's officers), the same rule as
  ``/files/{code}/bundle``; the citizen gets their own file's bundle with code and PIN
  (``POST /public/files/{code}/bundle``).

A leaf hash gives nothing away: every entry holds a 64-byte signature, so its hash cannot be
guessed back into the entry. Answers that need a token are cached ``private`` only, and
unknown query parameters are refused here as on every other route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from api.bootstrap import open_log
from api.http.auth import bearer, principal, require_role
from api.http.middleware import no_unknown_query, problem_responses
from api.http.problems import not_found
from api.http.routes.files import bundle_answer, readable
from api.http.schemas.examples import (
    BUNDLE_EXAMPLE,
    CHECKPOINT_EXAMPLE,
    CONSISTENCY_EXAMPLE,
    INCLUSION_EXAMPLE,
)
from api.http.schemas.reads import CODE_PATTERN
from api.http.state import ledger_of
from api.tokens import ApiRole, Principal
from domain.codes import MAX_FILE_CODE_LENGTH, parse_file_code
from ledger.errors import BadTilePath
from ledger.log.jobs import consistency_document, inclusion_document
from ledger.log.storage import TILE_HEIGHT, MerkleLog
from ledger.log.tiles import TILE_WIDTH, TileRef, parse_tile_path

CHECKPOINT_CACHE = "public, max-age=5"  # tlog-tiles: mutable, no caching beyond a few seconds
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"  # may be replaced by the full tile later
FULL_ENTRIES_CACHE = "private, max-age=31536000, immutable"  # never in a shared cache
PARTIAL_ENTRIES_CACHE = "private, max-age=60"
PINNED_PROOF_CACHE = "public, max-age=86400"  # both sizes given: the answer never changes
LATEST_PROOF_CACHE = "public, max-age=5"
OCTETS = "application/octet-stream"
MAX_LEAF = 1 << 62  # beyond any real log; keeps index arithmetic inside a BIGINT
ENTRY_READERS = (ApiRole.INSPECTOR, ApiRole.INTEGRATION)
"""Who may read the log's entries: the whole log, every unit's events, in order."""

router = APIRouter(prefix="/log", tags=["log"], dependencies=[Depends(no_unknown_query)])


def _example(media: str, example: object, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media: {"example": example}}}}


def _log(request: Request) -> MerkleLog:
    return open_log(ledger_of(request))


@router.get(
    "/checkpoint",
    response_class=Response,
    responses=_example("text/plain", CHECKPOINT_EXAMPLE, "C2SP signed note (tlog-checkpoint)"),
)
def checkpoint(request: Request) -> Response:
    """The latest signed checkpoint with every witness cosignature (public)."""
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
    responses={
        **_example(
            OCTETS,
            "<W 32-byte hashes, or W entries each prefixed by a big-endian uint16 length>",
            "C2SP tlog-tiles: a hash tile (public) or an entry bundle (token)",
        ),
        **problem_responses(401, 403, 404, 422),
    },
)
def tile(
    path: str,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """A hash tile ``<L>/<N>[.p/<W>]`` (public), or an entry bundle ``entries/<N>[.p/<W>]``,
    which needs an inspector's or an integration client's token."""
    try:
        ref = parse_tile_path(path)
    except BadTilePath as e:
        raise not_found(f"tile/{path} is not a tile path: {e}") from e
    if ref.level < 0:
        require_role(principal(request, credentials), ENTRY_READERS)
    level = max(ref.level, 0)
    if (ref.index + 1) * TILE_WIDTH ** (level + 1) > MAX_LEAF:
        raise not_found(f"tile/{path} lies beyond the log")
    body = _tile_bytes(_log(request), ref)
    if ref.level < 0:
        cache = FULL_ENTRIES_CACHE if ref.full else PARTIAL_ENTRIES_CACHE
        headers = {"Cache-Control": cache, "Vary": "Authorization"}
    else:
        headers = {"Cache-Control": FULL_TILE_CACHE if ref.full else PARTIAL_TILE_CACHE}
    return Response(body, media_type=OCTETS, headers=headers)


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
    responses={
        **_example("application/json", BUNDLE_EXAMPLE, "A hoso-bundle/v2 evidence bundle"),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
def bundle(
    request: Request,
    code: Annotated[str, Path(pattern=CODE_PATTERN, max_length=MAX_FILE_CODE_LENGTH)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """The file's evidence bundle at the latest checkpoint, for ``hoso verify`` offline: for a
    token that may read the file (the citizen: ``POST /public/files/{code}/bundle``)."""
    who: Principal = principal(request, credentials)
    if not (who.reads_everything() or who.acts_for(parse_file_code(code).unit)):
        readable(request, who, code)  # a file handed to the caller from another unit
    return bundle_answer(_log(request), code)


def _proof(doc: dict[str, Any], *, pinned: bool) -> JSONResponse:
    cache = PINNED_PROOF_CACHE if pinned else LATEST_PROOF_CACHE
    return JSONResponse(doc, headers={"Cache-Control": cache})
