"""The witness over HTTP: C2SP tlog-witness ``POST /add-checkpoint``, and ``GET /`` about it.

``GET /<sha256(origin) hex>/checkpoint`` serves the last checkpoint cosigned for that log (the
spec's monitoring API). ``add-checkpoint`` answers as the spec says: 200 with the cosignature
line(s); 409 ``text/x.tlog.size`` with the size last cosigned (wrong old size); 404 unknown log;
403 no valid log signature; 422 bad consistency proof, or a second root for the size already
cosigned (a split view); 400 malformed or a rollback; 413 too large. Every error other than 409
is problem+json (kinds and titles in ``api.errors``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response

from api.errors import Problem, witness_answer
from api.http import problems
from api.http.problems import answer_problem, problem_response
from ledger.witness.cosigner import SIZE_CONTENT_TYPE, Witness, parse_add_checkpoint_body
from ledger.witness.errors import WitnessConflict, WitnessError

MAX_BODY = 64 * 1024
SIGNATURES = "text/plain; charset=utf-8"


async def _on_witness_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WitnessError)
    return problem_response(answer_problem(witness_answer(exc), exc), request.url.path)


def _size_answer(size: int) -> Response:
    """409 with the size last cosigned: the exact media type, no charset parameter."""
    return Response(
        f"{size}\n".encode("ascii"),
        status_code=409,
        headers={"Content-Type": SIZE_CONTENT_TYPE, "Cache-Control": "no-store"},
    )


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Problem(413, "too-large", "Request too large", f"the body limit is {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Problem(
                413, "too-large", "Request too large", f"the body limit is {MAX_BODY} bytes"
            )
    return bytes(body)


def create_witness_app(witness: Witness, *, clock: Callable[[], int] | None = None) -> FastAPI:
    """The service of one witness; ``clock`` gives the cosignature time (POSIX seconds)."""
    now = clock or (lambda: int(time.time()))
    app = FastAPI(
        title="hoso witness",
        summary=f"Witness {witness.name}: cosigns checkpoints (C2SP tlog-witness).",
    )
    problems.install(app)
    app.add_exception_handler(WitnessError, _on_witness_error)

    @app.post("/add-checkpoint", response_class=Response)
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint consistent with the last one cosigned for its log."""
        body = await _read_body(request)
        try:
            old, proof, note = parse_add_checkpoint_body(body)
            signature = await anyio.to_thread.run_sync(
                witness.add_checkpoint, old, proof, note, now()
            )
        except WitnessConflict as e:
            return _size_answer(e.current_size)
        return Response(
            signature.line().encode("utf-8"),
            media_type=SIGNATURES,
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/{origin_hash}/checkpoint", response_class=Response)
    def latest_cosigned(origin_hash: str) -> Response:
        """The last checkpoint cosigned for the log whose origin hashes (SHA-256, lowercase
        hex) to ``origin_hash``, with its log signature and this witness's cosignature."""
        note = witness.latest_cosigned(origin_hash)
        if note is None:
            raise Problem(404, "not-found", "Not found", "this witness cosigned no such log")
        return Response(note.encode("utf-8"), media_type=SIGNATURES)

    @app.get("/")
    def about() -> dict[str, Any]:
        """Who this witness is and the logs it follows, with the size it last cosigned."""
        state = witness.state()
        return {
            "name": witness.name,
            "vkey": witness.vkey(),
            "logs": [
                {"origin": origin, "vkey": rec.vkey, "size": rec.size}
                for origin, rec in sorted(state.logs.items())
            ],
        }

    return app
