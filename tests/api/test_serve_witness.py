"""The service asks its configured witnesses after each checkpoint (issue 15, point 5): a real
witness (``hoso witness serve``, its own process, real HTTP) cosigns, the cosignature is stored
and lands in the served checkpoint and in bundles; a witness that is down is logged once and the
service keeps integrating, checkpointing and serving. Both backends; the leader of ``hoso serve
--workers`` (PostgreSQL) asks too."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import open_log
from api.http.app import create_app
from api.serve import Leader
from api.settings import Settings, WitnessSetting
from ledger.chain.service import Ledger
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle_report
from ledger.witness.cosigner import Witness
from ledger.witness.policy import policy_from_keys
from signing import generate_private_key, save_private_key_pem
from signing.cosignature import CosignatureSigner, CosignatureVerifier
from signing.note import NoteVerifier, open_note
from tests.support.http import free_port, receive, small_ledger

NAME = "witness.test/served"
DOWN = CosignatureSigner("witness.test/down", generate_private_key(bytes([96]) * 32)).vkey()


@dataclass
class Served:
    settings: Settings
    ledger: Ledger
    officer_receive: Callable[[int], str]
    vkey: str


def wait_for(what: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path, db_url: str | None) -> Iterator[Served]:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    wdir = tmp_path / "w"
    key = generate_private_key(bytes([95]) * 32)
    save_private_key_pem(wdir / "witness.pem", key)
    witness = Witness(NAME, key, wdir / "state.json", create=True)
    assert settings.log_vkey
    witness.add_log(settings.origin, settings.log_vkey)
    port = free_port()
    script = "from api.main import main; main()"
    serve = ["witness", "serve", "--state", str(wdir), "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-c", script, *serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up)
        down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        settings = replace(
            settings,
            witnesses=(WitnessSetting(DOWN, down), WitnessSetting(witness.vkey(), url)),
            witness_timeout_seconds=2.0,
            checkpoint_every_entries=1,
        )
        yield Served(settings, ledger, lambda i: receive(ledger, officer, i).code, witness.vkey())
    finally:
        server.terminate()
        server.wait(timeout=10)
        ledger.close()


def cosigned_size(served: Served) -> int:
    return open_log(served.ledger).last_cosigned_size(NAME)


def assert_cosigned_bundle(served: Served, code: str) -> None:
    log = open_log(served.ledger)
    latest = log.latest_checkpoint()
    assert latest is not None
    bundle = build_bundle(log, code, latest)
    policy = policy_from_keys([served.vkey], 1)
    report = verify_bundle_report(bundle, str(served.settings.log_vkey), witnesses=policy)
    assert report.ok, report.failures
    assert (report.cosignatures, report.witnesses) == (1, (NAME,))


def test_the_service_asks_its_witnesses_after_each_checkpoint(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hoso.witness")
    first = served.officer_receive(0)
    app = create_app(served.settings, integrate_every=0.1)
    with TestClient(app) as http:
        wait_for(lambda: cosigned_size(served) >= open_log(served.ledger).size() > 0)
        note = http.get("/log/checkpoint").text
        witness = CosignatureVerifier.from_vkey(served.vkey)
        log_key = NoteVerifier.from_vkey(str(served.settings.log_vkey))
        assert len(open_note(note, [log_key, witness]).signatures) == 2
        assert_cosigned_bundle(served, first)

        size = cosigned_size(served)
        second = served.officer_receive(1)  # the dead witness does not hold anything up
        wait_for(lambda: cosigned_size(served) > size)
        assert http.get("/log/checkpoint").status_code == 200
        assert_cosigned_bundle(served, second)
    down = [r for r in caplog.records if "witness.test/down" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in caplog.records]  # logged once, not per try
    assert down[0].levelno == logging.WARNING and "did not cosign" in down[0].getMessage()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # the leader needs PostgreSQL
def test_the_leader_of_serve_workers_asks_the_witnesses(served: Served) -> None:
    code = served.officer_receive(0)
    leader = Leader(served.settings, every=0.1)
    leader.start()
    try:
        wait_for(lambda: cosigned_size(served) >= open_log(served.ledger).size() > 0)
    finally:
        leader.stop()
    assert_cosigned_bundle(served, code)
