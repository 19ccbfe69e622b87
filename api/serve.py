"""``hoso serve`` and ``hoso witness serve``: the commands that start servers, and the service
in one process, or a leader and several worker processes.

These commands live here, not in ``api.cli``, so that the CLI and the HTTP service never import
each other (an import-linter contract); ``api.main`` adds them to the CLI's app.

One process (the default, and the only choice on SQLite): the HTTP app follows the projections
and keeps the log integrated and checkpointed itself (``create_app(follow_projections=True)``).

``--workers N`` (N > 1, PostgreSQL): the Python work of a command (read, verify, sign) runs under
one interpreter lock per process, so one process uses one core. Here N uvicorn worker processes
share the listening socket, each with its own ledger, group commit and caches; the process that
started them (the leader) runs what must run exactly once: the projections' followers and the
log's integrator, which gives leaves in commit order and signs checkpoints. Workers find their
settings in ``WORKER_ENV`` (set by the leader before they are spawned). Concurrent commands on
one file in two workers meet at the store's unique (file, version) key and the loser is retried,
as between two threads; each worker's cache of verified files re-checks the stored tail on every
command, so a write by the other worker is verified before it is used.

SQLite takes one writer at a time, so several processes would only queue for its lock: more
than one worker there is refused with a one-line reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from fastapi import FastAPI

from api.bootstrap import Services, open_services
from api.cli.base import DataOpt, DbOpt, opened
from api.cli.witness import StateOpt, open_witness
from api.http.app import create_app
from api.http.followers import Followers
from api.http.witness import create_witness_app
from api.logs import log_config
from api.settings import DEFAULT_DATA, Settings, load_settings
from ledger.errors import ConfigurationError

WORKER_ENV = "HOSO_SERVE_WORKER"
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")]
HostOpt = Annotated[str, typer.Option(help="Address to listen on.")]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="Worker processes serving requests (PostgreSQL only; about one more than the "
        "cores). The starting process then runs the projections and the log's integrator.",
    ),
]


def register(app: typer.Typer, witness_app: typer.Typer) -> None:
    """Add ``serve`` to the CLI's app and ``serve`` to its ``witness`` group."""
    app.command("serve")(serve_command)
    witness_app.command("serve")(witness_serve_command)


def serve_command(
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
    port: PortOpt = 8080,
    host: HostOpt = "127.0.0.1",
    workers: WorkersOpt = 1,
) -> None:
    """Serve the log over HTTP (C2SP tlog-tiles under /log/) and keep it checkpointed."""
    with opened(data, db) as (settings, _ledger):
        pass  # fail here, in one line, if the data directory or the database is unusable
    serve(settings, host=host, port=port, workers=workers)


def witness_serve_command(state: StateOpt, port: PortOpt, host: HostOpt = "127.0.0.1") -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness)."""
    import uvicorn

    witness = open_witness(state)  # fail here, in one line, if the key or state is unusable
    uvicorn.run(create_witness_app(witness), host=host, port=port, log_level="info")


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted (SIGINT or SIGTERM); ``workers`` > 1 needs PostgreSQL."""
    import uvicorn

    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    if workers == 1:
        app = create_app(
            settings, integrate_every=settings.integrate_every_seconds, follow_projections=True
        )
        uvicorn.run(app, host=host, port=port, log_level="info", **server_options(settings))
        return
    leader = Leader(settings)
    leader.start()  # fails here, in one line, before any worker starts
    os.environ[WORKER_ENV] = orjson.dumps(
        {
            "data": str(settings.data_dir),
            "db": settings.db,
            "workers": workers,
            "leader": os.getpid(),
        }
    ).decode()
    try:
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            **server_options(settings),
        )
    finally:
        os.environ.pop(WORKER_ENV, None)
        leader.stop()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options from the settings (issue 16): forwarded headers believed only from the
    configured proxies (none by default: uvicorn would otherwise trust any X-Forwarded-For from
    127.0.0.1, so anything on the machine could choose its address for the lookup's limit),
    and the access log without PINs."""
    proxies = settings.trusted_proxies
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
        "log_config": log_config(),
    }


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory): commands, reads and lookups; no
    followers and no integrator (the leader runs those)."""
    raw = os.environ.get(WORKER_ENV)
    if raw is None:
        raise ConfigurationError(f"{WORKER_ENV} is not set: start workers with hoso serve")
    cfg = orjson.loads(raw)
    watch_leader(int(cfg["leader"]))
    settings = load_settings(Path(cfg["data"]), cfg["db"])
    return create_app(
        settings, integrate_every=None, follow_projections=False, processes=int(cfg["workers"])
    )


def watch_leader(leader: int, every: float = 0.5, grace: float = 10.0) -> None:
    """A worker stops when its leader is gone (issue 16: after a kill -9 of the leader, its
    workers went on answering 201 to commands nobody would integrate, holding the port).
    Linux tells the worker at once (``PR_SET_PDEATHSIG``: SIGTERM, uvicorn's graceful stop);
    a watcher thread also notices the new parent, and exits hard if the stop hangs."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != leader:  # it died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)

    def watch() -> None:
        while os.getppid() == leader:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="hoso-leader-watch", daemon=True).start()


PR_SET_PDEATHSIG = 1


class Leader:
    """What runs once beside the workers: the projections' followers and the log's integrator
    (integrate now, then every ``every`` seconds; a checkpoint when one is due)."""

    def __init__(self, settings: Settings, *, every: float | None = None) -> None:
        self.settings = settings
        self.every = every if every is not None else settings.integrate_every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._services: Services | None = None
        self._followers: Followers | None = None

    def start(self) -> None:
        services = open_services(self.settings, group_commit=False)
        ledger = services.ledger
        if ledger.store.dialect != "postgresql":
            services.close()
            raise ConfigurationError(
                "more than one worker needs PostgreSQL (--db postgresql://...): SQLite takes one "
                "writer at a time, so several processes would only wait for each other"
            )
        self._services = services
        try:
            # The read models' tables exist before any worker starts (no CREATE race).
            self._followers = Followers(self.settings, ledger)
            self._followers.start()
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._integrate, name="hoso-integrator")
        self._thread.start()

    def _integrate(self) -> None:
        assert self._services is not None
        failing = False
        self._services.warm_heads()
        while True:
            failing = self._services.integrate_logged(failing=failing)
            if self._stop.wait(self.every):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._followers is not None:
            self._followers.stop()
            self._followers = None
        if self._services is not None:
            self._services.close()
            self._services = None
