"""``python -m benchmarks.scenario --backend {sqlite,postgres} --events N [--quick] [--runs 3]``.

Runs the province-scale scenario (see ``runner.py``) ``--runs`` times, one after the other, each
on fresh stores; writes each run to ``benchmarks/results/<started>-<backend>[-quick].json``,
regenerates ``benchmarks/RESULTS.md`` (each figure's median and worst over the newest three runs
of that size, a target met only by the worst) and the PNG charts beside the results, and prints
the verdicts. A target missed is reported, never an
error: the exit code is non-zero only when the scenario itself breaks (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console

from benchmarks.scenario.context import PG_URL, Context, scratch_dir
from benchmarks.scenario.report import newest_results, write_result, write_results_md

HERE = Path(__file__).resolve().parent.parent
QUICK_EVENTS = 10_000


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scenario", description=__doc__)
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--events",
        type=int,
        default=None,
        help=f"events to ingest (default 1,000,000; {QUICK_EVENTS:,} with --quick)",
    )
    p.add_argument("--quick", action="store_true", help="short timings: under 2 minutes")
    p.add_argument(
        "--runs",
        type=int,
        default=1,
        help="whole runs, one after the other (3 for the report's median and worst)",
    )
    p.add_argument("--pg-url", default=PG_URL, help="PostgreSQL database (a schema per store)")
    p.add_argument("--out-dir", type=Path, default=HERE / "results", help="result files and charts")
    p.add_argument("--traceback", action="store_true", help="show the traceback of a failure")
    p.add_argument(
        "--results-md",
        type=Path,
        default=None,
        help="the Markdown report to regenerate (default benchmarks/RESULTS.md for full "
        "runs; a quick run writes it only when given)",
    )
    args = p.parse_args(argv)
    if args.events is None:
        args.events = QUICK_EVENTS if args.quick else 1_000_000
    if args.events < 1000:
        p.error("--events must be at least 1000")
    if not 1 <= args.runs <= 10:
        p.error("--runs must be between 1 and 10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    console = Console(stderr=True)
    if args.backend == "postgres":
        try:
            with psycopg.connect(args.pg_url, connect_timeout=5):
                pass
        except psycopg.Error as e:
            print(
                f"scenario: PostgreSQL unreachable at {args.pg_url}: {str(e).splitlines()[0]}",
                file=sys.stderr,
            )
            return 1
    from benchmarks.scenario.runner import run_scenario

    docs: list[dict[str, Any]] = []
    for n in range(args.runs):
        if args.runs > 1:
            console.rule(f"run {n + 1} of {args.runs}")
        with scratch_dir() as workdir:
            ctx = Context(
                backend=args.backend,
                events=args.events,
                quick=args.quick,
                workdir=workdir,
                pg_url=args.pg_url,
                console=console,
            )
            try:
                doc = run_scenario(ctx)
            except Exception as e:
                if args.traceback:
                    raise
                print(
                    f"scenario: failed: {type(e).__name__}: {e} (--traceback shows where)",
                    file=sys.stderr,
                )
                return 1
            finally:
                ctx.close()
        path = write_result(args.out_dir, doc)
        console.log(f"result: {path}")
        docs.append(doc)
    md = args.results_md
    if md is None and not args.quick:
        md = HERE / "RESULTS.md"
    if md is not None:
        groups = newest_results(args.out_dir, include_quick=args.quick)
        write_results_md(md, groups, args.out_dir)
        console.log(f"report: {md}")
    for n, doc in enumerate(docs, start=1):
        missed = [f["label"] for f in doc["figures"] if f["met"] is False]
        met = [f for f in doc["figures"] if f["met"]]
        run = f" (run {n} of {len(docs)})" if len(docs) > 1 else ""
        print(
            f"scenario {args.backend}, {args.events:,} events{run}: {len(met)} targets met, "
            f"{len(missed)} missed" + (f" ({'; '.join(missed)})" if missed else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
