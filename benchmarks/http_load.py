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
   with wrong PINs (404, the same scrypt), ``POST /files/{code}/hand-off`` (201) and
   ``POST /files`` (a receipt, 201), each at every ``--connections`` level.

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
import asyncio
import contextlib
import cProfile
import io
import itertools
import os
import platform
import pstats
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

RESULTS = Path(__file__).parent / "results"
PG = "postgresql://postgres@127.0.0.1:5432/test"
UNIT = "PBADINH"
DESK = "mot-cua"
OFFICERS = ("quay01", "quay02")
NOTE = "Chuyển xử lý (benchmark)"
RECEIPT: dict[str, Any] = {
    "procedure": "certified_copy",
    "channel": "in_person",
    "counter": "Q01",
    "department": DESK,
    "documents": ["Bản chính giấy khai sinh"],
    "applicant": {
        "full_name": "Trần Thị Bình",
        "id_number": "001190054321",
        "phone": "0987654321",
        "address": "5 Kim Mã, Hà Nội",
    },
}
HANDOFF_STATES = {"received", "in_progress", "awaiting_signature", "signed"}


# --------------------------------------------------------------------------- the ledger
@dataclass
class Prepared:
    data: Path
    db: str | None
    tokens: dict[str, str]  # actor -> bearer token
    samples: list[tuple[str, str]]  # (code, PIN)
    files: dict[str, str]  # code -> the officer holding it now
    lengths: dict[str, int]  # code -> events, as the benchmark last knew it
    demo_seconds: float


def hoso_command() -> list[str]:
    beside = Path(sys.executable).parent / "hoso"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "api.cli"]


def prepare(data: Path, db: str | None) -> Prepared:
    """The demo's day, its credentials, the hand-off pool and a token for the second officer."""
    from api.auth import ApiRole
    from api.cli_tokens import CREDENTIALS_NAME, issue
    from api.settings import load_settings
    from api.wiring import open_ledger
    from domain.events import Desk
    from ledger.errors import LedgerError
    from signing import KeyDirectory

    started = time.perf_counter()
    cmd = [*hoso_command(), "demo", "--data", str(data), "--days", "1"]
    if db:
        cmd += ["--db", db]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    demo_seconds = time.perf_counter() - started
    creds = orjson.loads((data / CREDENTIALS_NAME).read_bytes())
    officer = creds["tokens"]["officer"]
    assert officer["actor"] == OFFICERS[0], officer["actor"]
    tokens = {OFFICERS[0]: officer["token"]}
    samples = [(s["code"], s["pin"]) for s in creds["samples"]]

    settings = load_settings(data, db)
    ledger = open_ledger(settings)
    keys = KeyDirectory(settings.keys_dir)
    files: dict[str, str] = {}
    lengths: dict[str, int] = {}
    try:
        rows = ledger.store.query(
            "SELECT DISTINCT originator_id AS code FROM hoso_events WHERE originator_id LIKE ?",
            (UNIT + "-%",),
        )
        target = Desk(OFFICERS[0], DESK, UNIT)
        for code in sorted(str(r["code"]) for r in rows):
            loaded = ledger.load(code)
            f = loaded.file
            if f.state.value not in HANDOFF_STATES or f.unit != UNIT:
                continue
            n = len(loaded.envelopes)
            if f.holder != target:
                actor = f.holder.officer or OFFICERS[0]
                try:
                    ledger.execute(
                        code,
                        signer=keys.signer(actor),
                        actor=actor,
                        at=ledger.clock(),
                        command=lambda g, a=actor: g.hand_off(
                            actor=a, to=target, note=NOTE, at=ledger.clock()
                        ),
                    )
                except (LedgerError, ValueError) as e:
                    print(f"  (skipping {code}: {e})", file=sys.stderr)
                    continue
                n += 1
            files[code] = OFFICERS[0]
            lengths[code] = n
        second = issue(
            ledger,
            actor=OFFICERS[1],
            role=ApiRole.OFFICER,
            unit=UNIT,
            now=datetime.now(UTC),
        )
        tokens[OFFICERS[1]] = second.token
    finally:
        ledger.store.close()
    return Prepared(data, db, tokens, samples, files, lengths, demo_seconds)


@contextlib.contextmanager
def fresh_data(backend: str) -> Iterator[tuple[Path, str | None]]:
    with tempfile.TemporaryDirectory(prefix="hoso-http-bench-") as tmp:
        data = Path(tmp) / "data"
        if backend == "sqlite":
            yield data, None
            return
        schema = "bench_" + os.urandom(6).hex()
        try:
            yield data, f"{PG}?schema={schema}"
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --------------------------------------------------------------------------- the servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy since boot (``/proc/stat``)."""
    parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    kind: str
    pid: int
    port: int


@contextlib.contextmanager
def serve(
    kind: str,
    args: argparse.Namespace,
    prep: Prepared | None,
    probe: tuple[str, int] | None = None,
) -> Iterator[Server]:
    """Run ``benchmarks.http_apps <kind>`` on a free loopback port until the block ends; ready
    when ``probe`` (path, status; default: ``/hello`` or ``/log/checkpoint``, 200) answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "benchmarks.http_apps", kind, "--port", str(port)]
    cmd += ["--loop", args.loop, "--http", args.http]
    if kind == "hoso":
        assert prep is not None
        cmd += ["--data", str(prep.data)] + (["--db", prep.db] if prep.db else [])
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=Path.cwd())
        with contextlib.suppress(OSError):
            os.sched_setaffinity(proc.pid, range(os.cpu_count() or 1))
        try:
            _wait_ready(proc, kind, port, log, probe)
            yield Server(kind, proc.pid, port)
        finally:
            proc.terminate()  # SIGTERM: uvicorn shuts down, the lifespan closes the store
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.seek(0)
            tail = log.read().decode(errors="replace").strip()
            if "Traceback" in tail or "ERROR" in tail:
                print(f"--- {kind} server log (tail) ---\n{tail[-3000:]}", file=sys.stderr)


def _wait_ready(
    proc: subprocess.Popen[bytes],
    kind: str,
    port: int,
    log: Any,
    probe: tuple[str, int] | None = None,
) -> None:
    path, expect = probe or ("/hello" if kind == "minimal" else "/log/checkpoint", 200)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{kind} server exited: {log.read().decode()[-2000:]}")
        try:
            if asyncio.run(_probe(port, path)) == expect:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} server not ready after 120 s")
        time.sleep(0.2)


async def _probe(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes("GET", path, port))
        status, _ = await read_response(reader)
        return status
    finally:
        writer.close()


# --------------------------------------------------------------------------- the client
def request_bytes(
    method: str, path: str, port: int, body: bytes = b"", token: str | None = None
) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: */*"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body or method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


class Plan:
    """What one simulated client sends next, and what it learns from the answer."""

    expect: int

    def next(self) -> bytes:
        raise NotImplementedError

    def answered(self, status: int, body: bytes) -> None:
        return None


class Fixed(Plan):
    def __init__(self, requests: list[bytes], expect: int, start: int) -> None:
        self.requests = itertools.cycle(requests[start % len(requests) :] + requests[:start])
        self.expect = expect

    def next(self) -> bytes:
        return next(self.requests)


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


@dataclass
class Endpoint:
    name: str
    server: str  # "minimal" or "hoso"
    plans: Callable[[int, int], list[Plan]]  # (connections, port) -> one plan per client


@dataclass
class Level:
    endpoint: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    client_cpu: float  # CPU-seconds per second of the load generator
    server_cpu: float  # CPU-seconds per second of the server process
    other_cpu: float = float("nan")  # the rest of the machine: other jobs, PostgreSQL
    error_sample: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


async def _client(
    port: int,
    plan: Plan,
    start: float,
    stop: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                return
            try:
                writer.write(plan.next())
                status, body = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as e:
                if t0 >= start:
                    errors.append(f"connection: {e!r}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            t1 = time.perf_counter()
            plan.answered(status, body)
            if t0 < start or t1 > stop:
                continue  # warm-up, or finished after the window closed
            if status == plan.expect:
                latencies.append(t1 - t0)
            else:
                errors.append(f"{status}: {body[:200].decode(errors='replace')}")
    finally:
        writer.close()


def measure(
    endpoint: Endpoint, connections: int, server: Server, seconds: float, warmup: float
) -> Level:
    plans = endpoint.plans(connections, server.port)
    latencies: list[float] = []
    errors: list[str] = []

    async def run() -> tuple[float, ...]:
        now = time.perf_counter()
        start, stop = now + warmup, now + warmup + seconds
        tasks = [
            asyncio.create_task(_client(server.port, p, start, stop, latencies, errors))
            for p in plans
        ]
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        c0, s0, m0 = time.process_time(), cpu_seconds(server.pid), machine_busy_seconds()
        await asyncio.sleep(max(0.0, stop - time.perf_counter()))
        c1, s1, m1 = time.process_time(), cpu_seconds(server.pid), machine_busy_seconds()
        await asyncio.gather(*tasks)
        return c0, c1, s0, s1, m0, m1

    c0, c1, s0, s1, m0, m1 = asyncio.run(run())
    lat = sorted(latencies)
    n = len(lat)

    def pct(q: float) -> float:
        return lat[min(n - 1, int(n * q))] * 1000 if n else float("nan")

    samples = sorted(set(errors))[:3]
    return Level(
        endpoint=endpoint.name,
        connections=connections,
        seconds=seconds,
        requests=n,
        errors=len(errors),
        rps=n / seconds,
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        max_ms=lat[-1] * 1000 if n else float("nan"),
        mean_ms=sum(lat) / n * 1000 if n else float("nan"),
        client_cpu=(c1 - c0) / seconds,
        server_cpu=(s1 - s0) / seconds,
        other_cpu=max(0.0, (m1 - m0) - (c1 - c0) - (s1 - s0)) / seconds,
        error_sample=samples,
    )


def endpoints(prep: Prepared) -> dict[str, Endpoint]:
    def gets(paths: list[str], expect: int) -> Callable[[int, int], list[Plan]]:
        def plans(n: int, port: int) -> list[Plan]:
            reqs = [request_bytes("GET", p, port) for p in paths]
            return [Fixed(reqs, expect, i) for i in range(n)]

        return plans

    right = [f"/public/files/{c}?pin={p}" for c, p in prep.samples]
    wrong = [f"/public/files/{c}?pin={(int(p) + 1) % 1_000_000:06d}" for c, p in prep.samples]

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
            Endpoint("lookup-wrong-pin", "hoso", gets(wrong, 404)),
            Endpoint("hand-off", "hoso", hand_offs),
            Endpoint("receipt", "hoso", receipts),
        ]
    }


@contextlib.contextmanager
def pinned(enabled: bool) -> Iterator[str]:
    """Pin this process (the load generator) to the last CPU while measuring."""
    if not enabled or not hasattr(os, "sched_setaffinity"):
        yield "not pinned"
        return
    before = os.sched_getaffinity(0)
    cpu = max(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield f"client pinned to CPU {cpu}; server on CPUs {sorted(before)}"
    finally:
        os.sched_setaffinity(0, before)


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


# --------------------------------------------------------------------------- the profile
def profile(prep: Prepared, requests: int) -> dict[str, Any]:
    """cProfile ``requests`` lookups and as many hand-offs in-process (TestClient)."""
    from fastapi.testclient import TestClient

    from api.http import create_app
    from api.middleware import TokenBucket
    from api.routes_public import LOOKUP_BUCKET
    from api.settings import load_settings
    from benchmarks.http_apps import UNLIMITED_BURST, UNLIMITED_RATE

    settings = load_settings(prep.data, prep.db)
    app = create_app(settings, integrate_every=None, follow_projections=False)
    setattr(app.state, LOOKUP_BUCKET, TokenBucket(UNLIMITED_RATE, UNLIMITED_BURST))
    result: dict[str, Any] = {"requests": requests}
    profiles = ThreadProfiles()
    profiles.install()
    with TestClient(app) as http:
        samples = itertools.cycle(prep.samples)
        codes = itertools.cycle(sorted(prep.files))

        def lookup() -> None:
            code, pin = next(samples)
            r = http.get(f"/public/files/{code}?pin={pin}")
            assert r.status_code == 200, r.text

        def hand_off() -> None:
            code = next(codes)
            holder = prep.files[code]
            other = OFFICERS[1] if holder == OFFICERS[0] else OFFICERS[0]
            r = http.post(
                f"/files/{code}/hand-off",
                json={"to_desk": {"officer": other, "department": DESK, "agency": UNIT}},
                headers={"Authorization": f"Bearer {prep.tokens[holder]}"},
            )
            assert r.status_code == 201, r.text
            prep.files[code] = other
            prep.lengths[code] += 1

        for name, call in (("lookup", lookup), ("hand-off", hand_off)):
            for _ in range(5):  # the worker threads exist (and are profiled) from here on
                call()
            before = sum(prep.lengths.values()) / len(prep.lengths)
            profiles.clear()
            t0 = time.perf_counter()
            for _ in range(requests):
                call()
            wall = time.perf_counter() - t0
            result[name] = summarise_profile(profiles.stats(), requests, wall)
            if name == "hand-off":
                result[name]["mean_events"] = round(
                    (before + sum(prep.lengths.values()) / len(prep.lengths)) / 2, 1
                )
    threading.setprofile(None)  # type: ignore[arg-type]
    return result


class ThreadProfiles:
    """One cProfile per thread started after ``install()``: ``TestClient`` runs the app's event
    loop in a thread of its own and the sync endpoints in anyio's worker threads, none of them
    the caller's, so a profiler enabled in the caller would see only the client."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self.lock = threading.Lock()

    def install(self) -> None:
        threading.setprofile(self._hook)

    def _hook(self, frame: Any, event: str, arg: Any) -> None:
        prof = cProfile.Profile()
        with self.lock:
            self.profiles.append(prof)
        prof.enable()  # replaces this hook in this thread

    def clear(self) -> None:
        with self.lock:
            for prof in self.profiles:
                prof.clear()

    def stats(self) -> pstats.Stats:
        merged = pstats.Stats(stream=io.StringIO())
        with self.lock:
            for prof in self.profiles:
                prof.snapshot_stats()  # without disabling it in its own thread
                if prof.stats:  # type: ignore[attr-defined]
                    merged.add(_Snapshot(prof.stats))  # type: ignore[attr-defined]
        return merged


class _Snapshot:
    def __init__(self, stats: dict[Any, Any]) -> None:
        self.stats = dict(stats)

    def create_stats(self) -> None:
        return None


# Functions whose cumulative time is worth naming (matched on "file:function" substrings).
NAMED = {
    "scrypt (PIN check)": "pins.py:pin_matches",
    "scrypt (PIN hash)": "pins.py:hash_pin",
    "Ledger.load (read + verify the file)": "service.py:load",
    "Ledger.execute": "service.py:execute",
    "Ledger._append (sign, check, insert)": "service.py:_append",
    "Ledger.registry()": "service.py:registry",
    "ChainVerifier.check (per event)": "verify.py:check",
    "Ed25519 verify": "signing/verify.py:verify_signature",
    "Ed25519 sign": "signing/signer.py:sign",
    "auth: bearer token lookup": "auth.py:",
    "citizen_status (projection rows)": "queries.py:citizen_status",
    "store.query": "store.py:query",
    "store.stream": "store.py:stream",
    "anyio to_thread.run_sync": "to_thread.py:run_sync",
    "pydantic validation / serialisation": "fastapi/_compat",
    "FastAPI serialize_response": "routing.py:serialize_response",
}


WAITS = (
    "<method 'poll' of 'select.epoll' objects>",
    "<method 'acquire' of '_thread.lock' objects>",
    "<method 'control' of 'select.kqueue' objects>",
)


def summarise_profile(stats: pstats.Stats, requests: int, wall: float) -> dict[str, Any]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    waiting = sum(v[2] for k, v in raw.items() if k[2] in WAITS)
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) - waiting
    busy = [kv for kv in raw.items() if kv[0][2] not in WAITS]
    by_tottime = sorted(busy, key=lambda kv: kv[1][2], reverse=True)[:15]

    def label(key: tuple[str, int, str]) -> str:
        file, line, fn = key
        short = "/".join(Path(file).parts[-2:]) if file != "~" else ""
        return f"{short}:{line}:{fn}" if short else fn

    named: dict[str, float] = {}
    for title, needle in NAMED.items():
        f_part, _, fn_part = needle.partition(":")
        best = 0.0
        for (file, _line, fn), (_cc, _nc, _tt, ct, _callers) in raw.items():
            if file.endswith(f_part) or (f_part in file and "/" in f_part):
                if fn_part and fn != fn_part:
                    continue
                best = max(best, ct)
        if best:
            named[title] = round(best / requests * 1000, 3)
    builtins = {
        "hashlib.scrypt": "<built-in method _hashlib.scrypt>",
        "sqlite3 execute": "<method 'execute' of 'sqlite3.Connection' objects>",
        "sqlite3 cursor execute": "<method 'execute' of 'sqlite3.Cursor' objects>",
        "sqlite3 commit": "<method 'commit' of 'sqlite3.Connection' objects>",
    }
    for title, fn in builtins.items():
        ct = sum(v[3] for k, v in raw.items() if k[2] == fn)
        if ct:
            named[title] = round(ct / requests * 1000, 3)
    return {
        "wall_ms_per_request": round(wall / requests * 1000, 3),
        "profiled_ms_per_request": round(total / requests * 1000, 3),
        "waiting_ms_per_request": round(waiting / requests * 1000, 3),
        "cumulative_ms_per_request": named,
        "top_tottime": [
            {
                "function": label(k),
                "calls_per_request": round(v[1] / requests, 2),
                "ms_per_request": round(v[2] / requests * 1000, 3),
                "share": round(v[2] / total, 3),
            }
            for k, v in by_tottime
        ],
    }


# --------------------------------------------------------------------------- reporting
def row(x: Level) -> str:
    return (
        f"| {x.endpoint} | {x.connections} | {x.rps:,.0f} | {x.p50_ms:.2f} | {x.p99_ms:.2f} | "
        f"{x.errors} | {x.client_cpu:.2f} | {x.server_cpu:.2f} | {x.other_cpu:.2f} |"
    )


HEADER = (
    "| endpoint | conns | req/s | p50 ms | p99 ms | errors "
    "| client CPU | server CPU | other CPU |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def ratios(levels: list[Level]) -> list[dict[str, Any]]:
    by = {(x.endpoint, x.connections): x for x in levels}
    out = []
    for (name, n), x in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        base = by.get(("hello", n))
        if base is None or x.endpoint.startswith("hello"):
            continue
        sync = by.get(("hello-sync", n))
        out.append(
            {
                "endpoint": name,
                "connections": n,
                "rps_ratio_vs_hello": round(x.rps / base.rps, 4),
                "rps_ratio_vs_hello_sync": round(x.rps / sync.rps, 4) if sync else None,
                "p50_ratio_vs_hello": round(x.p50_ms / base.p50_ms, 1),
                "p99_ratio_vs_hello": round(x.p99_ms / base.p99_ms, 1),
            }
        )
    return out


def report(doc: dict[str, Any], *, levels_table: bool = True) -> None:
    """Markdown tables (and the profile's largest costs) from a result document."""
    if levels_table:
        print(f"{doc['backend']}, {doc['started']}, uvicorn {doc['uvicorn']}\n\n{HEADER}")
        for x in doc["results"]:
            print(row(Level(**x)))
    print("\n| endpoint | conns | req/s ÷ hello | req/s ÷ hello-sync | p50 × hello | p99 × hello |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in doc["ratios"]:
        print(
            f"| {r['endpoint']} | {r['connections']} | {r['rps_ratio_vs_hello']:.3f} | "
            f"{r['rps_ratio_vs_hello_sync']:.3f} | {r['p50_ratio_vs_hello']} | "
            f"{r['p99_ratio_vs_hello']} |"
        )
    for name, prof in doc.get("profile", {}).items():
        if not isinstance(prof, dict):
            continue
        print(
            f"\nprofile {name}: {prof['wall_ms_per_request']} ms/request wall (TestClient), "
            f"{prof['profiled_ms_per_request']} ms busy in the app's threads"
        )
        for title, ms in sorted(prof["cumulative_ms_per_request"].items(), key=lambda kv: -kv[1]):
            print(f"  cumulative {ms:8.3f} ms  {title}")
        for t in prof["top_tottime"][:10]:
            print(
                f"  own        {t['ms_per_request']:8.3f} ms  {t['share']:5.1%}  "
                f"x{t['calls_per_request']:<7} {t['function']}"
            )


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    versions = {}
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
