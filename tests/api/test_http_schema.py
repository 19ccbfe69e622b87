"""Schemathesis over the whole OpenAPI document: no 5xx, and every answer (problems included)
conforms to the schema and to the statuses it declares.

The app runs its lifespan once (the ledger is opened) inside a ``TestClient`` context; schemathesis
calls the same ASGI app, so it sees the same open ledger. A bearer token is injected: an
inspector's for every operation, an officer's for the reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.bootstrap import integrate_and_checkpoint
from api.http.app import create_app
from api.http.limits import AddressLimit
from api.http.state import state_of
from api.tokens import ApiRole, create_token
from domain.events import Desk
from signing import KeyDirectory
from tests.support.cast import T0, UNIT
from tests.support.http import documented_body, project, receive, small_ledger

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
TOKENS: dict[str, str] = {}
KNOWN: dict[str, str] = {"unit": UNIT}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings_, ledger, officer = small_ledger(tmp_path_factory.mktemp("schema") / "d", None)
    try:
        receipts = [receive(ledger, officer, i) for i in range(3)]
        at = T0 + timedelta(hours=2)
        ledger.execute(
            receipts[0].code,
            signer=officer,
            actor="an",
            at=at,
            command=lambda f: f.hand_off(
                actor="an", to=Desk("", "tu-phap", UNIT), note="chứng thực", at=at
            ),
        )
        KNOWN["code"] = receipts[0].code
        # The server holds an's key (small_ledger registered signer(3)): server-signed
        # commands reach the domain's checks with whatever the body holds.
        KeyDirectory(settings_.keys_dir).create("an", bytes([3]) * 32)
        integrate_and_checkpoint(settings_, ledger, force=True)
        project(settings_, ledger)
        for name, actor, role in [
            ("inspector", "thanhtra", ApiRole.INSPECTOR),
            ("officer", "an", ApiRole.OFFICER),
        ]:
            TOKENS[name] = create_token(
                ledger.store, actor=actor, role=role, unit=UNIT, now=T0
            ).token
        app = create_app(settings_, integrate_every=None)
        with TestClient(app):
            state_of(app).lookup_limit = AddressLimit(
                1e9, 10**9
            )  # exercise lookups, not the limiter
            yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        ledger.store.close()


def _fuzz(schema: Any, token: str, *, methods: tuple[str, ...], examples: int) -> list[str]:
    """Every operation of ``schema`` with ``methods``, ``examples`` generated cases each, then
    again with real path parameters (random codes only ever find 404s); the failures found."""
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    runs = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in methods:
            continue
        runs.append((operation, operation.as_strategy()))
        known = {k: v for k, v in KNOWN.items() if "{" + k + "}" in operation.path}
        if known:
            runs.append((operation, operation.as_strategy(path_parameters=known)))
    for operation, strategy in runs:

        @given(case=strategy)
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as e:
            failures.append(f"{operation.label}: {str(e)[:2000]}")
    return failures


def test_inspector_gets_no_5xx_and_conforming_answers(api_schema: Any) -> None:
    failures = _fuzz(api_schema, TOKENS["inspector"], methods=("GET", "POST"), examples=10)
    assert not failures, "\n\n".join(failures)


def test_officer_reads_conform(api_schema: Any) -> None:
    failures = _fuzz(api_schema, TOKENS["officer"], methods=("GET",), examples=8)
    assert not failures, "\n\n".join(failures)


def test_schema_documents_every_operation(api_schema: Any) -> None:
    raw = api_schema.raw_schema
    for path, item in raw["paths"].items():
        for method, op in item.items():
            assert op.get("summary"), (method, path)
            assert "default" in op["responses"], (method, path)


def _hostile(value: Any) -> Iterator[Any]:
    """``value`` with one text at a time carrying a NUL, or (a date-time) the year 9999."""
    if isinstance(value, dict):
        for key, item in value.items():
            for changed in _hostile(item):
                yield {**value, key: changed}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for changed in _hostile(item):
                yield [*value[:i], changed, *value[i + 1 :]]
    elif isinstance(value, str):
        yield value + "\x00x"
        if len(value) >= 20 and value[4] == "-" and "T" in value:
            yield "9999-12-31T23:59:59Z"
            yield "9999-12-31T23:59:59.999999-12:00"


def test_nul_and_year_9999_in_every_body_get_no_5xx(api_schema: Any) -> None:
    """Issue 16: every documented body, one text at a time made hostile (a NUL; the year 9999
    in a date-time), sent by schemathesis as an officer and as the integration client: a
    clear 4xx, or (where such a value is fine) a success, but never a server error."""
    spec = api_schema.raw_schema
    failures: list[str] = []
    sent = 0
    refused: dict[int, int] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue
        example = documented_body(operation.definition.raw, spec)
        if example is None:
            continue
        path = {k: v for k, v in KNOWN.items() if "{" + k + "}" in operation.path}
        for body in _hostile(example):
            for who in ("officer", "inspector"):
                case = operation.Case(body=body, path_parameters=path or None)
                response = case.call(headers={"Authorization": f"Bearer {TOKENS[who]}"})
                sent += 1
                refused[response.status_code] = refused.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{operation.label} {body!r}: {response.status_code}")
    assert sent > 50, sent
    assert not failures, "\n".join(failures)
    assert refused.get(422, 0) > 20, refused  # the hostile values reached the checks
