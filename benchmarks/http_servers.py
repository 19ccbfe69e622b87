"""The servers under load: ``benchmarks.http_apps <kind>`` run as its own uvicorn process on a
free loopback port until the block ends, ready once a probe answers; and the CPU time counters of
a process and of the whole machine (``/proc``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.http_ledger import Prepared
from benchmarks.http_wire import read_response, request_bytes


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
