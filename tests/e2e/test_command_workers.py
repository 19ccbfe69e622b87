"""The commands stage's worker processes (``benchmarks.scenario.command_workers``): the clients
are shared out without loss, every command they report is in the store, and a worker that
cannot start is reported, not waited for."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario.command_clients import OFFICERS, Files, open_files
from benchmarks.scenario.command_workers import drive_in_processes, split
from benchmarks.workload import open_ledger
from ledger.store import sql as db_sql
from ledger.store.opening import open_postgres


@pytest.mark.parametrize(("clients", "processes"), [(8, 2), (8, 3), (3, 8), (1, 1), (5, 2)])
def test_split_shares_every_client_once_and_none_is_empty(clients: int, processes: int) -> None:
    names = [[f"c{i}"] for i in range(clients)]
    shares = split(names, processes)
    assert [c for share in shares for c in share] == names
    assert len(shares) == min(clients, processes)
    assert all(shares) and max(map(len, shares)) - min(map(len, shares)) <= 1


def test_two_worker_processes_store_every_command_they_count(
    tmp_path: Path, pg_schema: str
) -> None:
    store = open_postgres(pg_schema)
    try:
        ledger, sim = open_ledger(store, tmp_path / "keys")
        files = open_files(ledger, sim.signer(OFFICERS[0]), 2)
        before = int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])
        spread = drive_in_processes(
            pg_schema, tmp_path / "keys", files, 0.5, processes=2, max_batch=64, max_wait=0.002
        )
        after = int(db_sql.rows(store, "SELECT COUNT(*) AS n FROM hoso_events")[0]["n"])
    finally:
        store.close()
    assert spread.processes == 2 and len(spread.per_process) == 2
    assert spread.run.commands > 0 and len(spread.run.latencies) == spread.run.commands
    warm_up = sum(len(mine) for mine in files.clients)  # one command per file before the start
    assert after - before == spread.run.commands + warm_up
    assert spread.stats.submissions == spread.run.commands
    if Path("/proc/stat").exists():  # the whole machine's busy cores during the window
        assert spread.machine_busy_cores is not None and spread.machine_busy_cores > 0


def test_a_worker_that_cannot_start_is_reported(tmp_path: Path, pg_schema: str) -> None:
    files = Files([["PBADINH-260303-0001"], ["PBADINH-260303-0002"]])  # no such files
    with pytest.raises(RuntimeError, match="commands worker process failed"):
        drive_in_processes(
            pg_schema, tmp_path / "no-keys", files, 0.5, processes=2, max_batch=8, max_wait=0
        )
