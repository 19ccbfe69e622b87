"""The ingest stage's batches taken by worker processes, as ``hoso serve --workers N`` takes
concurrent ``POST /batch`` requests: each process opens its own ledger and ``Intake`` on the
same store and runs ``Intake.submit_many`` on the files given to it.

A file always goes to the same process (``share_of``: a CRC-32 of its code), so each process
sees every event of its files, in order, and keeps their verified heads in its own cache; a
chunk's requests are split by file, sent to every process at once, and the chunk is done when
all of them have answered (the next chunk's events of a file come after this one's).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ledger.encoding.envelope import Envelope

START_TIMEOUT = 300.0  # spawning, importing and opening the store
CHUNK_TIMEOUT = 3600.0  # one chunk's requests in one process


def own_time(env: Envelope) -> datetime:
    """The server's receipt time of a replayed envelope: its own ``occurred_at``."""
    return env.occurred_at


def share_of(code: str, processes: int) -> int:
    return zlib.crc32(code.encode()) % processes


def _serve(url: str, verifying_threads: int, conn: Any) -> None:
    from benchmarks.workload import reopen_ledger
    from ledger.chain.intake import Intake
    from ledger.store.opening import open_postgres

    try:
        ledger = reopen_ledger(open_postgres(url))
        intake = Intake(ledger, workers=verifying_threads)
    except BaseException as e:
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready",))
    try:
        while (batches := conn.recv()) is not None:
            refusals = []
            for batch in batches:
                for outcome in intake.submit_many(batch, now=own_time):
                    if outcome.error is not None:
                        refusals.append(f"{outcome.code} refused: {outcome.error}")
            conn.send(("ok", refusals))
    except BaseException as e:  # the parent must hear of it, not wait for it
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        intake.close()
        ledger.close()


class IngestWorkers:
    """``processes`` worker processes on the PostgreSQL store at ``url`` (see the module doc)."""

    def __init__(self, url: str, processes: int, *, verifying_threads: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self.processes = processes
        self._conns: list[Any] = []
        self._procs: list[Any] = []
        for i in range(processes):
            mine, theirs = context.Pipe()
            proc = context.Process(
                target=_serve,
                args=(url, verifying_threads, theirs),
                name=f"hoso-bench-ingest-{i}",
                daemon=True,
            )
            proc.start()
            theirs.close()
            self._conns.append(mine)
            self._procs.append(proc)
        try:
            self._answers(START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    def submit(
        self, requests: Sequence[list[list[bytes]]], codes: Sequence[list[str]]
    ) -> list[str]:
        """Every request's submissions, each to its file's process, all processes at once;
        the refusals (none when every file was stored). ``codes[i][j]`` is the file of
        ``requests[i][j]``."""
        shares: list[list[list[list[bytes]]]] = [[] for _ in self._conns]
        for batch, files in zip(requests, codes, strict=True):
            split: list[list[list[bytes]]] = [[] for _ in self._conns]
            for submission, code in zip(batch, files, strict=True):
                split[share_of(code, self.processes)].append(submission)
            for share, part in zip(shares, split, strict=True):
                if part:
                    share.append(part)
        for conn, share in zip(self._conns, shares, strict=True):
            conn.send(share)
        refusals: list[str] = []
        for answer in self._answers(CHUNK_TIMEOUT):
            refusals.extend(answer[1])
        return refusals

    def _answers(self, timeout: float) -> list[tuple[Any, ...]]:
        answers = []
        for conn, proc in zip(self._conns, self._procs, strict=True):
            if not conn.poll(timeout):
                raise RuntimeError(f"ingest worker {proc.name} did not answer in {timeout:.0f} s")
            try:
                answer = conn.recv()
            except EOFError as e:
                raise RuntimeError(f"ingest worker {proc.name} died without a word") from e
            if answer[0] == "error":
                raise RuntimeError(f"ingest worker {proc.name} failed: {answer[1]}")
            answers.append(answer)
        return answers

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError, ValueError):  # already gone
                conn.send(None)
        for proc in self._procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)
        for conn in self._conns:
            conn.close()
