"""The Merkle log over HTTP, checked by a client written only from the specs.

The client below (``spec_*``) knows C2SP tlog-tiles, tlog-checkpoint and signed-note, and RFC 9162;
it uses hashlib, base64 and cryptography only, never the project's merkle or note modules.
SQLite and PostgreSQL run the same tests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from api.bootstrap import integrate_and_checkpoint, open_services
from api.http.app import create_app
from ledger.errors import BadTilePath, StoreError
from ledger.log.storage import MerkleLog
from ledger.log.tiles import encode_index, parse_tile_path
from tests.support.cli import hoso
from tests.support.http import Demo, receive_many, small_ledger
from tests.support.problems import assert_problem


# ------------------------------------------------------ a client written from the specs only
def spec_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def spec_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def spec_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1 MTH over leaf hashes: split at the largest power of two below n."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return spec_node(spec_root(leaves[:k]), spec_root(leaves[k:]))


def spec_verify_inclusion(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = spec_node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = spec_node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def spec_verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if size1 == size2:
        return not path and root1 == root2
    if size1 < 1 or size1 > size2 or not path:
        return False
    if size1 & (size1 - 1) == 0:
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = spec_node(c, fr), spec_node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = spec_node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root1 and sr == root2 and sn == 0


def spec_open_note(note: str, vkey: str) -> str:
    """C2SP signed-note with an Ed25519 vkey ``name+hex(keyid)+base64(0x01 || key)``."""
    name, key_hash, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64, validate=True)
    assert key[0] == 0x01 and len(key) == 33
    key_id = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    assert key_id.hex() == key_hash
    text, sep, signatures = note.rpartition("\n\n")
    assert sep and signatures.endswith("\n")
    text += "\n"
    verified = False
    for line in signatures[:-1].split("\n"):
        assert line.startswith("\u2014 "), line
        sig_name, sig_b64 = line[2:].split(" ")
        raw = base64.b64decode(sig_b64, validate=True)
        if sig_name == name and raw[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())
            verified = True
    assert verified, "no signature by the log's key"
    return text


def spec_index_path(n: int) -> str:
    """tlog-tiles: 3-digit groups, all but the last prefixed with x."""
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def spec_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        n = int.from_bytes(data[at : at + 2], "big")
        entries.append(data[at + 2 : at + 2 + n])
        at += 2 + n
    assert at == len(data)
    return entries


@dataclass
class Seen:
    origin: str
    size: int
    root: bytes
    leaves: list[bytes]  # from the public hash tiles
    entries: list[bytes]  # from the entry bundles (only with a token)


def spec_client(http: Any, vkey: str, token: str | None = None) -> Seen:
    """Fetch and verify the checkpoint and every level-0 hash tile with no token, recompute the
    root from the hashes alone (what a witness or monitor can do in public); with a ``token``,
    also every entry bundle, each entry hashing to its leaf."""
    r = http.get("/log/checkpoint")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    origin, size_text, root_b64, *_extensions = spec_open_note(r.text, vkey).split("\n")
    size, root = int(size_text), base64.b64decode(root_b64, validate=True)
    leaves: list[bytes] = []
    entries: list[bytes] = []
    full, rest = divmod(size, 256)
    for n in range(full + (1 if rest else 0)):
        width = 256 if n < full else rest
        path = spec_index_path(n) + ("" if width == 256 else f".p/{width}")
        tile = http.get(f"/log/tile/0/{path}")
        assert tile.status_code == 200, path
        assert tile.headers["content-type"] == "application/octet-stream"
        assert len(tile.content) == 32 * width
        hashes = [tile.content[32 * i : 32 * i + 32] for i in range(width)]
        leaves.extend(hashes)
        if token is None:
            continue
        bundle = http.get(f"/log/tile/entries/{path}", headers={"Authorization": f"Bearer {token}"})
        assert bundle.status_code == 200, path
        got = spec_bundle(bundle.content)
        assert [spec_leaf(entry) for entry in got] == hashes, n
        entries.extend(got)
    assert spec_root(leaves) == root
    return Seen(origin, size, root, leaves, entries)


def inspector_token(data: Path) -> str:
    """The demo's inspector token (``demo-credentials.json``)."""
    creds = orjson.loads((data / "demo-credentials.json").read_bytes())
    token: str = creds["tokens"]["inspector"]["token"]
    return token


# ---------------------------------------------------------------------------------- tests
def test_spec_client_verifies_the_demo_log(http: TestClient, demo: Demo) -> None:
    seen = spec_client(http, demo.vkey, inspector_token(demo.data))
    assert seen.origin == demo.settings.origin
    assert seen.size > 1000  # a demo day: several full tiles and a partial one
    full = seen.size // 256
    level1 = http.get(f"/log/tile/1/000.p/{full}")  # each hash: the MTH of one full level-0 tile
    assert level1.status_code == 200
    leaves = seen.leaves
    for i in range(full):
        assert level1.content[32 * i : 32 * i + 32] == spec_root(leaves[256 * i : 256 * i + 256])


def test_caching_headers_and_partial_versus_full(http: TestClient, demo: Demo) -> None:
    assert "max-age=5" in http.get("/log/checkpoint").headers["cache-control"]
    full, rest = divmod(int(http.get("/log/checkpoint").text.split("\n")[1]), 256)
    assert full >= 2 and rest > 0
    auth = {"Authorization": f"Bearer {inspector_token(demo.data)}"}
    # Hash tiles are public and cacheable by anyone; entry bundles need a token (issue 16),
    # so no shared cache may keep them.
    for kind, headers, scope in (("0", {}, "public"), ("entries", auth, "private")):
        whole = http.get(f"/log/tile/{kind}/001", headers=headers)
        assert whole.status_code == 200
        assert whole.headers["cache-control"] == f"{scope}, max-age=31536000, immutable"
        part = http.get(f"/log/tile/{kind}/{spec_index_path(full)}.p/{rest}", headers=headers)
        assert part.status_code == 200
        assert part.headers["cache-control"] == f"{scope}, max-age=60"
        missing = http.get(f"/log/tile/{kind}/{spec_index_path(full)}", headers=headers)
        assert_problem(missing, 404, "not-found")
        too_wide = f"/log/tile/{kind}/{spec_index_path(full)}.p/{rest + 1}"
        assert_problem(http.get(too_wide, headers=headers), 404, "not-found")
    assert http.get("/log/tile/entries/001", headers=auth).headers["vary"] == "Authorization"
    head = http.get("/log/tile/0/001.p/7")  # a prefix of a full tile is still the same hashes
    assert head.content == http.get("/log/tile/0/001").content[: 7 * 32]
    assert len(http.get("/log/tile/0/000").content) == 8192
    assert_problem(http.get("/log/tile/1/000"), 404, "not-found")  # needs 65,536 leaves


@pytest.mark.parametrize(
    "path",
    [
        "0/1",
        "0/01",
        "0/0001",
        "00/000",
        "01/000",
        "0/x000/001",
        "0/x001",
        "0/001/x001",
        "0/y001/000",
        "0/000.p",
        "0/000.p/0",
        "0/000.p/012",
        "0/000.p/256",
        "0/000.p/1/2",
        "0/000/.p/1",
        "64/000",
        "-1/000",
        "0/-01",
        "entries/1",
        "entries/x000/000",
        "entries",
        "0",
        "0/+01",
        "0/\u0661\u0662\u0663",
    ],
)
def test_non_canonical_tile_paths_are_refused(http: TestClient, path: str) -> None:
    body = assert_problem(http.get(f"/log/tile/{path}"), 404, "not-found")
    assert body["instance"].startswith("/log/tile/")


def test_tile_index_encoding_round_trips() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000" and encode_index(1000) == "x001/000"
    for n in (0, 5, 999, 1000, 1001, 999_999, 1_000_000, 1234067, 10**12 + 7):
        assert encode_index(n) == spec_index_path(n)
        assert parse_tile_path(f"3/{encode_index(n)}.p/9").index == n
    with pytest.raises(BadTilePath):
        parse_tile_path("0/x000/005")


def test_inclusion_and_consistency_proofs_verify(http: TestClient, demo: Demo) -> None:
    seen = spec_client(http, demo.vkey)  # public: hashes only
    leaves = seen.leaves
    for index in (0, 1, 255, 256, seen.size // 2, seen.size - 1):
        r = http.get("/log/proofs/inclusion", params={"index": index, "size": seen.size})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert (doc["leaf_index"], doc["tree_size"]) == (index, seen.size)
        path = [base64.b64decode(p) for p in doc["proof"]]
        assert spec_verify_inclusion(leaves[index], index, seen.size, path, seen.root)
    latest = http.get("/log/proofs/inclusion", params={"index": 3}).json()
    assert latest["tree_size"] == seen.size  # default: the latest checkpoint
    for size1 in (1, 2, 7, 256, 300, seen.size - 1, seen.size):
        r = http.get("/log/proofs/consistency", params={"from": size1, "to": seen.size})
        assert r.status_code == 200, r.text
        doc = r.json()
        root1 = base64.b64decode(doc["root1"])
        assert root1 == spec_root(leaves[:size1])
        assert base64.b64decode(doc["root2"]) == seen.root
        path = [base64.b64decode(p) for p in doc["proof"]]
        assert spec_verify_consistency(size1, seen.size, root1, seen.root, path)
        assert not spec_verify_consistency(size1, seen.size, root1, leaves[0], path)


def test_bad_proof_requests_are_problems(http: TestClient, demo: Demo) -> None:
    size = int(http.get("/log/checkpoint").text.split("\n")[1])
    get = http.get
    assert_problem(
        get("/log/proofs/inclusion", params={"index": size, "size": size}), 400, "out-of-range"
    )
    assert_problem(
        get("/log/proofs/inclusion", params={"index": 0, "size": 10**9}), 400, "out-of-range"
    )
    assert_problem(
        get("/log/proofs/consistency", params={"from": size, "to": size - 1}), 400, "out-of-range"
    )
    bad = assert_problem(
        get("/log/proofs/inclusion", params={"index": "abc"}), 422, "invalid-request"
    )
    assert bad["errors"][0]["where"] == "query.index"
    assert "abc" not in str(bad["errors"])
    missing = assert_problem(get("/log/proofs/inclusion"), 422, "invalid-request")
    assert "query.index" in missing["detail"]
    assert_problem(get("/log/proofs/consistency", params={"from": 0}), 422, "invalid-request")
    assert_problem(get("/log/nothing-here"), 404, "not-found")
    assert_problem(http.post("/log/checkpoint"), 405, "method-not-allowed")


def test_append_only_seen_by_the_spec_client(tmp_path: Path, db_url: str | None) -> None:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        with TestClient(create_app(settings, integrate_every=None)) as client:
            assert_problem(client.get("/log/checkpoint"), 404, "not-found")
            receive_many(ledger, officer, 300)
            assert integrate_and_checkpoint(settings, ledger, force=True) is not None
            assert settings.log_vkey
            old = spec_client(client, settings.log_vkey)
            assert old.size > 300
            receive_many(ledger, officer, 40)
            assert integrate_and_checkpoint(settings, ledger) is None  # not due yet
            integrate_and_checkpoint(settings, ledger, force=True)
            new = spec_client(client, settings.log_vkey)
            assert new.size == old.size + 40
            assert new.leaves[: old.size] == old.leaves
            assert spec_root(new.leaves[: old.size]) == old.root
            r = client.get("/log/proofs/consistency", params={"from": old.size, "to": new.size})
            doc = r.json()
            proof = [base64.b64decode(p) for p in doc["proof"]]
            assert spec_verify_consistency(old.size, new.size, old.root, new.root, proof)
    finally:
        ledger.store.close()


def test_background_integrator_signs_a_checkpoint(tmp_path: Path) -> None:
    settings, ledger, officer = small_ledger(tmp_path / "d", None)
    receive_many(ledger, officer, 3)
    ledger.store.close()
    with TestClient(create_app(settings, integrate_every=0.05)) as client:
        deadline = time.monotonic() + 20
        while (r := client.get("/log/checkpoint")).status_code != 200:
            assert time.monotonic() < deadline, r.text
            time.sleep(0.05)
        assert settings.log_vkey
        assert spec_client(client, settings.log_vkey).size >= 3


def test_failures_are_problems_without_traces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, ledger, _officer = small_ledger(tmp_path / "d", None)
    ledger.store.close()
    app = create_app(settings, integrate_every=None)
    with TestClient(app, raise_server_exceptions=False) as client:

        def down(self: MerkleLog) -> None:
            raise StoreError("connection refused by db.internal:5432 password=hunter2")

        monkeypatch.setattr(MerkleLog, "latest_checkpoint", down)
        r = client.get("/log/checkpoint")
        assert_problem(r, 503, "unavailable")
        assert r.headers["retry-after"] == "5" and "hunter2" not in r.text

        def boom(self: MerkleLog) -> None:
            raise RuntimeError("secret internals")

        monkeypatch.setattr(MerkleLog, "latest_checkpoint", boom)
        r = client.get("/log/checkpoint")
        assert_problem(r, 500, "internal")
        assert "secret" not in r.text


def test_log_key_is_a_note_verifier_key(demo: Demo) -> None:
    result = hoso("log", "key", "--data", str(demo.data))
    assert result.returncode == 0, result.stderr
    line = result.stdout
    assert re.fullmatch(r"[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}\n", line), line
    name, key_hash, key_b64 = line.strip().split("+", 2)
    assert name == demo.settings.origin == "demo.hoso.vn/phuong-ba-dinh"
    key = base64.b64decode(key_b64)
    assert key_hash == hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex()
    assert line.strip() == demo.vkey


def test_cli_proofs_match_http(http: TestClient, demo: Demo) -> None:
    db = ["--db", demo.db] if demo.db else []
    size = int(http.get("/log/checkpoint").text.split("\n")[1])
    cli = hoso("log", "prove", "--index", "5", "--data", str(demo.data), *db)
    assert cli.returncode == 0, cli.stderr
    web = http.get("/log/proofs/inclusion", params={"index": 5, "size": size}).json()
    assert orjson.loads(cli.stdout) == web
    cli = hoso("log", "prove", "--from", "9", "--to", str(size), "--data", str(demo.data), *db)
    assert cli.returncode == 0, cli.stderr
    web = http.get("/log/proofs/consistency", params={"from": 9, "to": size}).json()
    assert orjson.loads(cli.stdout) == web
    for args in (["--index", "1", "--from", "2"], [], ["--size", "4"], ["--index", str(size)]):
        bad = hoso("log", "prove", *args, "--data", str(demo.data), *db)
        assert bad.returncode != 0
        assert bad.stderr.startswith("error:") and bad.stderr.strip().count("\n") == 0, bad.stderr


def test_the_service_builds_the_map_of_heads_before_its_first_checkpoint(tmp_path: Path) -> None:
    """Issue 19: at start, the integrator builds the map of file heads for the log as it is,
    so the first checkpoint after start only updates it (a command's wait for its checkpoint
    never pays the build: about a second at 1M leaves)."""
    settings, ledger, officer = small_ledger(tmp_path / "d", None)
    receive_many(ledger, officer, 3)
    MerkleLog(ledger.store, ledger.origin).integrate()
    ledger.store.close()
    services = open_services(settings)
    try:
        assert services.log.heads._latest is None  # nothing built yet in this process
        services.warm_heads()
        latest = services.log.heads._latest
        assert latest is not None and latest[0] == services.log.size() >= 3
        built = latest[2]
        receive_many(services.ledger, officer, 2)
        assert services.integrate_logged(failing=False) is False
        checkpoint = services.log.latest_checkpoint()
        assert checkpoint is not None and checkpoint.size == latest[0] + 2
        after = services.log.heads._latest
        assert after is not None and after[2] is built  # the same map, updated in place
    finally:
        services.close()
