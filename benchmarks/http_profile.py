"""Where an HTTP request's time goes: cProfile of lookups and hand-offs in-process (FastAPI's
``TestClient``, the same data), one profiler per thread of the app, summarised per request
(named costs by cumulative time, the largest own times)."""

from __future__ import annotations

import cProfile
import io
import itertools
import pstats
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.http_ledger import DESK, OFFICERS, UNIT, Prepared


def profile(prep: Prepared, requests: int) -> dict[str, Any]:
    """cProfile ``requests`` lookups and as many hand-offs in-process (TestClient)."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.http.limits import AddressLimit
    from api.http.state import state_of
    from api.settings import load_settings
    from benchmarks.http_apps import UNLIMITED_BURST, UNLIMITED_RATE

    settings = load_settings(prep.data, prep.db)
    app = create_app(settings, integrate_every=None, follow_projections=False)
    state_of(app).lookup_limit = AddressLimit(UNLIMITED_RATE, UNLIMITED_BURST)
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
    threading.setprofile(None)
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
                if prof.stats:
                    # pstats accepts any object with create_stats() and stats (its own duck type)
                    merged.add(_Snapshot(prof.stats))  # type: ignore[arg-type]
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
    "Ed25519 verify": "signing/keys.py:verify_signature",
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
