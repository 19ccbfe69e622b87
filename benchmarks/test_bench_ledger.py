"""The ledger against its baselines, same backend, same run: ratios, never timed assertions.

Cases (each a benchmark group per backend, the ledger beside its baselines):

* ``append``: one command on a file of ``APPEND_FILE_EVENTS`` events: load it (every signature,
  key and chain link checked), hand it to the other officer, sign, store. Baseline: plain
  ``eventsourcing`` ``repository.get`` + ``hand_off`` + ``save`` of an unsigned aggregate of the
  same length. Each round gets a fresh file, so every round measures the same file size.
* ``append-only``: the same, without the read: the command on an already loaded file, then the
  ledger's own envelope, canonical JSON, signature and insert. Baseline: command + ``save``.
* ``read-50``: ``Ledger.load`` of a 50-event file. Baselines: ``repository.get`` of a 50-event
  plain aggregate, and the bare Ed25519 verification of the same 50 signatures (``cryptography``,
  public keys decoded once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.chain.verify import ChainVerifier

if TYPE_CHECKING:  # the fixtures' types; pytest loads conftest.py itself
    from benchmarks.conftest import Backend, Baseline, World
    from domain.file import AdministrativeFile

APPEND_FILE_EVENTS = 10
READ_FILE_EVENTS = 50
APPEND_ROUNDS = 200
APPEND_WARMUP = 5


def label(benchmark: Any, case: str, backend: Backend, role: str, name: str) -> None:
    """Group the measurement with its baselines and tag it for ``benchmarks.report``."""
    benchmark.group = f"{case} [{backend.name}]"
    benchmark.extra_info.update(case=case, backend=backend.name, role=role, label=name)


def ledger_event_bytes(world: World, code: str) -> int:
    return len(world.store.stream(code)[-1].state)


def plain_event_bytes(baseline: Baseline, file_id: Any) -> int:
    recorder = baseline.app.recorder
    return len(recorder.select_events(file_id, desc=True, limit=1)[0].state)


# ------------------------------------------------------------------- append
def test_append_ledger(benchmark: Any, backend: Backend, world: World) -> None:
    label(benchmark, "append", backend, "system", "Ledger.execute(hand_off)")

    def setup() -> tuple[tuple[str], dict[str, Any]]:
        return (world.file(APPEND_FILE_EVENTS),), {}

    benchmark.pedantic(
        world.hand_off,
        setup=setup,
        rounds=APPEND_ROUNDS,
        warmup_rounds=APPEND_WARMUP,
        iterations=1,
    )
    code = world.file(2)
    benchmark.extra_info["event_bytes"] = ledger_event_bytes(world, code)


def test_append_plain(benchmark: Any, backend: Backend, baseline: Baseline) -> None:
    label(benchmark, "append", backend, "baseline", "eventsourcing get+hand_off+save")

    def setup() -> tuple[tuple[Any], dict[str, Any]]:
        return (baseline.file(APPEND_FILE_EVENTS),), {}

    benchmark.pedantic(
        baseline.hand_off,
        setup=setup,
        rounds=APPEND_ROUNDS,
        warmup_rounds=APPEND_WARMUP,
        iterations=1,
    )
    benchmark.extra_info["event_bytes"] = plain_event_bytes(baseline, baseline.file(2))


# -------------------------------------------------------------- append-only
def test_append_only_ledger(benchmark: Any, backend: Backend, world: World) -> None:
    """The ledger's own write cost: command + envelope + canonical JSON + sign + insert."""
    label(benchmark, "append-only", backend, "system", "hand_off + Ledger._append")
    ledger = world.ledger

    def setup() -> tuple[tuple[str, AdministrativeFile, str], dict[str, Any]]:
        code = world.file(APPEND_FILE_EVENTS)
        loaded = ledger.load(code)
        return (code, loaded.file, loaded.head_hash), {}

    def append(code: str, f: AdministrativeFile, head: str) -> None:
        verifier = ChainVerifier(ledger.origin, ledger.authority_key, ledger.registry())
        verifier.heads[code] = (f.version, head)
        key = world.hand_off_on(code, f)
        ledger.writer.append(code, f.collect_events(), key, verifier=verifier)

    benchmark.pedantic(
        append, setup=setup, rounds=APPEND_ROUNDS, warmup_rounds=APPEND_WARMUP, iterations=1
    )


def test_append_only_plain(benchmark: Any, backend: Backend, baseline: Baseline) -> None:
    label(benchmark, "append-only", backend, "baseline", "eventsourcing hand_off+save")
    app = baseline.app

    def setup() -> tuple[tuple[Any], dict[str, Any]]:
        return (app.repository.get(baseline.file(APPEND_FILE_EVENTS)),), {}

    def append(agg: Any) -> None:
        baseline.hand_off_on(agg)
        app.save(agg)

    benchmark.pedantic(
        append, setup=setup, rounds=APPEND_ROUNDS, warmup_rounds=APPEND_WARMUP, iterations=1
    )


# ------------------------------------------------------------------ read-50
@pytest.mark.benchmark(max_time=2.0, min_rounds=50)
def test_read_ledger(benchmark: Any, backend: Backend, world: World) -> None:
    label(benchmark, "read-50", backend, "system", "Ledger.load (verify 50)")
    code = world.file(READ_FILE_EVENTS)
    loaded = benchmark(world.ledger.load, code)
    assert len(loaded.envelopes) == READ_FILE_EVENTS


@pytest.mark.benchmark(max_time=2.0, min_rounds=50)
def test_read_plain(benchmark: Any, backend: Backend, baseline: Baseline) -> None:
    label(benchmark, "read-50", backend, "baseline", "eventsourcing repository.get")
    file_id = baseline.file(READ_FILE_EVENTS)
    agg = benchmark(baseline.app.repository.get, file_id)
    assert agg.version == READ_FILE_EVENTS


@pytest.mark.benchmark(max_time=2.0, min_rounds=50)
def test_read_raw_verify(benchmark: Any, backend: Backend, world: World) -> None:
    """50 bare ``Ed25519PublicKey.verify`` calls over the file's own messages and signatures."""
    label(benchmark, "read-50", backend, "baseline", "raw Ed25519 verify x50")
    registry = world.ledger.registry()
    loaded = world.ledger.load(world.file(READ_FILE_EVENTS))
    keys = {
        kid: Ed25519PublicKey.from_public_bytes(record.public_key)
        for kid, record in registry.keys.items()
    }
    items = [
        (keys[env.key_id], env.signature, env.unsigned.signing_message())
        for env in loaded.envelopes
    ]

    def verify_all() -> None:
        for key, signature, message in items:
            key.verify(signature, message)

    benchmark(verify_all)
