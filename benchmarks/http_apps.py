"""The two HTTP servers measured by ``benchmarks.http_load``, each run as its own process.

    python -m benchmarks.http_apps minimal --port P [--loop asyncio] [--http h11]
    python -m benchmarks.http_apps hoso --data D [--db URL] --port P [--loop ...] [--http ...]

``minimal``: a bare FastAPI app, ``GET /hello`` (``async def``) and ``GET /hello-sync`` (plain
``def``, so it goes through the same thread pool as every hoso route), both returning a small
JSON object. ``hoso``: the real service as ``hoso serve`` builds it
(``create_app(settings, follow_projections=True)``, the Merkle integrator every 2 s), except that
the citizen lookup's per-address rate limit (the service's ``lookup_limit``, 10 a minute with a
burst of 20 by default) is replaced by one too large to ever refuse, over a window of one
second: the moving window keeps one entry per request within the window, and the library inserts
each new one at the front of the list, so a window of a minute held every request of the run
(200,000 entries and more, each insert moving them all: a cost no real address pays, whose
list never holds more than 20). Both run under
uvicorn with one worker, access log off, and the same loop and HTTP implementation.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fastapi import FastAPI

UNLIMITED_BURST = 10**9  # requests in the window: the benchmark must never see a 429
UNLIMITED_RATE = UNLIMITED_BURST * 60.0  # a minute's tokens: the window is one second


def minimal_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, Any]:
        return {"message": "hello", "ok": True}

    @app.get("/hello-sync")
    def hello_sync() -> dict[str, Any]:
        return {"message": "hello", "ok": True}

    return app


def hoso_app(data: Path, db: str | None) -> FastAPI:
    from api.http.app import create_app
    from api.http.limits import AddressLimit
    from api.http.state import state_of
    from api.settings import load_settings

    settings = load_settings(data, db)
    app = create_app(settings, follow_projections=True)
    state_of(app).lookup_limit = AddressLimit(UNLIMITED_RATE, UNLIMITED_BURST)
    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=("minimal", "hoso"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--db", default=None)
    parser.add_argument("--loop", default="asyncio")
    parser.add_argument("--http", default="h11")
    args = parser.parse_args(argv)
    app = minimal_app() if args.app == "minimal" else hoso_app(args.data, args.db)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        http=args.http,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
