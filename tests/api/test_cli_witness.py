"""The witness policy on the command line, as a user runs it (a real process), both backends:
``hoso audit`` warns UNWITNESSED, fails with ``--require-witness`` and on a stored cosignature
that does not verify; ``hoso verify --witness ... --min-witnesses N`` counts and names only the
valid cosignatures of the named witnesses; bad options are one line."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import integrate_and_checkpoint, open_log
from api.http.witness import create_witness_app
from ledger.store import sql as db_sql
from ledger.witness.client import request_cosignature
from ledger.witness.cosigner import Witness
from signing import generate_private_key
from signing.cosignature import CosignatureSigner, CosignatureVerifier
from tests.support.cli import assert_one_line_error, hoso
from tests.support.http import receive, small_ledger

NAME = "witness.test/cli"
OTHER = CosignatureSigner("witness.test/other", generate_private_key(bytes([93]) * 32)).vkey()


@dataclass
class Setup:
    data: Path
    db: list[str]
    vkey: str
    log_key: str
    code: str
    bundle: Path

    def run(self, *args: str) -> tuple[int, str, str]:
        result = hoso(*args, "--data", str(self.data), *self.db)
        return result.returncode, result.stdout, result.stderr


@pytest.fixture
def setup(tmp_path: Path, db_url: str | None) -> Setup:
    settings, ledger, officer = small_ledger(tmp_path / "d", db_url)
    try:
        code = receive(ledger, officer, 0).code
        receive(ledger, officer, 1)
        assert integrate_and_checkpoint(settings, ledger, force=True) is not None
        key = generate_private_key(bytes([94]) * 32)
        witness = Witness(NAME, key, tmp_path / "w.json", create=True)
        assert settings.log_vkey
        witness.add_log(settings.origin, settings.log_vkey)
        with TestClient(create_witness_app(witness)) as client:

            def post(body: bytes) -> tuple[int, str, bytes]:
                r = client.post("/add-checkpoint", content=body)
                return r.status_code, r.headers.get("content-type", ""), r.content

            verifier = CosignatureVerifier.from_vkey(witness.vkey())
            request_cosignature(open_log(ledger), post, NAME, verifier=verifier)
    finally:
        ledger.close()
    db = ["--db", db_url] if db_url else []
    made = Setup(tmp_path / "d", db, witness.vkey(), settings.log_vkey, code, tmp_path / "b.json")
    out = hoso("bundle", code, "--data", str(made.data), *db)
    assert out.returncode == 0, out.stderr
    made.bundle.write_text(out.stdout)
    return made


def test_audit_warns_unwitnessed_and_fails_when_required(setup: Setup) -> None:
    code, out, err = setup.run("audit")
    assert code == 0, err
    assert "UNWITNESSED" in err and "no witness is configured" in err and "rewrite" in err
    code, out, err = setup.run("audit", "--require-witness")
    assert code == 1
    assert "audit FAILED" in err and "UNWITNESSED" in err and "required" in err
    code, out, err = setup.run("audit", "--witness", setup.vkey, "--require-witness")
    assert code == 0, err
    assert "✓ witnessed" in out and NAME in out and "UNWITNESSED" not in out + err
    code, out, err = setup.run("audit", "--witness", OTHER, "--require-witness")
    assert code == 1 and "witness.test/other" in err and "UNWITNESSED" in err


def test_audit_counts_the_configured_witnesses_unless_given_its_own(setup: Setup) -> None:
    config = setup.data / "hoso.json"
    doc = orjson.loads(config.read_bytes())
    doc["witnesses"] = [{"vkey": setup.vkey, "url": "http://127.0.0.1:9"}]
    config.write_bytes(orjson.dumps(doc))
    code, out, err = setup.run("audit", "--require-witness")
    assert code == 0, err
    assert "✓ witnessed" in out
    # the inspector's own --witness replaces the data directory's trust
    code, out, err = setup.run("audit", "--witness", OTHER, "--require-witness")
    assert code == 1 and "UNWITNESSED" in err
    doc["witnesses"] = [{"vkey": "not a key", "url": "http://127.0.0.1:9"}]
    config.write_bytes(orjson.dumps(doc))
    assert_one_line_error(hoso("audit", "--data", str(setup.data), *setup.db))


def test_audit_names_a_stored_cosignature_that_does_not_verify(
    setup: Setup, db_url: str | None
) -> None:
    from api.settings import load_settings
    from ledger.store.opening import open_store

    store = open_store(load_settings(setup.data, db_url).db, setup.data)
    try:
        rows = db_sql.rows(store, "SELECT signature_line FROM hoso_log_cosignatures", ())
        forged = flipped(str(rows[0]["signature_line"]).rstrip("\n")) + "\n"
        db_sql.run(store, "UPDATE hoso_log_cosignatures SET signature_line = ?", (forged,))
    finally:
        store.close()
    code, _out, err = setup.run("audit", "--witness", setup.vkey)
    assert code == 1
    assert "audit FAILED" in err and "does not verify" in err and NAME in err


def flipped(line: str) -> str:
    """A signature line with the last bit of its signature flipped: well formed, not valid."""
    prefix, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}"


def verify(setup: Setup, *args: str) -> tuple[int, str, str]:
    result = hoso("verify", str(setup.bundle), "--log-key", setup.log_key, *args)
    return result.returncode, result.stdout, result.stderr


def test_verify_counts_and_names_the_valid_cosignatures_of_named_witnesses(
    setup: Setup,
) -> None:
    code, out, err = verify(setup)
    assert code == 0, err
    assert "0 valid witness cosignatures" in out and "1 other cosignature lines not counted" in out
    code, out, err = verify(setup, "--witness", setup.vkey, "--min-witnesses", "1")
    assert code == 0, err
    assert f"1 valid witness cosignatures ({NAME})" in out
    code, out, err = verify(setup, "--witness", setup.vkey)  # --min-witnesses defaults to 1
    assert code == 0, err
    code, out, err = verify(setup, "--witness", OTHER)
    assert code == 1 and "NOT VERIFIED" in err
    assert "witness.test/other" in err and "required" in err and "0 found" in err
    both = ["--witness", setup.vkey, "--witness", OTHER, "--min-witnesses", "2"]
    code, out, err = verify(setup, *both)
    assert code == 1 and "1 found" in err
    doc = orjson.loads(setup.bundle.read_bytes())
    line = doc["checkpoint"].rstrip("\n").rsplit("\n", 1)[1]
    doc["checkpoint"] = doc["checkpoint"].replace(line, flipped(line))
    setup.bundle.write_bytes(orjson.dumps(doc))
    code, out, err = verify(setup, "--witness", setup.vkey)
    assert code == 1 and "does not verify" in err


def test_verify_refuses_bad_witness_options_in_one_line(setup: Setup) -> None:
    for args in (
        ["--witness", "not-a-key"],
        ["--witness", setup.log_key],  # a log key (type 0x01) is not a cosignature key
        ["--witness", setup.vkey, "--min-witnesses", "2"],
        ["--min-witnesses", "1"],
        ["--witness", setup.vkey, "--witness", setup.vkey],
    ):
        result = hoso("verify", str(setup.bundle), "--log-key", setup.log_key, *args)
        assert_one_line_error(result)
        assert result.returncode == 2, (args, result.stderr)
    assert_one_line_error(hoso("audit", "--data", str(setup.data), *setup.db, "--witness", "x"))


def test_configured_witnesses_load_from_the_data_directory_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.bootstrap import init_data_dir
    from api.settings import WITNESSES_ENV, WitnessSetting, load_settings
    from ledger.errors import ConfigurationError
    from tests.support.cast import T0

    data = tmp_path / "d"
    init_data_dir(data, origin="w.hoso.vn/log", db=None, at=T0)
    monkeypatch.delenv(WITNESSES_ENV, raising=False)
    assert load_settings(data).witnesses == ()
    config = data / "hoso.json"
    doc = orjson.loads(config.read_bytes())
    doc["witnesses"] = [{"vkey": OTHER, "url": "https://w.example/"}]
    config.write_bytes(orjson.dumps(doc))
    loaded = load_settings(data)
    assert loaded.witnesses == (WitnessSetting(OTHER, "https://w.example/"),)
    assert loaded.witnesses[0].name == "witness.test/other"
    assert orjson.loads(loaded.to_json())["witnesses"] == doc["witnesses"]  # kept on rewrite

    mine = CosignatureSigner(NAME, generate_private_key(bytes([97]) * 32)).vkey()
    monkeypatch.setenv(WITNESSES_ENV, orjson.dumps([{"vkey": mine, "url": "http://x"}]).decode())
    assert [w.vkey for w in load_settings(data).witnesses] == [mine]  # the environment wins
    for bad in ("[", '[{"vkey": "nope", "url": "http://x"}]', f'[{{"vkey": "{mine}"}}]'):
        monkeypatch.setenv(WITNESSES_ENV, bad)
        with pytest.raises(ConfigurationError, match=WITNESSES_ENV):
            load_settings(data)
    monkeypatch.setenv(WITNESSES_ENV, orjson.dumps([{"vkey": mine, "url": "ftp://x"}]).decode())
    with pytest.raises(ConfigurationError, match="http"):
        load_settings(data)
