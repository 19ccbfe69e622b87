"""Stage: batched client-signed ingest, signatures verified, into the scenario's ledger store.

Puts exactly ``ctx.events`` events of the demo's workload into ``store`` through the verified
bulk path (on PostgreSQL in one worker process per core, each taking the files given to it, as
``hoso serve --workers N`` takes concurrent ``POST /batch`` requests: ``ingest_workers``; on
SQLite, which takes one writer at a time, in this process): ``Intake.submit_many``, with
signature, key, role, chain, skew and the domain rule per envelope, the batch's signatures in
parallel, one transaction per request. The workload is
generated chunk by chunk and NOT timed (it is the clients' signing); each chunk is grouped by
file into submissions, split into request-sized batches (``REQUEST`` envelopes, like
``POST /batch``) and timed through ``submit_many``. The server's receipt time of each envelope
is its own ``occurred_at`` (the workload's simulated days: replayed traffic), so the skew check
runs and passes. Baseline, same run (issue 19): raw Ed25519 verify on every core at once
(``ctx.verify_all``, measured by the baselines stage): the bound of a path whose every event is
one signature check; target >= 0.7x. Beside it, plain ``eventsourcing`` with 10 events per save
on one thread (``baselines.plain_eventsourcing_rate``), the bound of issue 6.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent

from benchmarks.scenario import baselines
from benchmarks.scenario.context import Context, Figure
from benchmarks.scenario.ingest_workers import IngestWorkers, own_time
from benchmarks.workload import Workload
from ledger.chain.intake import Intake
from ledger.chain.service import Ledger
from ledger.store.events import EventStore

CHUNK = 10_000  # events generated (untimed), then ingested (timed)
QUICK_CHUNK = 2_000
REQUEST = 1_000  # envelopes per submit_many call, as POST /batch takes at most
TARGET_RATIO = 0.7  # of raw Ed25519 verify on every core


def requests(chunk: Sequence[StoredEvent], size: int = REQUEST) -> list[list[list[bytes]]]:
    """The chunk as request batches of about ``size`` envelopes, each a list of per-file
    submissions (a file's envelopes in version order, all in one submission)."""
    return requests_by_file(chunk, size)[0]


def requests_by_file(
    chunk: Sequence[StoredEvent], size: int = REQUEST
) -> tuple[list[list[list[bytes]]], list[list[str]]]:
    """``requests(chunk, size)`` and, beside each submission, the code of its file."""
    by_file: dict[str, list[bytes]] = {}
    for event in chunk:
        by_file.setdefault(str(event.originator_id), []).append(event.state)
    out: list[list[list[bytes]]] = []
    codes: list[list[str]] = []
    batch: list[list[bytes]] = []
    files: list[str] = []
    count = 0
    for code, signed in by_file.items():
        batch.append(signed)
        files.append(code)
        count += len(signed)
        if count >= size:
            out.append(batch)
            codes.append(files)
            batch, files, count = [], [], 0
    if batch:
        out.append(batch)
        codes.append(files)
    return out, codes


def run(ctx: Context, store: EventStore, ledger: Ledger, workload: Workload) -> list[Figure]:
    chunk_size = QUICK_CHUNK if ctx.quick else CHUNK
    cores = os.cpu_count() or 1
    spread = ctx.backend == "postgres" and cores > 1
    # PostgreSQL: a process per core, as hoso serve --workers takes concurrent batches;
    # SQLite (one writer): this process, its signatures verified in a thread per core.
    workers = IngestWorkers(ctx.store_url(store), cores) if spread else None
    intake = None if spread else Intake(ledger, workers=cores)
    task = None
    if ctx.progress is not None:
        task = ctx.progress.add_task("ingest (verified bulk)", total=ctx.events)
    stored = refused = 0
    timed = 0.0
    try:
        for chunk in workload.batches(ctx.events, chunk_size):
            batches, codes = requests_by_file(chunk)
            t0 = time.perf_counter()
            if workers is not None:
                refusals = workers.submit(batches, codes)
            else:
                assert intake is not None
                refusals = [
                    f"{o.code} refused: {o.error}"
                    for batch in batches
                    for o in intake.submit_many(batch, now=own_time)
                    if o.error is not None
                ]
            elapsed = time.perf_counter() - t0
            for line in refusals:
                ctx.console.log(f"ingest: {line}")
            refused += len(refusals)
            timed += elapsed
            stored += len(chunk)
            ctx.record("ingest events/s", stored, len(chunk) / elapsed if elapsed else 0.0)
            if ctx.progress is not None and task is not None:
                ctx.progress.update(task, completed=stored)
    finally:
        if intake is not None:
            intake.close()
        if workers is not None:
            workers.close()
    rate = stored / timed if timed else 0.0
    base = baselines.plain_eventsourcing_rate(
        ctx, threads=1, events_per_save=10, seconds=ctx.seconds(10)
    )
    every = ctx.verify_all or baselines.ed25519_verify_all(ctx.seconds(3))
    ratio = rate / every if every else 0.0
    served = (
        f"spread over {cores} worker processes (files shared out by code)"
        if spread
        else f"in one process (one interpreter lock; signatures in {cores} threads)"
    )
    met = refused == 0 and ratio >= TARGET_RATIO
    notes = []
    if refused:
        notes.append(f"{refused} submissions were refused: the store is short of events")
    if ratio < TARGET_RATIO:
        notes.append(
            f"{ratio:.2f}x raw verify is under {TARGET_RATIO}x: per event, besides the Ed25519 "
            "verify, the decode and canonical checks, codec, key and role lookups and the "
            "domain rule's replay take about 180 us of CPU (profiled on a shared machine), "
            f"{served}, and PostgreSQL's share (the insert, its indexes, the WAL) runs on the "
            "same two cores as the verifying processes"
        )
    return [
        Figure(
            key="ingest_batched",
            label="batched client-signed ingest, signatures verified",
            value=rate,
            unit="events/s",
            baseline_label=f"raw Ed25519 verify, {os.cpu_count()} cores",
            baseline=every,
            target=f">= {TARGET_RATIO}x raw Ed25519 verify on every core",
            met=met,
            note="; ".join(notes) or f"{REQUEST}-envelope requests, {served}",
            extra={
                "events": stored,
                "refused_submissions": refused,
                "request_envelopes": REQUEST,
                "chunk_events": chunk_size,
                "processes": cores if spread else 1,
                "verifying_threads_per_process": 1 if spread else cores,
                "seconds": timed,
            },
        ),
        Figure(
            key="ingest_batched_vs_eventsourcing",
            label="batched client-signed ingest, against plain eventsourcing",
            value=rate,
            unit="events/s",
            baseline_label="plain eventsourcing, 10 events per save, 1 thread",
            baseline=base,
            note="issue 6's bound: the same figure beside the store's own batched writes",
        ),
    ]
