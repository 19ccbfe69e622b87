"""HTTP load: the citizen lookup and single commands beside a minimal FastAPI endpoint.

    python -m benchmarks.http_load --backend sqlite   [--seconds 10] [--connections 1,10,50]
    python -m benchmarks.http_load --backend postgres

One run:

1. ``hoso demo --days 1`` into a temporary data directory (PostgreSQL: a fresh schema
   ``bench_<hex>`` in ``postgresql://postgres@127.0.0.1:5432/test``, dropped at the end), then
   reads ``demo-credentials.json``: the officer's token (``quay01``) and the five sample codes
   with their PINs. Not timed: every open file the demo left in a state that allows a hand-off
   is handed to ``quay01`` at the mot-cua desk by its holder (in-process, the server-held keys),
   and a second officer token is issued to ``quay02``.
2. The minimal app (``benchmarks.http_apps minimal``) runs as its own uvicorn process and is
   loaded; it stops; the real service (``benchmarks.http_apps hoso``: ``create_app`` as
   ``hoso serve`` builds it, projections following, the Merkle integrator every 2 s, the lookup's
   rate limit raised so that it never refuses) runs and is loaded; it stops; the minimal app is
   measured again briefly, to see whether the machine drifted during the run.
3. The load generator is this process: asyncio, one raw HTTP/1.1 keep-alive connection per
   simulated client, each sending its next request as soon as the previous answer is read, for
   ``--warmup`` seconds (not recorded) and then ``--seconds`` seconds. Every request's latency is
   recorded; an answer with another status than the expected one is an error. The client is
   pinned to the last CPU (``sched_setaffinity``) and the server may use every CPU, so on a
   2-CPU machine they share one; both processes' CPU time is recorded.
4. Endpoints: ``GET /hello`` (``async def``) and ``GET /hello-sync`` (``def``) on the minimal
   app; on the service ``GET /public/files/{code}?pin=`` with the samples' right PINs (200) and
   with wrong PINs (404; spread over codes, at most 4 a code, so that none locks: the miss
   path), ``POST /files/{code}/hand-off`` (201) and ``POST /files`` (a receipt, 201), each at
   every ``--connections`` level.

   A receipt opens a new file as ``quay01`` (scrypt of the PIN, sealing of the applicant's
   data, a code reserved, one event): constant work whatever came before. The hand-off stays
   legal under load: each simulated client owns a disjoint share of the pool (the demo's open
   files plus every file the receipts opened, which is why receipts run first), goes round
   them in turn, and the file's holder hands it to the other officer
   (``quay01`` -> ``quay02`` -> ``quay01`` ...) with that holder's token. Every hand-off adds an
   event and loading a file verifies every event, so the pool's mean length before and after
   each level is reported; the large pool keeps the growth to about one event per file.
5. Afterwards, cProfile of ``--profile-requests`` lookups and as many hand-offs in-process
   (FastAPI's ``TestClient``, same data), so the reading can say where the time goes.

Writes ``benchmarks/results/http-<date>-<backend>.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.http_client import Endpoint, Fixed, Guesses, Level, Plan, measure, pinned
from benchmarks.http_ledger import (
    DESK,
    NOTE,
    OFFICERS,
    RECEIPT,
    UNIT,
    Prepared,
    fresh_data,
    prepare,
)
from benchmarks.http_profile import profile
from benchmarks.http_report import HEADER, ratios, report, row
from benchmarks.http_servers import Server, cpu_seconds, serve
from benchmarks.http_wire import read_response, request_bytes
from ledger.store.pins import FREE_TRIES

# ``benchmarks.scenario.http`` drives the same load through these names.
__all__ = [
    "HEADER",
    "Endpoint",
    "Level",
    "Prepared",
    "Server",
    "cpu_seconds",
    "endpoints",
    "main",
    "measure",
    "pinned",
    "read_response",
    "request_bytes",
    "resolve",
    "row",
    "serve",
]

RESULTS = Path(__file__).parent / "results"


class HandOffs(Plan):
    """Round a disjoint share of the files; the holder hands each to the other officer."""

    expect = 201

    def __init__(self, prep: Prepared, codes: list[str], port: int) -> None:
        self.prep, self.codes, self.port = prep, codes, port
        self.turn = itertools.cycle(codes)
        self.current = ""

    def next(self) -> bytes:
        self.current = code = next(self.turn)
        holder = self.prep.files[code]
        other = OFFICERS[1] if holder == OFFICERS[0] else OFFICERS[0]
        body = orjson.dumps(
            {"to_desk": {"officer": other, "department": DESK, "agency": UNIT}, "note": NOTE}
        )
        path = f"/files/{code}/hand-off"
        return request_bytes("POST", path, self.port, body, self.prep.tokens[holder])

    def answered(self, status: int, body: bytes) -> None:
        if status == 201:
            holder = self.prep.files[self.current]
            self.prep.files[self.current] = OFFICERS[1] if holder == OFFICERS[0] else OFFICERS[0]
            self.prep.lengths[self.current] += 1


class Receipts(Plan):
    """``POST /files`` as ``quay01``; every new file joins the hand-off pool, held by quay01."""

    expect = 201

    def __init__(self, prep: Prepared, port: int) -> None:
        self.prep = prep
        body = orjson.dumps(RECEIPT)
        self.request = request_bytes("POST", "/files", port, body, prep.tokens[OFFICERS[0]])

    def next(self) -> bytes:
        return self.request

    def answered(self, status: int, body: bytes) -> None:
        if status == 201:
            code = orjson.loads(body)["code"]
            self.prep.files[code] = OFFICERS[0]
            self.prep.lengths[code] = 1


def endpoints(prep: Prepared) -> dict[str, Endpoint]:
    def gets(paths: list[str], expect: int) -> Callable[[int, int], list[Plan]]:
        def plans(n: int, port: int) -> list[Plan]:
            reqs = [request_bytes("GET", p, port) for p in paths]
            return [Fixed(reqs, expect, i) for i in range(n)]

        return plans

    right = [f"/public/files/{c}?pin={p}" for c, p in prep.samples]

    def guesses(n: int, port: int) -> list[Plan]:
        per_code = FREE_TRIES - 1  # spread: the miss path, never the lockout
        return [Guesses(prep.samples[i::n], port, i, per_code) for i in range(n)]

    def hand_offs(n: int, port: int) -> list[Plan]:
        codes = sorted(prep.files)
        return [HandOffs(prep, codes[i::n], port) for i in range(n)]

    def receipts(n: int, port: int) -> list[Plan]:
        return [Receipts(prep, port) for _ in range(n)]

    return {
        e.name: e
        for e in [
            Endpoint("hello", "minimal", gets(["/hello"], 200)),
            Endpoint("hello-sync", "minimal", gets(["/hello-sync"], 200)),
            Endpoint("lookup", "hoso", gets(right, 200)),
            Endpoint("lookup-wrong-pin", "hoso", guesses),
            Endpoint("hand-off", "hoso", hand_offs),
            Endpoint("receipt", "hoso", receipts),
        ]
    }


def run_block(
    kind: str,
    names: list[str],
    eps: dict[str, Endpoint],
    args: argparse.Namespace,
    prep: Prepared,
    levels: list[int],
    seconds: float,
    tag: str = "",
) -> list[Level]:
    out: list[Level] = []
    with serve(kind, args, prep) as server, pinned(not args.no_pin):
        for name in names:
            for n in levels:
                before = None
                if name == "hand-off":
                    before = sum(prep.lengths.values()) / len(prep.lengths)
                level = measure(eps[name], n, server, seconds, args.warmup)
                if tag:
                    level.endpoint = name + tag
                if before is not None:
                    after = sum(prep.lengths.values()) / len(prep.lengths)
                    level.extra = {
                        "files": len(prep.lengths),
                        "mean_events_before": round(before, 1),
                        "mean_events_after": round(after, 1),
                    }
                level.extra["load_average"] = os.getloadavg()[0]
                out.append(level)
                print(row(level), flush=True)
    return out


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    versions: dict[str, str | None] = {}
    for pkg in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "h11", "pydantic"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def resolve(args: argparse.Namespace) -> None:
    """uvicorn's "auto": uvloop and httptools when installed, else asyncio and h11."""
    import importlib.util

    if args.loop == "auto":
        args.loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if args.http == "auto":
        args.http = "httptools" if importlib.util.find_spec("httptools") else "h11"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per level")
    parser.add_argument("--warmup", type=float, default=1.0, help="not recorded, per level")
    parser.add_argument("--connections", default="1,10,50")
    parser.add_argument("--recheck-seconds", type=float, default=3.0, help="0: no re-check")
    parser.add_argument("--loop", default="auto", help="uvicorn loop: auto, asyncio, uvloop")
    parser.add_argument("--http", default="auto", help="uvicorn http: auto, h11, httptools")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the load generator")
    parser.add_argument("--profile-requests", type=int, default=500, help="0: no profile")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None, help="print the tables of a result")
    args = parser.parse_args(argv)
    if args.report:
        report(orjson.loads(args.report.read_bytes()))
        return 0
    resolve(args)
    levels = [int(s) for s in args.connections.split(",") if s.strip()]
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    doc: dict[str, Any] = {
        "backend": args.backend,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "uvicorn": {"loop": args.loop, "http": args.http, "workers": 1, "access_log": False},
        "seconds": args.seconds,
        "warmup": args.warmup,
        "load_average_start": os.getloadavg(),
    }
    print(f"load average {os.getloadavg()}; uvicorn loop={args.loop} http={args.http}")
    with fresh_data(args.backend) as (data, db):
        prep = prepare(data, db)
        doc["demo_seconds"] = round(prep.demo_seconds, 1)
        doc["handoff_files"] = len(prep.files)
        doc["samples"] = len(prep.samples)
        print(f"demo ready in {prep.demo_seconds:.1f} s; {len(prep.files)} files for hand-offs")
        eps = endpoints(prep)
        print(HEADER)
        hello = ["hello", "hello-sync"]
        results = run_block("minimal", hello, eps, args, prep, levels, args.seconds)
        hoso = ["lookup", "lookup-wrong-pin", "receipt", "hand-off"]
        results += run_block("hoso", hoso, eps, args, prep, levels, args.seconds)
        if args.recheck_seconds > 0:
            results += run_block(
                "minimal", ["hello"], eps, args, prep, levels, args.recheck_seconds, " (re-check)"
            )
        with pinned(not args.no_pin) as how:
            doc["pinning"] = how
        doc["results"] = [x.__dict__ for x in results]
        doc["ratios"] = ratios(results)
        out = args.out or RESULTS / f"http-{started:%Y-%m-%d}-{args.backend}.json"
        write(out, doc, t_start)  # the load figures survive a failed profile
        if args.profile_requests > 0:
            print(f"profiling {args.profile_requests} lookups and hand-offs in-process ...")
            doc["profile"] = profile(prep, args.profile_requests)
    write(out, doc, t_start)
    report(doc, levels_table=False)
    print(f"wrote {out} ({doc['total_seconds']} s)")
    return 0


def write(out: Path, doc: dict[str, Any], t_start: float) -> None:
    doc["load_average_end"] = os.getloadavg()
    doc["total_seconds"] = round(time.perf_counter() - t_start, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    raise SystemExit(main())
