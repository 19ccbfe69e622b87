"""Opening one PostgreSQL store from several processes at once (regression).

``hoso audit``'s worker processes each reopen the store, and a service and a CLI may start
together: each open creates the schema, the tables and the indexes if missing. PostgreSQL's
``CREATE ... IF NOT EXISTS`` is not safe against a concurrent twin ("tuple concurrently
updated", "duplicate key value violates unique constraint pg_type_typname_nsp_index"), and a
quick scenario run once failed that way in CI. Opens now take turns on an advisory lock.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from ledger.store.events import EventStore
from ledger.store.opening import open_postgres
from ledger.store.postgres import drop_ledger_schema
from tests.support.postgres import PG_URL, require_postgres

OPENERS = 8


@pytest.mark.parametrize("attempt", range(3))
def test_many_concurrent_opens_of_a_new_schema_all_succeed(pg_schema: str, attempt: int) -> None:
    require_postgres()
    url = pg_schema.replace("hoso_t_", f"hoso_t_{attempt}")  # a schema nobody created yet
    start = threading.Barrier(OPENERS)
    stores: list[EventStore] = []
    errors: list[BaseException] = []

    def opener() -> None:
        start.wait()
        try:
            stores.append(open_postgres(url, pool_size=1))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=opener) for _ in range(OPENERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [], errors
        assert len(stores) == OPENERS
        assert stores[0].max_position() == 0  # the tables are there and usable
    finally:
        for store in stores:
            store.close()
        schema = url.rsplit("schema=", 1)[1]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            drop_ledger_schema(conn, schema)
