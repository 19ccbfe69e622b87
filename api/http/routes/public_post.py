"""The citizen's lookups with the PIN in a POST body (issue 16), never in a URL, so it reaches
no access log, no browser history and no proxy's cache: the status view
(``POST /public/files/{code}/lookup``, the same answer as the GET) and the citizen's own
evidence bundle (``POST /public/files/{code}/bundle``): the code and PIN on the receipt open the
same ``hoso-bundle/v2`` document an inspector gets, so the citizen (or anyone they hand it to)
can check their file's whole history offline with ``hoso verify``.
 The route
shares the lookup's guards (``api.http.routes.public``: its router's rate limit, the same PIN
check through ``citizen_answer`` and the same 404 for an unknown code and a wrong PIN). The
bundle holds no personal data in clear: the applicant's fields and all free text are sealed.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap import open_log
from api.http.middleware import problem_responses
from api.http.routes import public as routes_public
from api.http.routes.common import Code
from api.http.routes.files import BUNDLE_RESPONSE, bundle_answer
from api.http.state import ledger_of

router = APIRouter(
    prefix="/public", tags=["public"], dependencies=list(routes_public.router.dependencies)
)


class PinBody(BaseModel):
    """The PIN printed on the receipt."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"pin": "048213"}]})
    pin: str = Field(pattern=r"^[0-9]{6}$", min_length=6, max_length=6)


@router.post(
    "/files/{code}/lookup",
    summary="Look up a file with its code and PIN (the PIN in the body)",
    description="The citizen's status view, as `GET /public/files/{code}` answers it, with the "
    "PIN in the body. An unknown code and a wrong PIN give the same 404; 429 `pin-locked` "
    "after too many wrong PINs on the code (even for the right one, until the time given or "
    "until the PIN is reissued at the counter); rate limited per client address.",
    response_model=routes_public.CitizenView,
    responses=problem_responses(404, 422, 429, 503),
)
async def citizen_lookup(
    request: Request,
    code: Code,
    body: PinBody,
) -> Response:
    answer = await routes_public.citizen_answer(request, code, body.pin)
    if answer is None:
        raise routes_public.no_such_file()
    return Response(answer, media_type="application/json")


@router.post(
    "/files/{code}/bundle",
    summary="The citizen's own evidence bundle, with the code and PIN",
    description="The file's `hoso-bundle/v2` evidence bundle (every event with its inclusion "
    "proof, the checkpoint and the proof of the file's head) for `hoso verify` offline. An "
    "unknown code and a wrong PIN give the same 404; rate limited like the lookup. 409 with "
    "Retry-After while a checkpoint does not yet cover every event of the file; 429 "
    "`pin-locked` as for the lookup.",
    responses={200: BUNDLE_RESPONSE, **problem_responses(404, 409, 422, 429, 503)},
    response_class=JSONResponse,
)
async def citizen_bundle(
    request: Request,
    code: Code,
    body: PinBody,
) -> JSONResponse:
    if await routes_public.citizen_answer(request, code, body.pin) is None:
        raise routes_public.no_such_file()
    return await anyio.to_thread.run_sync(bundle_answer, open_log(ledger_of(request)), code)
