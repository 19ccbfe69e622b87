"""The service's shutdown: what its lifespan started stops with it (regression: the batch
intake's verifying threads outlived the app)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.http.app import create_app
from api.http.state import state_of
from api.tokens import ApiRole, create_token
from ledger.chain.intake import Intake
from signing import KeyDirectory, b64, unb64
from signing.registry import Role
from tests.support.cast import T0, UNIT
from tests.support.clock import Clock
from tests.support.http import COMMANDS_ORIGIN, RECEIPT, START


def verifying_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("hoso-verify")}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: a batch is verified inline")
def test_the_batch_intake_stops_its_threads_at_shutdown(tmp_path: Path) -> None:
    settings = init_data_dir(
        tmp_path / "d", origin=COMMANDS_ORIGIN, db=None, at=T0, seed=b"\x01" * 32
    )
    keys = KeyDirectory(settings.keys_dir)
    officer = keys.create("an", bytes([20]) * 32)
    ledger = open_ledger(settings)
    try:
        kid = ledger.register_key(
            signer=keys.signer(AUTHORITY),
            actor=AUTHORITY,
            holder="an",
            role=Role.OFFICER,
            unit=UNIT,
            public_key=officer.public_key,
            valid_from=T0,
            at=T0,
        )
        tokens = {
            who: create_token(ledger.store, actor=who, role=role, unit=UNIT, now=T0).token
            for who, role in [("an", ApiRole.OFFICER), ("portal", ApiRole.INTEGRATION)]
        }
    finally:
        ledger.store.close()
    before = verifying_threads()
    app = create_app(settings, integrate_every=None)
    with TestClient(app) as http:
        state_of(app).ledger.clock = Clock(START)  # type: ignore[union-attr]

        def post(who: str, path: str, body: dict[str, Any]) -> Any:
            return http.post(path, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})

        code = post("an", "/files", RECEIPT).json()["code"]
        to = {"officer": "binh", "department": "tu-phap", "agency": UNIT}
        r = post("portal", f"/files/{code}/prepare/hand-off", {"to_desk": to, "actor": "an",
                                                               "key_id": kid})  # fmt: skip
        prepared = r.json()
        sig = b64(officer.sign(unb64(prepared["signing_message"])))
        r = post("portal", "/batch", {"envelopes": [{**prepared["envelope"], "sig": sig}]})
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == ["stored"]
        assert isinstance(state_of(app).batch_intake, Intake)
        started = verifying_threads() - before
        assert started, "the batch's signatures were checked in the intake's own threads"
    assert [t.name for t in started if t.is_alive()] == []
    assert state_of(app).batch_intake is None
