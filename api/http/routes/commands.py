"""Commands over HTTP: every lifecycle action of a file, in two signing modes that produce the
same envelope.

Server-side (``POST /files``, ``POST /files/{code}/<action>``): the caller is the acting officer
or leader; the server signs with that actor's key from its key directory (``settings.keys_dir``),
at the server's clock. Client-side (``POST /files/prepare-receipt``,
``POST /files/{code}/prepare/<action>``, then ``POST /files/{code}/events``): the server prepares
the unsigned envelope, the officer signs ``signing_message`` with their own key, and the server
checks the signature, the key registry, the domain rule, that ``prev_hash`` is the file's head
(else 409) and that ``occurred_at`` lies within the service's ``max_skew`` (5 minutes) of
its clock, then stores it with its own receipt time ``recorded_at`` beside it.

A file's chain hash is over what the actor signed and sent, not the server's ``recorded_at``, so
a client can chain several envelopes of one file (each ``prev_hash`` = SHA-256 of the previous
envelope's RFC 8785 JSON with ``sig`` and without ``recorded_at``) and send them together.

``POST /batch`` takes many client-signed envelopes from an integration client: grouped by file
in order of appearance, each file all or nothing, idempotent (an envelope already stored is
``already-stored`` and nothing is stored twice). It answers 200 when every file was stored or
already stored, 207 Multi-Status when some were refused; each file's result says which.

A prepared receipt reserves its code and stores a new applicant's sealing key at once: a
reservation never submitted leaves only that random key and a skipped number, no event.
Every refusal is RFC 9457 problem+json (``api.http.problems``) and nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.http.problems import PROBLEM_JSON
from api.http.routes.commands_batch import batch
from api.http.routes.commands_client import prepare_action, prepare_receipt, submit_events
from api.http.routes.commands_server import ReissuedPinOut, receive, reissue_pin, server_action
from api.http.schemas.actions import ACTIONS, ActionBody
from api.http.schemas.envelopes import (
    BatchOut,
    EventsOut,
    FileResult,
    PreparedOut,
    PreparedReceiptOut,
)
from api.http.schemas.receipts import ReceiptOut
from api.settings import Settings
from signing import KeyDirectory


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {}}}


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No or an unknown bearer token."),
    403: _problem("Not allowed: role, unit, or a signature/key the registry refuses."),
    404: _problem("No such file."),
    409: _problem("The file changed first (stale prev_hash) or its state forbids the action."),
    422: _problem("Invalid body or value, or a refused envelope (skew, rule, form)."),
}


# --------------------------------------------------------------------------- the router
def _name(action: type[ActionBody]) -> str:
    return action.path.replace("-", "_")


def router_for(settings: Settings) -> APIRouter:
    """The command routes; the server signs with the keys in ``settings.keys_dir``."""
    keys = KeyDirectory(settings.keys_dir)
    router = APIRouter(tags=["commands"], responses=RESPONSES)
    router.add_api_route(
        "/files", receive(keys), methods=["POST"], status_code=201, response_model=ReceiptOut
    )
    router.add_api_route(
        "/files/prepare-receipt",
        prepare_receipt,
        methods=["POST"],
        response_model=PreparedReceiptOut,
    )
    for action in ACTIONS:
        router.add_api_route(
            f"/files/{{code}}/{action.path}",
            server_action(action, keys),
            methods=["POST"],
            status_code=201,
            response_model=EventsOut,
            summary=action.summary,
            name=_name(action),
        )
        router.add_api_route(
            f"/files/{{code}}/prepare/{action.path}",
            prepare_action(action),
            methods=["POST"],
            response_model=PreparedOut,
            summary=f"Prepare: {action.summary}",
            name="prepare_" + _name(action),
        )
    router.add_api_route(
        "/files/{code}/reissue-pin",
        reissue_pin(keys),
        methods=["POST"],
        status_code=201,
        response_model=ReissuedPinOut,
        summary="Reissue the citizen's lookup PIN",
    )
    router.add_api_route(
        "/files/{code}/events",
        submit_events,
        methods=["POST"],
        status_code=201,
        response_model=FileResult,
        responses={200: {"description": "Every envelope was already stored.", "model": FileResult}},
    )
    router.add_api_route(
        "/batch",
        batch,
        methods=["POST"],
        response_model=BatchOut,
        responses={207: {"description": "Some files were refused.", "model": BatchOut}},
    )
    return router
