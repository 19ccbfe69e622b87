"""The database going away under the running service, and the service restarting.

"Stopping PostgreSQL" is a small in-process TCP proxy between the service and the real server
closing its listener and dropping every connection (the real server is shared with other tests
and keeps running). While it is down every request is a 503 problem with Retry-After; once it
is back the service serves again by itself, and nothing written before is lost.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import integrate_and_checkpoint, open_ledger
from api.http.app import create_app
from api.settings import Settings, load_settings
from api.tokens import ApiRole, create_token
from ledger.log.merkle import verify_consistency
from ledger.store.events import parse_postgres_url
from tests.support.cast import T0, UNIT
from tests.support.http import project, receive, receive_many, small_ledger
from tests.support.problems import assert_problem


class Proxy:
    """127.0.0.1:<port> -> target, with threads; ``stop`` drops everything, ``start`` re-listens
    on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def proxied(pg_schema: str) -> Iterator[tuple[str, Proxy]]:
    target = parse_postgres_url(pg_schema)
    proxy = Proxy((target.host, target.port))
    proxy.start()
    url = pg_schema.replace(f"@{target.host}:{target.port}/", f"@127.0.0.1:{proxy.port}/")
    assert url != pg_schema
    try:
        yield url, proxy
    finally:
        proxy.stop()


def eager(settings: Settings) -> Settings:
    """Checkpoint whenever the log has grown (the default waits a minute)."""
    return replace(settings, checkpoint_every_seconds=0)


def _wait_for(
    client: TestClient, path: str, headers: dict[str, str], status: int, within: float = 30
) -> Any:
    deadline = time.monotonic() + within
    while (r := client.get(path, headers=headers)).status_code != status:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.2)
    return r


@pytest.mark.postgres
def test_database_outage_gives_503_and_recovers(tmp_path: Path, proxied: tuple[str, Proxy]) -> None:
    url, proxy = proxied
    settings, ledger, officer = small_ledger(tmp_path / "d", url)
    try:
        receipts = [receive(ledger, officer, i) for i in range(3)]
        integrate_and_checkpoint(settings, ledger, force=True)
        project(settings, ledger)
        token = create_token(
            ledger.store, actor="thanhtra", role=ApiRole.INSPECTOR, unit="PINSPECT", now=T0
        ).token
    finally:
        ledger.store.close()
    auth = {"Authorization": f"Bearer {token}"}
    code, pin = receipts[0].code, receipts[0].pin
    paths = [
        (f"/files/{code}", auth),
        (f"/files/{code}/history", auth),
        ("/feed?limit=1000", auth),
        (f"/queues/{UNIT}", auth),
        (f"/public/files/{code}?pin={pin}", {}),
        ("/log/checkpoint", {}),
    ]
    with TestClient(
        create_app(eager(settings), integrate_every=0.2), raise_server_exceptions=False
    ) as c:
        before = {p: c.get(p, headers=h) for p, h in paths}
        assert all(r.status_code == 200 for r in before.values()), before
        proxy.stop()  # PostgreSQL is gone
        # While down each request waits for the pool's connect timeout (5 s) before its 503.
        for p, h in (paths[0], paths[4], paths[5]):
            r = c.get(p, headers=h)
            assert_problem(r, 503, "unavailable")
            assert int(r.headers["retry-after"]) > 0
            assert "Traceback" not in r.text and "127.0.0.1" not in r.text
        proxy.start()  # PostgreSQL is back
        _wait_for(c, paths[0][0], auth, 200, within=10)  # the pool gives up retrying fast
        after = {p: c.get(p, headers=h) for p, h in paths}
        assert all(r.status_code == 200 for r in after.values()), after
        for p, _h in paths[:3]:
            assert after[p].json() == before[p].json()
        # New writes are integrated and checkpointed by the surviving background integrator.
        again = open_ledger(settings)
        try:
            receive_many(again, officer, 1)
        finally:
            again.store.close()
        deadline = time.monotonic() + 30
        while True:
            size = int(c.get("/log/checkpoint").text.split("\n")[1])
            if size > int(before["/log/checkpoint"].text.split("\n")[1]):
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_restart_loses_nothing_and_the_log_continues(tmp_path: Path, db_url: str | None) -> None:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        receipts = [receive(ledger, officer, i) for i in range(3)]
        project(settings, ledger)
        token = create_token(
            ledger.store, actor="thanhtra", role=ApiRole.INSPECTOR, unit="PINSPECT", now=T0
        ).token
    finally:
        ledger.store.close()
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(eager(settings), integrate_every=0.1)) as first:
        old = _wait_for(first, "/log/checkpoint", {}, 200).text
        files = {r.code: first.get(f"/files/{r.code}", headers=auth).json() for r in receipts}
        feed = first.get("/feed", params={"limit": 1000}, headers=auth).json()
    again = open_ledger(load_settings(settings.data_dir, db_url))
    try:
        receive_many(again, officer, 2)
        again.execute(
            receipts[0].code,
            signer=officer,
            actor="an",
            at=T0 + timedelta(hours=3),
            command=lambda f: f.request_supplement(
                actor="an", items=("Bản sao CCCD",), reason="thiếu", at=T0 + timedelta(hours=3)
            ),
        )
    finally:
        again.store.close()
    old_size, old_root = int(old.split("\n")[1]), base64.b64decode(old.split("\n")[2])
    with TestClient(
        create_app(eager(load_settings(settings.data_dir, db_url)), integrate_every=0.1)
    ) as c:
        for code, doc in files.items():
            now = c.get(f"/files/{code}", headers=auth).json()
            assert now["received_at"] == doc["received_at"]
            assert now["version"] >= doc["version"]
        new_feed = c.get("/feed", params={"limit": 1000}, headers=auth).json()
        assert new_feed["items"][: len(feed["items"])] == feed["items"]
        deadline = time.monotonic() + 30
        while (new := c.get("/log/checkpoint").text) and int(new.split("\n")[1]) < old_size + 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        new_size, new_root = int(new.split("\n")[1]), base64.b64decode(new.split("\n")[2])
        doc = c.get("/log/proofs/consistency", params={"from": old_size, "to": new_size}).json()
        proof = [base64.b64decode(p) for p in doc["proof"]]
        verify_consistency(old_size, new_size, proof, old_root, new_root)
        assert [i["leaf_index"] for i in new_feed["items"]] == list(range(len(new_feed["items"])))
