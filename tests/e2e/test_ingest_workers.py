"""The ingest stage's worker processes (``benchmarks.scenario.ingest_workers``): every file goes
to one process, every event of the workload is stored and verifies, and a refused file is
reported by code, not lost."""

from __future__ import annotations

from pathlib import Path

import orjson

from benchmarks.scenario.ingest import requests_by_file
from benchmarks.scenario.ingest_workers import IngestWorkers, share_of
from benchmarks.workload import ORIGIN, Workload, authority, open_ledger
from ledger.audit.full import audit_report
from ledger.store import sql as db_sql
from ledger.store.opening import open_postgres

EVENTS = 400


def test_a_file_always_goes_to_the_same_process() -> None:
    codes = [f"PBADINH-260302-{i:04d}" for i in range(200)]
    shares = [share_of(code, 2) for code in codes]
    assert shares == [share_of(code, 2) for code in codes]
    assert set(shares) == {0, 1}  # both processes get files


def test_two_processes_store_every_event_and_report_a_refused_file(
    tmp_path: Path, pg_schema: str
) -> None:
    store = open_postgres(pg_schema)
    try:
        ledger, sim = open_ledger(store, tmp_path / "keys")
        before = int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])
        (chunk,) = list(Workload(ledger, sim).batches(EVENTS, EVENTS))
        batches, codes = requests_by_file(chunk, size=100)
        assert sum(len(files) for files in codes) == len({str(e.originator_id) for e in chunk})
        # One file's first envelope with a signature that cannot verify: that file is refused.
        bad_code = codes[0][0]
        doc = orjson.loads(batches[0][0][0])
        doc["sig"] = doc["sig"][:-4] + ("AAAA" if not doc["sig"].endswith("AAAA") else "BBBB")
        batches[0][0][0] = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        bad_events = len(batches[0][0])
        workers = IngestWorkers(pg_schema, 2)
        try:
            refusals = workers.submit(batches, codes)
        finally:
            workers.close()
        after = int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])
        assert len(refusals) == 1 and refusals[0].startswith(f"{bad_code} refused:"), refusals
        assert after - before == EVENTS - bad_events
        assert store.stream(bad_code) == []
        report = audit_report(store, origin=ORIGIN, authority_key=authority().public_key)
        assert report.ok and report.failure is None
    finally:
        store.close()
