"""Stage: batched client-signed ingest, signatures verified, into the scenario's ledger store.

Puts exactly ``ctx.events`` events of the demo's workload into ``store`` through the verified
bulk path (``Intake.submit_many``: signature, key, role, chain, skew and the domain rule per
envelope, the batch's signatures in parallel, one transaction per request). The workload is
generated chunk by chunk and NOT timed (it is the clients' signing); each chunk is grouped by
file into submissions, split into request-sized batches (``REQUEST`` envelopes, like
``POST /batch``) and timed through ``submit_many``. The server's receipt time of each envelope
is its own ``occurred_at`` (the workload's simulated days: replayed traffic), so the skew check
runs and passes. Baseline, same run, same backend: plain ``eventsourcing`` with 10 events per
save on one thread (``baselines.plain_eventsourcing_rate``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime

from eventsourcing.persistence import StoredEvent

from benchmarks.scenario import baselines
from benchmarks.scenario.context import Context, Figure
from benchmarks.workload import Workload
from ledger.envelope import Envelope
from ledger.intake import Intake
from ledger.service import Ledger
from ledger.store import EventStore

CHUNK = 10_000  # events generated (untimed), then ingested (timed)
QUICK_CHUNK = 2_000
REQUEST = 1_000  # envelopes per submit_many call, as POST /batch takes at most
TARGET_RATE = 5_000.0
TARGET_RATIO = 0.6


def _own_time(env: Envelope) -> datetime:
    return env.occurred_at


def requests(chunk: Sequence[StoredEvent], size: int = REQUEST) -> list[list[list[bytes]]]:
    """The chunk as request batches of about ``size`` envelopes, each a list of per-file
    submissions (a file's envelopes in version order, all in one submission)."""
    by_file: dict[str, list[bytes]] = {}
    for event in chunk:
        by_file.setdefault(str(event.originator_id), []).append(event.state)
    out: list[list[list[bytes]]] = []
    batch: list[list[bytes]] = []
    count = 0
    for signed in by_file.values():
        batch.append(signed)
        count += len(signed)
        if count >= size:
            out.append(batch)
            batch, count = [], 0
    if batch:
        out.append(batch)
    return out


def run(ctx: Context, store: EventStore, ledger: Ledger, workload: Workload) -> list[Figure]:
    chunk_size = QUICK_CHUNK if ctx.quick else CHUNK
    intake = Intake(ledger, workers=os.cpu_count() or 1)
    task = None
    if ctx.progress is not None:
        task = ctx.progress.add_task("ingest (verified bulk)", total=ctx.events)
    stored = refused = 0
    timed = 0.0
    try:
        for chunk in workload.batches(ctx.events, chunk_size):
            batches = requests(chunk)
            t0 = time.perf_counter()
            for batch in batches:
                outcomes = intake.submit_many(batch, now=_own_time)
                for o in outcomes:
                    if o.error is not None:
                        refused += 1
                        ctx.console.log(f"ingest: {o.code} refused: {o.error}")
            elapsed = time.perf_counter() - t0
            timed += elapsed
            stored += len(chunk)
            ctx.record("ingest events/s", stored, len(chunk) / elapsed if elapsed else 0.0)
            if ctx.progress is not None and task is not None:
                ctx.progress.update(task, completed=stored)
    finally:
        intake.close()
    rate = stored / timed if timed else 0.0
    base = baselines.plain_eventsourcing_rate(
        ctx, threads=1, events_per_save=10, seconds=ctx.seconds(10)
    )
    ratio = rate / base if base else 0.0
    met = refused == 0 and rate >= TARGET_RATE and ratio >= TARGET_RATIO
    notes = []
    if refused:
        notes.append(f"{refused} submissions were refused: the store is short of events")
    if rate < TARGET_RATE:
        notes.append(
            f"{rate:,.0f} events/s is under {TARGET_RATE:,.0f}: the checks other than the "
            "signature run in one thread (GIL): decode and canonical checks, codec, key and "
            "role lookups and the domain rule's replay, about 180 us of CPU per event when "
            "profiled on a shared machine; the signatures are verified in parallel threads"
        )
    if ratio < TARGET_RATIO:
        notes.append(f"{ratio:.2f}x plain eventsourcing is under {TARGET_RATIO}x")
    return [
        Figure(
            key="ingest_batched",
            label="batched client-signed ingest, signatures verified",
            value=rate,
            unit="events/s",
            baseline_label="plain eventsourcing, 10 events per save, 1 thread",
            baseline=base,
            target=">= 5,000 events/s and >= 0.6x plain eventsourcing, 10 events/save",
            met=met,
            note="; ".join(notes)
            or f"{REQUEST}-envelope requests, {intake.workers} verifying threads",
            extra={
                "events": stored,
                "refused_submissions": refused,
                "request_envelopes": REQUEST,
                "chunk_events": chunk_size,
                "workers": intake.workers,
                "seconds": timed,
            },
        )
    ]
