"""A result's proof for whoever holds the document (xác thực kết quả, issue 18): the SHA-256
printed in the result's QR code, sent in a POST body, opens the event that signed it with its
inclusion proof and the signed checkpoint (``ledger.log.result_proof``), for the holder's
browser or ``hoso`` to check against the log's published key. The hash is the credential: only
the document's holder knows it, and 256 bits cannot be guessed; the answer is the signing event
alone, whose free text is none. Rate limited like the citizen's lookup."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap import open_log
from api.errors import Problem
from api.http import problems
from api.http.middleware import problem_responses
from api.http.routes import public as routes_public
from api.http.state import ledger_of
from ledger.chain.service import Ledger
from ledger.log.result_proof import result_proof_doc
from projections.models.storage import file_rows

router = APIRouter(
    prefix="/public", tags=["public"], dependencies=list(routes_public.router.dependencies)
)
SHA256 = r"^[0-9a-f]{64}$"
EXAMPLE = {
    "format": "hoso-result-proof/v1",
    "document_sha256": "cd" * 32,
    "entry": "eyJhY3RvciI6ImNodXRpY2giLCJhdCI6IjIwMjYt...",
    "leaf_index": 1204,
    "tree_size": 1731,
    "inclusion_proof": ["3q2+7w...", "yv66vg..."],
    "checkpoint": "demo.hoso.vn/phuong-ba-dinh\n1731\nq83v...\n\n— demo.hoso.vn/... AAEC...\n",
}


class ResultIn(BaseModel):
    """The result document's SHA-256, as its QR code carries it (lowercase hex)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sha256": "cd" * 32}]}
    )
    sha256: str = Field(pattern=SHA256, min_length=64, max_length=64)


def _no_result() -> Problem:
    return problems.not_found("no signed result with this SHA-256 is in the log")


def proof_answer(ledger: Ledger, sha256: str) -> JSONResponse:
    """The proof document of the result ``sha256`` at the latest checkpoint."""
    rows = file_rows(ledger.store, "result_sha256 = ?", (sha256,))
    if not rows:
        raise _no_result()
    verified = ledger.load(rows[0].code)  # every signature and link checked on the way
    signing = [
        e
        for e in verified.envelopes
        if e.type == "ResultSigned" and e.payload.get("document_sha256") == sha256
    ]
    if not signing:
        raise _no_result()
    env = signing[0]
    log = open_log(ledger)
    leaf = log.leaf_index_of(env.stream, env.version)
    latest = log.latest_checkpoint()
    if leaf is None or latest is None or leaf >= latest.size:
        raise problems.not_checkpointed(
            "the result is signed but no signed checkpoint covers it yet; retry shortly"
        )
    (entry,) = log.entries(leaf, leaf + 1)
    doc = result_proof_doc(
        sha256, entry, leaf, latest.size, log.inclusion_proof(leaf, latest.size), latest.note
    )
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


@router.post(
    "/results",
    summary="The proof of a signed result, by its document's SHA-256",
    description="The event that signed the result document whose SHA-256 is given (in the "
    "body), its leaf index and RFC 9162 inclusion proof, and the signed checkpoint they lead "
    "to (`hoso-result-proof/v1`): check the note's signature with the log's key, the proof "
    "against the checkpoint's root and the entry's `document_sha256`, and trust nothing else. "
    "404 when no result of that hash is in the log; 409 with Retry-After until a checkpoint "
    "covers it; rate limited per client address.",
    responses={
        200: {
            "description": "A hoso-result-proof/v1 document",
            "content": {"application/json": {"example": EXAMPLE}},
        },
        **problem_responses(404, 409, 422, 429, 503),
    },
    response_class=JSONResponse,
)
async def result_proof(request: Request, body: ResultIn) -> JSONResponse:
    return await anyio.to_thread.run_sync(proof_answer, ledger_of(request), body.sha256)
