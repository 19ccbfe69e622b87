"""What issue 15's proofs cost, each beside its baseline measured in the same run.

    python -m benchmarks.proofs --backend postgres --leaves 100000 --days 3

1. The map of file heads (``ledger.log.headmap``), on a fresh store of N synthetic events
   (``benchmarks.log_fill``: about 10 events a file): the integrator's leaves/s (the map adds
   nothing to it: it is built when a checkpoint is signed), and the time to sign a checkpoint
   with the map beside the same checkpoint without it (root, registry head, signature), for the
   first checkpoint over N leaves (the map built from the leaves: once per process) and for a
   steady one after 1,000 more (the map kept: only the changed files' paths rehashed).
2. The audit with the rules replayed, on a demo ledger (``hoso demo --days D``: real files):
   events/s of the events half with and without the rule replay, beside raw Ed25519 verification
   of the same events' signatures on one core.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.log_fill import ORIGIN, console, entry, fill, fresh_store, progress
from ledger.log.checkpoint import Checkpoint, sign_checkpoint
from ledger.log.heads import heads_line
from ledger.log.storage import MerkleLog, registry_head_line
from signing import generate_private_key
from signing.note import NoteSigner


def _plain_checkpoint(log: MerkleLog, signer: NoteSigner) -> float:
    """Seconds to sign the checkpoint of the current size without the map (the baseline)."""
    t0 = time.perf_counter()
    size = log.size()
    sign_checkpoint(
        Checkpoint(ORIGIN, size, log.root(size), (registry_head_line(log.store, size),)), signer
    )
    return time.perf_counter() - t0


def _map_checkpoint(log: MerkleLog, signer: NoteSigner) -> float:
    """Seconds to sign the same checkpoint with the map of file heads."""
    t0 = time.perf_counter()
    size = log.size()
    heads = heads_line(log.heads.at(size))  # kept up to date: only changed paths rehashed
    sign_checkpoint(
        Checkpoint(ORIGIN, size, log.root(size), (registry_head_line(log.store, size), heads)),
        signer,
    )
    return time.perf_counter() - t0


def head_map(backend: str, n: int) -> list[tuple[str, str, str, str]]:
    signer = NoteSigner(ORIGIN, generate_private_key(bytes([7]) * 32))
    rows: list[tuple[str, str, str, str]] = []
    with fresh_store(backend) as store, progress() as bar:
        fill(store, n, 10_000, bar)
        log = MerkleLog(store, ORIGIN)
        t0 = time.perf_counter()
        log.integrate()
        rate = n / (time.perf_counter() - t0)
        rows.append(("integrator", f"{rate:,.0f} leaves/s", "(the map adds nothing here)", ""))
        plain, mapped = _plain_checkpoint(log, signer), _map_checkpoint(log, signer)
        rows.append(("first checkpoint", f"{mapped * 1000:,.0f} ms",
                     f"{plain * 1000:,.0f} ms", f"{mapped / plain:.1f}x"))  # fmt: skip
        log.make_checkpoint(signer, datetime.now(UTC))
        store.append([entry(j, n) for j in range(n, n + 1000)])  # the same files, going on
        log.integrate()
        plain, mapped = _plain_checkpoint(log, signer), _map_checkpoint(log, signer)
        rows.append(("steady checkpoint", f"{mapped * 1000:,.0f} ms",
                     f"{plain * 1000:,.0f} ms", f"{mapped / plain:.1f}x"))  # fmt: skip
    return rows


def audit_rules(days: int) -> list[tuple[str, str, str, str]]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from api.bootstrap import open_ledger
    from api.settings import load_settings
    from ledger.audit.full import audit_report
    from ledger.audit.rules import RuleSettings, rules_report
    from ledger.encoding.envelope import decode

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d"
        made = subprocess.run(
            [sys.executable, "-c", "from api.main import main; main()", "demo", "--days",
             str(days), "--data", str(data)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        settings = load_settings(data, None)
        ledger = open_ledger(settings, existing=True)
        try:
            store = ledger.store
            t0 = time.perf_counter()
            chain = audit_report(store, origin=settings.origin,
                                 authority_key=settings.authority_key, workers=1)  # fmt: skip
            chain_s = time.perf_counter() - t0
            rules = RuleSettings(settings.calendar(), settings.supplement_policy)
            t0 = time.perf_counter()
            replayed = rules_report(store, rules)
            rules_s = time.perf_counter() - t0
            assert chain.ok and replayed.ok
            registry = ledger.registry()
            keys = {k: Ed25519PublicKey.from_public_bytes(r.public_key)
                    for k, r in registry.keys.items()}  # fmt: skip
            signed = [
                (keys[env.key_id], env.signature, env.unsigned.signing_message())
                for env in (decode(n.state) for n in store.notifications(1, 10**9))
            ]
            t0 = time.perf_counter()
            for key, signature, message in signed:
                key.verify(signature, message)
            raw_s = time.perf_counter() - t0
        finally:
            store.close()
    n = chain.events
    return [
        ("raw Ed25519 verify (1 core)", f"{n / raw_s:,.0f} events/s", "", "1.00x"),
        ("audit, events half", f"{n / chain_s:,.0f} events/s", "", f"{raw_s / chain_s:.2f}x"),
        (
            "audit + rule replay",
            f"{n / (chain_s + rules_s):,.0f} events/s",
            "",
            f"{raw_s / (chain_s + rules_s):.2f}x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    rows = head_map(args.backend, args.leaves)
    console.print(f"map of file heads at {args.leaves:,} leaves done")
    rows += audit_rules(args.days)
    print(f"| {args.backend}, {args.leaves:,} leaves | with | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, value, baseline, ratio in rows:
        print(f"| {name} | {value} | {baseline} | {ratio} |")


if __name__ == "__main__":
    main()
