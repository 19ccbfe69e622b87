"""The load generator: one raw HTTP/1.1 keep-alive connection per simulated client, each sending
its next request (its ``Plan``) as soon as the previous answer is read; a warm-up, then a timed
window whose latencies, errors and CPU time (client, server, rest of the machine) make a ``Level``.
The load generator may be pinned to the last CPU while it measures (``pinned``)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from benchmarks.http_servers import Server, cpu_seconds, machine_busy_seconds
from benchmarks.http_wire import read_response, request_bytes


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


class Guesses(Plan):
    """Wrong PINs spread so that no code locks: the miss path, not the lockout. Each known
    code of ``pairs`` (this client's share, with its right PIN, never sent) gets ``per_code``
    wrong guesses, then codes nobody issued (``ZZ<client>.<n>-991231-<n>``: the same work, by
    design) get as many each. Keep ``per_code`` below the lockout's free tries."""

    expect = 404

    def __init__(self, pairs: list[tuple[str, str]], port: int, client: int, per_code: int):
        self.requests = self._requests(pairs, port, client, per_code)

    @staticmethod
    def _requests(
        pairs: list[tuple[str, str]], port: int, client: int, per_code: int
    ) -> Iterator[bytes]:
        unknown = (
            (f"ZZ{client:03d}.{n // 10_000:04d}-991231-{n % 10_000:04d}", "000000")
            for n in itertools.count()
        )
        for code, right in itertools.chain(pairs, unknown):
            for k in range(1, per_code + 1):
                guess = f"{(int(right) + k * 7919) % 1_000_000:06d}"
                yield request_bytes("GET", f"/public/files/{code}?pin={guess}", port)

    def next(self) -> bytes:
        return next(self.requests)


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
