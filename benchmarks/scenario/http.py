"""Stage ``http``: the citizen lookup over HTTP beside the minimal FastAPI endpoint.

``run(ctx, store, ledger, store_url)`` needs:

- ``store``: the run's ledger store, holding the demo workload's events (``benchmarks.workload``:
  its key registry and files); ``ledger``: the ``Ledger`` over it (its ``origin`` and
  ``authority_key`` go into the service's configuration); ``store_url``: ``ctx.store_url(store)``,
  which the service process opens (``ledger.store.opening.open_store``).
- Not timed, in this process: the read models caught up (``ProjectionHost.catch_up`` of every
  projection, incremental if the projections stage already ran), the Merkle log integrated, and
  a PIN given to a seeded sample of the projected files (the workload stores none): the same
  ``ledger.store.pins.hash_pin`` the receipt uses, keyed with the service's PIN pepper (made in
  the data directory and registered in the store as ``hoso serve`` would), written to
  ``hoso_file_pins``. Files that already have a PIN are left alone. A data directory
  (``hoso.json`` pointing at ``store_url``, a fresh log key, the pepper) is written under
  ``ctx.workdir``.

Then, as ``benchmarks.http_load`` does: the minimal app (``benchmarks.http_apps minimal``) and
the real service (``benchmarks.http_apps hoso``: ``create_app(settings, follow_projections=True)``
as ``hoso serve`` builds it, the integrator every 2 s, the lookup's per-address rate limit raised
through the service's ``lookup_limit`` so that it never refuses) each run in their own uvicorn
process on a free 127.0.0.1 port, both at once, with the same loop and HTTP implementation
(uvicorn's "auto": uvloop and httptools if installed, else asyncio and h11). The load
generator (this process, pinned to the last CPU while measuring) keeps one keep-alive
connection per simulated client and sends the next request as soon as the answer is read.

Measured on the service: a **cold pass** (a fresh process, so every lookup is the first of its
code: one PIN check each; every sample once, over 10 connections), then **warm** lookups
(the same right PINs again: the memory of verified PINs skips the check) at each level, and
**wrong PINs** at 50 connections (each counted against its code and checked: the miss path;
spread at most 4 a code, so that none locks, as ``benchmarks.http_client.Guesses``). At each level
``/hello`` and the warm lookup take turns, 3 rounds each (1 if quick) of a third of
``ctx.seconds(10)`` after a warm-up, so a drift of a shared machine hits both; requests/s over
all rounds, p50/p99 the rounds' medians. Figures: warm lookup requests/s at 50 connections
against ``/hello`` (``async def``) at 50 (target >= 0.5x) and the warm lookup's p99 at 50
(target <= 15 ms), and the wrong PIN's requests/s against ``/hello`` (target >= 0.3x); the cold
pass is reported without a target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import time
from collections.abc import Sequence
from typing import Any

from api.bootstrap import LOG_KEY, checked_pepper, log_signer, open_projections
from api.settings import CONFIG_NAME, Settings
from benchmarks import http_load
from benchmarks.http_load import Endpoint, Level, Prepared, Server
from benchmarks.scenario.context import Context, Figure
from ledger.chain.service import Ledger
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from ledger.store.pins import hash_pin
from projections.models.handlers import NAMES
from signing import KeyDirectory

SEED = 20260306
NO_SUCH = ("/public/files/XX-000101-0000?pin=000000", 404)  # ready: the ledger is open


def data_dir(ctx: Context, ledger: Ledger, store_url: str) -> Settings:
    """A data directory for the service: its configuration points at the run's store."""
    if ledger.authority_key is None:
        raise ValueError("the ledger has no authority key: the service could not verify it")
    data = ctx.workdir / f"http-data-{secrets.token_hex(4)}"
    KeyDirectory(data / "keys").create(LOG_KEY)
    settings = Settings(
        data_dir=data,
        origin=ledger.origin,
        authority="authority",
        authority_key=ledger.authority_key,
        db=store_url,
    )
    settings = Settings(**{**settings.__dict__, "log_vkey": log_signer(settings).vkey()})
    (data / CONFIG_NAME).write_bytes(settings.to_json())
    return settings


def catch_up(settings: Settings, ledger: Ledger) -> None:
    """Every read model and the Merkle log up to date, so the service starts with no backlog."""
    host = open_projections(settings, ledger)
    try:
        for name in NAMES:
            host.catch_up(name)
    finally:
        host.close()
    MerkleLog(ledger.store, ledger.origin).integrate()


def give_pins(store: EventStore, n: int, pepper: bytes, seed: int = SEED) -> list[tuple[str, str]]:
    """PINs keyed with ``pepper`` for a seeded sample of ``n`` projected files that have none:
    (code, PIN)."""
    codes = sorted(str(r["code"]) for r in db_sql.rows(store, "SELECT code FROM hoso_p_files"))
    taken = {
        str(r["file_code"]) for r in db_sql.rows(store, "SELECT file_code FROM hoso_file_pins")
    }
    free = [c for c in codes if c not in taken]
    rng = random.Random(seed)
    chosen = rng.sample(free, min(n, len(free)))
    pairs = [(code, f"{rng.randrange(10**6):06d}") for code in chosen]
    rows = [
        (code, hash_pin(pin, secrets.token_bytes(16), code=code, pepper=pepper))
        for code, pin in pairs
    ]
    db_sql.run_batches(
        store, [("INSERT INTO hoso_file_pins (file_code, pin_hash) VALUES (?, ?)", rows)]
    )
    return pairs


def cold_pass(server: Server, samples: list[tuple[str, str]], connections: int) -> Level:
    """Every sample looked up once (the first lookup of its code), shared over ``connections``."""
    reqs = [
        http_load.request_bytes("GET", f"/public/files/{c}?pin={p}", server.port)
        for c, p in samples
    ]
    latencies: list[float] = []
    errors: list[str] = []

    async def client(share: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            for req in share:
                t0 = time.perf_counter()
                writer.write(req)
                status, body = await http_load.read_response(reader)
                if status == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors.append(f"{status}: {body[:200].decode(errors='replace')}")
        finally:
            writer.close()

    async def run() -> tuple[float, float, float]:
        c0, s0, t0 = time.process_time(), http_load.cpu_seconds(server.pid), time.perf_counter()
        await asyncio.gather(*(client(reqs[i::connections]) for i in range(connections)))
        t1 = time.perf_counter()
        c1, s1 = time.process_time(), http_load.cpu_seconds(server.pid)
        return t1 - t0, (c1 - c0) / (t1 - t0), (s1 - s0) / (t1 - t0)

    wall, client_cpu, server_cpu = asyncio.run(run())
    lat = sorted(latencies)
    n = len(lat)

    def pct(q: float) -> float:
        return lat[min(n - 1, int(n * q))] * 1000 if n else float("nan")

    return Level(
        endpoint="lookup-cold",
        connections=connections,
        seconds=wall,
        requests=n,
        errors=len(errors),
        rps=n / wall if wall else 0.0,
        p50_ms=pct(0.5),
        p90_ms=pct(0.9),
        p99_ms=pct(0.99),
        max_ms=lat[-1] * 1000 if n else float("nan"),
        mean_ms=sum(lat) / n * 1000 if n else float("nan"),
        client_cpu=client_cpu,
        server_cpu=server_cpu,
        error_sample=sorted(set(errors))[:3],
    )


def combine(rounds: list[Level]) -> Level:
    """Rounds of one endpoint and level as one: requests over the summed time; the
    percentiles and CPU shares are the rounds' medians."""

    def median(xs: list[float]) -> float:
        ys = sorted(xs)
        return ys[len(ys) // 2]

    first = rounds[0]
    seconds = sum(x.seconds for x in rounds)
    requests = sum(x.requests for x in rounds)
    return Level(
        endpoint=first.endpoint,
        connections=first.connections,
        seconds=seconds,
        requests=requests,
        errors=sum(x.errors for x in rounds),
        rps=requests / seconds if seconds else 0.0,
        p50_ms=median([x.p50_ms for x in rounds]),
        p90_ms=median([x.p90_ms for x in rounds]),
        p99_ms=median([x.p99_ms for x in rounds]),
        max_ms=max(x.max_ms for x in rounds),
        mean_ms=median([x.mean_ms for x in rounds]),
        client_cpu=median([x.client_cpu for x in rounds]),
        server_cpu=median([x.server_cpu for x in rounds]),
        other_cpu=median([x.other_cpu for x in rounds]),
        error_sample=sorted({e for x in rounds for e in x.error_sample})[:3],
        extra={"rounds": len(rounds), "rps_rounds": [round(x.rps, 1) for x in rounds]},
    )


def measure_all(
    ctx: Context,
    eps: dict[str, Endpoint],
    args: argparse.Namespace,
    prep: Prepared,
    levels: list[int],
    pairs: list[tuple[str, str]],
) -> list[Level]:
    """Both servers up at once; at each level /hello and the warm lookup take turns in short
    rounds (so a drift of the machine hits both alike), after the cold pass; then /hello-sync
    and the wrong PINs at 50 connections (last: their counts must not disturb the rest)."""
    seconds, warmup = ctx.seconds(10), (0.3 if ctx.quick else 1.0)
    rounds = 1 if ctx.quick else 3
    steps = 2 + len(levels) * rounds * 2
    task = ctx.progress.add_task("http: lookup and /hello", total=steps) if ctx.progress else None

    def advance() -> None:
        if ctx.progress is not None and task is not None:
            ctx.progress.advance(task)

    out: list[Level] = []
    with (
        http_load.serve("minimal", args, prep) as minimal,
        http_load.serve("hoso", args, prep, NO_SUCH) as hoso,
        http_load.pinned(True),
    ):
        out.append(cold_pass(hoso, pairs, min(10, len(pairs))))
        for n in levels:
            turns: dict[str, list[Level]] = {"hello": [], "lookup": []}
            for _ in range(rounds):
                for name, server in (("hello", minimal), ("lookup", hoso)):
                    level = http_load.measure(eps[name], n, server, seconds / rounds, warmup)
                    turns[name].append(level)
                    advance()
            out += [combine(turns["hello"]), combine(turns["lookup"])]
        out.append(http_load.measure(eps["hello-sync"], 50, minimal, seconds, warmup))
        advance()
        # With PINs made before the pepper, a wrong PIN waited for a scrypt in a queue of 50:
        # the window still outlasts such a queue.
        # must outlast that queue, or no answer falls inside it.
        slow = max(seconds, 3.0), max(warmup, 1.5)
        out.append(http_load.measure(eps["lookup-wrong-pin"], 50, hoso, *slow))
        advance()
    for level in out:
        level.extra["load_average"] = os.getloadavg()[0]
    return out


def _per_request_ms(level: Level) -> float:
    return level.server_cpu / level.rps * 1000 if level.rps else float("nan")


def run(
    ctx: Context,
    store: EventStore,
    ledger: Ledger,
    store_url: str,
    *,
    samples: int | None = None,
    connections: Sequence[int] | None = None,
) -> list[Figure]:
    """Lookup and ``/hello`` under load; see the module's docstring for what it needs."""
    levels = list(connections or ((50,) if ctx.quick else (1, 10, 50)))
    if 50 not in levels:
        levels.append(50)
    settings = data_dir(ctx, ledger, store_url)
    t0 = time.perf_counter()
    catch_up(settings, ledger)
    pepper = checked_pepper(settings, store, existing=False)
    if pepper is None:
        raise RuntimeError("the service's PIN pepper could not be made")
    pairs = give_pins(store, samples or (30 if ctx.quick else 300), pepper)
    if not pairs:
        raise RuntimeError("no projected file without a PIN: the lookup has nothing to look up")
    prepare_seconds = time.perf_counter() - t0
    args = argparse.Namespace(loop="auto", http="auto")
    http_load.resolve(args)
    prep = Prepared(settings.data_dir, store_url, {}, pairs, {}, {}, 0.0)
    eps = http_load.endpoints(prep)
    measured = measure_all(ctx, eps, args, prep, levels, pairs)
    by = {(x.endpoint, x.connections): x for x in measured}
    cold = measured[0]
    base, warm, wrong = by[("hello", 50)], by[("lookup", 50)], by[("lookup-wrong-pin", 50)]
    sync = by[("hello-sync", 50)]
    ratio = warm.rps / base.rps if base.rps else 0.0
    where = (
        f"server CPU {warm.server_cpu:.2f} ({_per_request_ms(warm):.3f} ms a request against "
        f"{_per_request_ms(base):.3f} for /hello), client {warm.client_cpu:.2f}, rest of the "
        f"machine {warm.other_cpu:.2f} (PostgreSQL, other jobs); /hello-sync at 50: "
        f"{sync.rps:,.0f} req/s"
    )
    extra: dict[str, Any] = {
        "levels": [x.__dict__ for x in measured],
        "samples": len(pairs),
        "prepare_seconds": round(prepare_seconds, 2),
        "uvicorn": {"loop": args.loop, "http": args.http, "workers": 1},
        "errors": sum(x.errors for x in measured),
    }
    wrong_ratio = wrong.rps / base.rps if base.rps else 0.0
    wrong_where = (
        f"p50 {wrong.p50_ms:.1f} ms, p99 {wrong.p99_ms:.1f} ms, server CPU "
        f"{wrong.server_cpu:.2f} ({_per_request_ms(wrong):.3f} ms a request), rest of the "
        f"machine {wrong.other_cpu:.2f}; {wrong.errors} errors"
    )
    return [
        Figure(
            "http_lookup_rps_50",
            "citizen lookup (right PIN, remembered), 50 connections",
            warm.rps,
            "req/s",
            baseline_label="minimal FastAPI /hello, 50 connections",
            baseline=base.rps,
            target=">= 0.6x",
            met=ratio >= 0.6,
            note=where,
            extra=extra,
        ),
        Figure(
            "http_lookup_p99_50",
            "citizen lookup p99 (right PIN, remembered), 50 connections",
            warm.p99_ms,
            "ms",
            baseline_label="minimal FastAPI /hello p99, 50 connections",
            baseline=base.p99_ms,
            target="<= 15 ms",
            met=warm.p99_ms <= 15,
            note=f"p50 {warm.p50_ms:.2f} ms",
        ),
        Figure(
            "http_lookup_cold",
            f"citizen lookup, first of each code (one keyed check), {cold.connections} connections",
            cold.rps,
            "req/s",
            baseline_label="minimal FastAPI /hello, 50 connections",
            baseline=base.rps,
            note=f"{cold.requests} lookups, p50 {cold.p50_ms:.1f} ms, p99 {cold.p99_ms:.1f} ms, "
            f"server CPU {cold.server_cpu:.2f}",
        ),
        Figure(
            "http_lookup_wrong_pin_50",
            "citizen lookup, wrong PIN (counted, one keyed check), 50 connections",
            wrong.rps,
            "req/s",
            baseline_label="minimal FastAPI /hello, 50 connections",
            baseline=base.rps,
            target=">= 0.3x",
            met=wrong_ratio >= 0.3 and wrong.errors == 0,
            note=wrong_where,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """This stage alone on a small fresh workload: ``python -m benchmarks.scenario.http``."""
    from benchmarks.scenario.context import scratch_dir
    from benchmarks.workload import Workload, open_ledger

    parser = argparse.ArgumentParser(description="the citizen lookup under load, alone")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None, help="override ctx.seconds(10)")
    parser.add_argument("--connections", default=None, help="e.g. 1,10,50")
    opts = parser.parse_args(argv)
    levels = [int(x) for x in opts.connections.split(",")] if opts.connections else None
    with scratch_dir() as tmp:
        ctx = Context(backend=opts.backend, events=opts.events, quick=opts.quick, workdir=tmp)
        if opts.seconds is not None:
            ctx.seconds = lambda full: float(opts.seconds)  # type: ignore[method-assign]
        try:
            store = ctx.fresh_store("http")
            ledger, sim = open_ledger(store, tmp / "keys")
            for batch in Workload(ledger, sim).batches(opts.events, 1000):
                store.append(batch)
            figures = run(ctx, store, ledger, ctx.store_url(store), connections=levels)
            print(http_load.HEADER)
            for x in figures[0].extra["levels"]:
                print(http_load.row(Level(**x)))
            for f in figures:
                ratio = f" = {f.ratio:.3f}x" if f.ratio is not None else ""
                print(
                    f"{f.label}: {f.value:,.2f} {f.unit} vs {f.baseline or 0:,.2f}{ratio} "
                    f"[{f.target or '-'}: {f.met}] {f.note}"
                )
        finally:
            ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
