"""The full audit (events half) in one process and over every core, beside raw Ed25519 verify.

One SQLite store of ``EVENTS`` real signed envelopes of the demo's workload
(``benchmarks.workload``), built once per session. Cases (group ``audit [sqlite]``):

* ``audit_report(workers=1)``: decode, chain, key, role and signature of every event, in-process.
* ``audit_report(workers=os.cpu_count())``: the same verdict; worker processes read ranges of
  the log themselves and do every stateless check and the signature (``ledger.audit.worker``),
  this process only the chain links, keys and roles (pool start-up included in every round).
* baseline: the bare ``Ed25519PublicKey.verify`` of the same signatures on one core
  (``cryptography``, public keys decoded once).

Read the ratios (``extra_info["events_per_s"]``), not the absolute times; nothing is asserted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.workload import ORIGIN, Workload, authority, open_ledger
from ledger.audit.full import audit_report
from ledger.chain.verify import ChainVerifier, SignatureCheck
from ledger.store.events import EventStore
from ledger.store.opening import open_sqlite

EVENTS = 20_000
ROUNDS = 3


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("audit")
    store = open_sqlite(tmp / "ledger.sqlite3")
    ledger, sim = open_ledger(store, Path(tmp / "keys"))
    for batch in Workload(ledger, sim).batches(EVENTS, 1000):
        store.append(batch)
    yield store
    store.close()


def label(benchmark: Any, role: str, name: str, events: int) -> None:
    benchmark.group = "audit [sqlite]"
    benchmark.extra_info.update(
        case="audit", backend="sqlite", role=role, label=name, events=events
    )


def record_rate(benchmark: Any, events: int) -> None:
    mean = benchmark.stats.stats.mean
    benchmark.extra_info["events_per_s"] = round(events / mean)


def run_audit(store: EventStore, workers: int) -> int:
    report = audit_report(
        store, origin=ORIGIN, authority_key=authority().public_key, workers=workers
    )
    assert report.ok, report.failure
    return report.events


@pytest.mark.parametrize("workers", [1, os.cpu_count() or 1], ids=["workers=1", "all-cores"])
def test_audit(benchmark: Any, filled: EventStore, workers: int) -> None:
    events = filled.max_position()
    label(benchmark, "system", f"audit_report(workers={workers})", events)
    benchmark.extra_info["workers"] = workers
    assert benchmark.pedantic(run_audit, args=(filled, workers), rounds=ROUNDS) == events
    record_rate(benchmark, events)


def test_raw_verify(benchmark: Any, filled: EventStore) -> None:
    verifier = ChainVerifier(ORIGIN, authority().public_key)
    checks: list[SignatureCheck] = []
    start = 1
    while page := filled.notifications(start, 1000):
        for item in page:
            pending = verifier.check(item, verify=False).signature
            if pending is not None:
                checks.append(pending)
        start = page[-1].id + 1
    keys = {pk: Ed25519PublicKey.from_public_bytes(pk) for pk, _, _ in checks}
    work = [(keys[pk], message, sig) for pk, message, sig in checks]

    def verify_all() -> None:
        for key, message, sig in work:
            key.verify(sig, message)

    label(benchmark, "baseline", "raw Ed25519 verify (1 core)", len(work))
    benchmark.pedantic(verify_all, rounds=ROUNDS)
    record_rate(benchmark, len(work))
