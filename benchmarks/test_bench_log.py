"""The transparency log beside its baselines, same backend, same run: ratios, no timed assertions.

Cases (each a benchmark group per backend; ``python -m benchmarks.report`` pairs them):

* ``bundle-20``: ``verify_bundle(doc, vkey)`` of the evidence bundle of a **20-event** file
  (receive + 19 handoffs between two officers), integrated and checkpointed. The verifier is
  offline (no database), so both backends should agree; the backend only builds the bundle.
  Baseline: bare ``Ed25519PublicKey.verify`` (``cryptography``, keys decoded once) of the same
  signatures: the file's 20 events, the registry's 4 events and the checkpoint's note signature.
* ``integrate-10k``: ``MerkleLog.integrate()`` of 10,000 synthetic stored events from an empty
  log (the log tables are emptied before each round, outside the timer). Baseline: bare
  ``hashlib.sha256`` of the same 10,000 leaves and 9,995 complete-subtree nodes.

The scale figures (100k and 1M leaves, proof latency) come from ``benchmarks/log_scale.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.conftest import ORIGIN, signer
from benchmarks.log_fill import chunks
from benchmarks.log_scale import hash_into
from ledger.encoding.envelope import decode
from ledger.log.bundle import build_bundle
from ledger.log.bundle_verify import verify_bundle
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from signing import generate_private_key, unb64
from signing.note import NoteSigner, parse_note

if TYPE_CHECKING:  # the fixtures' types; pytest loads conftest.py itself
    from benchmarks.conftest import Backend, World

BUNDLE_FILE_EVENTS = 20
INTEGRATE_EVENTS = 10_000
INTEGRATE_ROUNDS = 5
LOG_SIGNER = NoteSigner(ORIGIN, generate_private_key(bytes([42]) * 32))
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def label(benchmark: Any, case: str, backend: Backend, role: str, name: str) -> None:
    """Group the measurement with its baselines and tag it for ``benchmarks.report``."""
    benchmark.group = f"{case} [{backend.name}]"
    benchmark.extra_info.update(case=case, backend=backend.name, role=role, label=name)


# ---------------------------------------------------------------- bundle-20
def bundle_of_file(world: World) -> dict[str, Any]:
    code = world.file(BUNDLE_FILE_EVENTS)
    log = MerkleLog(world.store, ORIGIN)
    log.integrate()
    checkpoint = log.make_checkpoint(LOG_SIGNER, NOW)
    return build_bundle(log, code, checkpoint)


@pytest.mark.benchmark(max_time=2.0, min_rounds=50)
def test_bundle_verify(benchmark: Any, backend: Backend, world: World) -> None:
    label(benchmark, "bundle-20", backend, "system", "verify_bundle (20 + 4 events)")
    doc = bundle_of_file(world)
    report = benchmark(verify_bundle, doc, LOG_SIGNER.vkey())
    assert len(report.timeline) == BUNDLE_FILE_EVENTS
    benchmark.extra_info["registry_events"] = report.registry_events


@pytest.mark.benchmark(max_time=2.0, min_rounds=50)
def test_bundle_raw_verify(benchmark: Any, backend: Backend, world: World) -> None:
    """Bare Ed25519 verification of every signature the bundle verifier checks."""
    doc = bundle_of_file(world)
    keys = {kid: r.public_key for kid, r in world.ledger.registry().keys.items()}
    authority = signer(1).public_key
    items = []
    for part in ("entries", "registry"):
        for item in doc[part]:
            env = decode(unb64(item["entry"]))
            public = keys.get(env.key_id, authority)
            items.append(
                (
                    Ed25519PublicKey.from_public_bytes(public),
                    env.signature,
                    env.unsigned.signing_message(),
                )
            )
    note = parse_note(doc["checkpoint"])
    items.append(
        (
            Ed25519PublicKey.from_public_bytes(LOG_SIGNER.public_key),
            note.signatures[0].signature,
            note.text.encode(),
        )
    )
    n = len(items)
    label(benchmark, "bundle-20", backend, "baseline", f"raw Ed25519 verify x{n}")

    def verify_all() -> None:
        for key, signature, message in items:
            key.verify(signature, message)

    verify_all()  # every signature is a real one
    benchmark(verify_all)
    assert n == len(doc["entries"]) + len(doc["registry"]) + 1


# ------------------------------------------------------------ integrate-10k
def test_integrate(benchmark: Any, backend: Backend) -> None:
    label(benchmark, "integrate-10k", backend, "system", "MerkleLog.integrate() x10k")
    store = backend.open_store()
    try:
        for _start, events in chunks(INTEGRATE_EVENTS, 5000):
            store.append(events)
        log = MerkleLog(store, ORIGIN)
        empty = "TRUNCATE {}" if store.dialect == "postgresql" else "DELETE FROM {}"

        def setup() -> tuple[tuple[()], dict[str, Any]]:
            for table in ("hoso_log_leaves", "hoso_log_nodes"):
                db_sql.run(store, empty.format(table))
            return (), {}

        added = benchmark.pedantic(
            log.integrate, setup=setup, rounds=INTEGRATE_ROUNDS, warmup_rounds=1, iterations=1
        )
        assert added == INTEGRATE_EVENTS == log.size()
    finally:
        store.close()


def test_integrate_hashing(benchmark: Any, backend: Backend) -> None:
    label(benchmark, "integrate-10k", backend, "baseline", "bare sha256 leaves + nodes x10k")
    states = [e.state for _start, events in chunks(INTEGRATE_EVENTS, 5000) for e in events]

    def hash_all() -> int:
        _count, nodes = hash_into([], 0, states)
        return nodes

    nodes = benchmark.pedantic(hash_all, rounds=50, warmup_rounds=2, iterations=1)
    assert nodes == INTEGRATE_EVENTS - INTEGRATE_EVENTS.bit_count()
