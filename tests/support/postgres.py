"""The PostgreSQL server the tests use: ``HOSO_TEST_PG``, and skip (or fail under CI) without it.

``HOSO_TEST_PG`` defaults to ``postgresql://postgres@127.0.0.1:5432/test``. Each test gets its own
schema (the ``pg_schema`` fixture in ``tests/conftest.py``).
"""

from __future__ import annotations

import os

import psycopg

from tests.support.outside import skip_or_fail

PG_URL = os.environ.get("HOSO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_available(url: str = PG_URL) -> str | None:
    """None if the server at ``url`` answers, else why not (one line, naming the variable)."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"PostgreSQL not reachable at {url} (set HOSO_TEST_PG): {e}".splitlines()[0]


def require_postgres() -> None:
    """Return if the server answers; else skip the test (fail it under ``CI=true``)."""
    reason = pg_available()
    if reason is None:
        return
    skip_or_fail(reason, what="the PostgreSQL tests")
