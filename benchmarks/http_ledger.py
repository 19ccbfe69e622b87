"""The ledger the HTTP load runs against: ``hoso demo --days 1`` into a fresh data directory
(PostgreSQL: a fresh schema ``bench_<hex>``, dropped at the end), its credentials and sample codes,
every open file the demo left handed to ``quay01`` at the mot-cua desk (the hand-off pool) and a
token for the second officer ``quay02``; none of it timed."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

from ledger.store import sql as db_sql
from ledger.store.postgres import drop_ledger_schema

PG = "postgresql://postgres@127.0.0.1:5432/test"
UNIT = "PBADINH"
DESK = "mot-cua"
OFFICERS = ("quay01", "quay02")
NOTE = "Chuyển xử lý (benchmark)"
RECEIPT: dict[str, Any] = {
    "procedure": "certified_copy",
    "channel": "in_person",
    "counter": "Q01",
    "department": DESK,
    "documents": ["Bản chính giấy khai sinh"],
    "applicant": {
        "full_name": "Trần Thị Bình",
        "id_number": "001190054321",
        "phone": "0987654321",
        "address": "5 Kim Mã, Hà Nội",
    },
}
HANDOFF_STATES = {"received", "in_progress", "awaiting_signature", "signed"}


@dataclass
class Prepared:
    data: Path
    db: str | None
    tokens: dict[str, str]  # actor -> bearer token
    samples: list[tuple[str, str]]  # (code, PIN)
    files: dict[str, str]  # code -> the officer holding it now
    lengths: dict[str, int]  # code -> events, as the benchmark last knew it
    demo_seconds: float


def hoso_command() -> list[str]:
    beside = Path(sys.executable).parent / "hoso"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "api.main"]


def prepare(data: Path, db: str | None) -> Prepared:
    """The demo's day, its credentials, the hand-off pool and a token for the second officer."""
    from api.bootstrap import open_ledger
    from api.cli.tokens import CREDENTIALS_NAME, issue
    from api.settings import load_settings
    from api.tokens import ApiRole
    from domain.events import Desk
    from ledger.errors import LedgerError
    from signing import KeyDirectory

    started = time.perf_counter()
    cmd = [*hoso_command(), "demo", "--data", str(data), "--days", "1"]
    if db:
        cmd += ["--db", db]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    demo_seconds = time.perf_counter() - started
    creds = orjson.loads((data / CREDENTIALS_NAME).read_bytes())
    officer = creds["tokens"]["officer"]
    assert officer["actor"] == OFFICERS[0], officer["actor"]
    tokens = {OFFICERS[0]: officer["token"]}
    samples = [(s["code"], s["pin"]) for s in creds["samples"]]

    settings = load_settings(data, db)
    ledger = open_ledger(settings)
    keys = KeyDirectory(settings.keys_dir)
    files: dict[str, str] = {}
    lengths: dict[str, int] = {}
    try:
        rows = db_sql.rows(
            ledger.store,
            "SELECT DISTINCT originator_id AS code FROM hoso_events WHERE originator_id LIKE ?",
            (UNIT + "-%",),
        )
        target = Desk(OFFICERS[0], DESK, UNIT)
        for code in sorted(str(r["code"]) for r in rows):
            loaded = ledger.load(code)
            f = loaded.file
            if f.state.value not in HANDOFF_STATES or f.unit != UNIT:
                continue
            n = len(loaded.envelopes)
            if f.holder != target:
                actor = f.holder.officer or OFFICERS[0]
                try:
                    ledger.execute(
                        code,
                        signer=keys.signer(actor),
                        actor=actor,
                        at=ledger.clock(),
                        command=lambda g: g.hand_off(  # runs within this iteration
                            actor=actor,  # noqa: B023
                            to=target,
                            note=NOTE,
                            at=ledger.clock(),
                        ),
                    )
                except (LedgerError, ValueError) as e:
                    print(f"  (skipping {code}: {e})", file=sys.stderr)
                    continue
                n += 1
            files[code] = OFFICERS[0]
            lengths[code] = n
        second = issue(
            ledger,
            actor=OFFICERS[1],
            role=ApiRole.OFFICER,
            unit=UNIT,
            now=datetime.now(UTC),
        )
        tokens[OFFICERS[1]] = second.token
    finally:
        ledger.store.close()
    return Prepared(data, db, tokens, samples, files, lengths, demo_seconds)


@contextlib.contextmanager
def fresh_data(backend: str) -> Iterator[tuple[Path, str | None]]:
    with tempfile.TemporaryDirectory(prefix="hoso-http-bench-") as tmp:
        data = Path(tmp) / "data"
        if backend == "sqlite":
            yield data, None
            return
        schema = "bench_" + os.urandom(6).hex()
        try:
            yield data, f"{PG}?schema={schema}"
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                drop_ledger_schema(conn, schema)
