"""Stage: the full audit of the whole store over every core, beside raw Ed25519 verify.

* system: ``ledger.audit.audit_report(workers=os.cpu_count())`` over the whole store, run in a
  child process (``benchmarks.scenario.audit_child``) so that its peak memory, and its
  workers', is its own: events/s, and the peak resident size summed over the audit's processes;
* baseline (issue 19): raw Ed25519 verify on every core at once (``ctx.verify_all``, measured
  by the baselines stage); beside it, bare ``Ed25519PublicKey.verify`` of a sample of the
  store's own signatures on one core (keys decoded once), measured just before and just after
  the audit (their mean), which the note compares;
* extra: the in-process audit (``workers=1``, ``ChainVerifier`` alone) over the first events,
  and where the CPU went (parent and workers, microseconds per event).

Targets of issue 19: events/s >= 0.85x raw verify on every core; peak memory <= 300 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.scenario import baselines
from benchmarks.scenario.context import Context, Figure
from ledger.audit.worker import registry_public_keys
from ledger.chain.verify import ChainVerifier
from ledger.encoding.envelope import decode
from ledger.store.events import EventStore
from ledger.store.rows import store_url as url_of_store
from signing.registry import REGISTRY_STREAM

RATIO_TARGET = 0.85  # of raw Ed25519 verify on every core at once
MEMORY_TARGET_MB = 300.0
SAMPLE, QUICK_SAMPLE = 20_000, 3_000
Check = tuple[Ed25519PublicKey, bytes, bytes]


def signature_sample(store: EventStore, n: int) -> list[Check]:
    """The first ``n`` file events' (key, signed message, signature), keys decoded once."""
    keys = {
        k: Ed25519PublicKey.from_public_bytes(v)
        for k, v in registry_public_keys(store).items()
        if v
    }
    found: list[Check] = []
    start = 1
    while len(found) < n and (page := store.notifications(start, 1000)):
        for row in page:
            env = decode(row.state)
            if row.originator_id != REGISTRY_STREAM and env.key_id in keys:
                found.append((keys[env.key_id], env.unsigned.signing_message(), env.signature))
        start = page[-1].id + 1
    return found[:n]


def verify_rate(sample: list[Check], seconds: float) -> tuple[float, float]:
    """Bare ``verify`` calls per second on this core, cycling through the sample, and the CPU
    microseconds one call took (what the load of other processes does not change much)."""
    done, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while True:
        for key, message, signature in sample:
            key.verify(signature, message)
        done += len(sample)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return done / elapsed, (time.process_time() - cpu0) / done * 1e6


def in_process_rate(store: EventStore, origin: str, authority_key: bytes, n: int) -> float:
    """What ``audit_report(workers=1)`` does per event (``ChainVerifier.check``), first ``n``."""
    verifier = ChainVerifier(origin, authority_key)
    done, start, t0 = 0, 1, time.perf_counter()
    while done < n and (page := store.notifications(start, 1000)):
        for row in page[: n - done]:
            verifier.check(row)
        done += min(len(page), n - done)
        start = page[-1].id + 1
    return done / (time.perf_counter() - t0)


def audit_in_child(
    ctx: Context, url: str, origin: str, authority_key: bytes, total: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.scenario.audit_child",
        url,
        origin,
        authority_key.hex(),
        "--workers",
        str(os.cpu_count() or 1),
    ]
    task = None
    if ctx.progress is not None:
        task = ctx.progress.add_task("audit (all cores)", total=total or 1)
    result: dict[str, Any] | None = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("P ") and ctx.progress is not None and task is not None:
                done, of = (int(x) for x in line.split()[1:3])
                ctx.progress.update(task, completed=done, total=of or 1)
            elif line.startswith("R "):
                result = json.loads(line[2:])
    if task is not None and ctx.progress is not None:
        ctx.progress.remove_task(task)
    if result is None:
        raise RuntimeError(f"the audit child exited with {child.returncode} and no result")
    return result


def run(
    ctx: Context,
    store: EventStore,
    *,
    origin: str,
    authority_key: bytes,
    store_url: str | None = None,
) -> list[Figure]:
    url = store_url or _url_of(ctx, store)
    total = store.max_position()
    sample = signature_sample(store, QUICK_SAMPLE if ctx.quick else SAMPLE)
    seconds = ctx.seconds(5.0)
    before, cpu_before = verify_rate(sample, seconds)
    found = audit_in_child(ctx, url, origin, authority_key, total)
    after, cpu_after = verify_rate(sample, seconds)
    verify = (before + after) / 2
    verify_us = (cpu_before + cpu_after) / 2
    single = in_process_rate(
        store, origin, authority_key, min(total, 1_000 if ctx.quick else 20_000)
    )
    events = max(found["events"], 1)
    rate = found["events_per_second"]
    peaks_mb = [kb / 1024 for kb in found["worker_peaks_kb"]]
    parent_mb = found["parent_maxrss_kb"] / 1024
    largest_mb = max([parent_mb, *peaks_mb])  # VmHWM each (ru_maxrss can include a starter's)
    summed_mb = parent_mb + sum(peaks_mb)
    parent_us = found["parent_cpu_s"] / events * 1e6
    workers_us = found["workers_cpu_s"] / events * 1e6
    cores = os.cpu_count() or 1
    every = ctx.verify_all or baselines.ed25519_verify_all(ctx.seconds(3))
    ratio = rate / every if every else 0.0
    met = bool(found["ok"]) and ratio >= RATIO_TARGET
    note = (
        f"{found['workers']} workers, {events:,} events in {found['elapsed']:.1f} s; CPU per "
        f"event: workers {workers_us:.0f} us with their start-up (a bare verify "
        f"{verify_us:.0f} us), parent {parent_us:.1f} us; on {cores} free cores that CPU bounds "
        f"the ratio to one core's verify near "
        f"{cores * verify_us / (workers_us + parent_us):.2f}x ({rate / verify:.2f}x measured; "
        f"{every / verify:.2f}x for raw verify on {cores} cores). Load average "
        f"{os.getloadavg()[0]:.1f}."
    )
    if not found["ok"]:
        note = f"the audit FAILED ({found['failure']}); " + note
    extra = {
        "verify_before": before,
        "verify_cpu_us": verify_us,
        "cpu_bound_ratio": cores * verify_us / (workers_us + parent_us),
        "verify_after": after,
        "in_process_events_per_s": single,
        "in_process_ratio": single / verify if verify else None,
        "wall_s": found["wall"],
        "parent_cpu_us_per_event": parent_us,
        "workers_cpu_us_per_event": workers_us,
        "largest_process_mb": largest_mb,
        "worker_peaks_mb": peaks_mb,
        "parent_mb": parent_mb,
        "sample": len(sample),
        "events": found["events"],
    }
    ctx.record("audit events/s", total, rate)
    return [
        Figure(
            key="audit_rate",
            label=f"full audit, all cores ({found['workers']} workers)",
            value=rate,
            unit="events/s",
            baseline_label=f"raw Ed25519 verify, {cores} cores",
            baseline=every,
            target=f">= {RATIO_TARGET}x raw Ed25519 verify on every core",
            met=met,
            note=note,
            extra=extra,
        ),
        Figure(
            key="audit_memory",
            label="full audit, peak memory (all its processes)",
            value=summed_mb,
            unit="MB",
            target=f"<= {MEMORY_TARGET_MB:.0f} MB",
            met=summed_mb <= MEMORY_TARGET_MB,
            note=(
                f"peak resident size (VmHWM) summed over the parent ({parent_mb:.0f} MB) and "
                f"its {len(peaks_mb)} child processes, workers and multiprocessing's resource "
                f"tracker ({', '.join(f'{m:.0f}' for m in peaks_mb)} MB); largest single "
                f"process {largest_mb:.0f} MB; {events:,} events"
            ),
            extra={"largest_process_mb": largest_mb, "parent_mb": parent_mb},
        ),
    ]


def _url_of(ctx: Context, store: EventStore) -> str:
    try:
        return ctx.store_url(store)
    except KeyError:
        url = url_of_store(store)
        if url is None:
            raise ValueError("the audit stage needs a store another process can open") from None
        return url
