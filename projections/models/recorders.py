"""The projections' views: ``eventsourcing`` tracking recorders that also write our rows.

A view writes a ``Batch`` and the projection's position in one transaction, so a position never
runs ahead of (or behind) the rows. Each dialect writes a batch in a few statements: SQLite with
``executemany`` (in-process, no round trips); PostgreSQL with ``COPY`` for the inserts, one
``UPDATE ... FROM unnest(...)`` for the closed holdings and one ``INSERT ... SELECT FROM
unnest(...) ON CONFLICT`` for the file rows, whatever the batch's size.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.engine.app import APP_NAME
from projections.engine.batch import Batch, Writer
from projections.models import tables

_FILE_COLUMNS = ", ".join(tables.FILE_COLUMNS)
_FILE_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in tables.FILE_COLUMNS if c != "code")
_UPSERT_FILE = (
    f"INSERT INTO hoso_p_files ({_FILE_COLUMNS}) VALUES "  # noqa: S608
    f"({', '.join('?' for _ in tables.FILE_COLUMNS)}) "
    f"ON CONFLICT (code) DO UPDATE SET {_FILE_UPDATES}"
)
_CLOSE = "UPDATE hoso_p_holdings SET to_at = ? WHERE code = ? AND to_at IS NULL"
_OUR_TABLES = re.compile(r"\b(hoso_p_\w+|hoso_projection_status)\b")


class _View:
    """Shared by both dialects: rows + tracking in one transaction."""

    tracking_name: str
    projection: ClassVar[str] = ""

    def _sql(self, sql: str) -> str:
        return sql

    def _writer(self, curs: Any) -> Writer:
        raise NotImplementedError

    def write(self, batch: Batch, tracking: Tracking) -> None:
        """The batch's rows and the position after its last event, in one transaction."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            batch.write(self._writer(curs))
            self._insert_tracking(curs, tracking)  # type: ignore[attr-defined]

    def analyze(self) -> None:
        """Refresh the planner's statistics of this projection's tables (after a bulk load:
        a rebuilt table the planner has not seen yet is planned as if it were any size)."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for statement in tables.CLEAR[self.projection]:
                table = statement.removeprefix("DELETE FROM ")  # our own table names
                curs.execute(self._sql(f"ANALYZE {table}"))

    def reset(self, tracking_table: str) -> None:
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for statement in tables.CLEAR[self.projection]:
                curs.execute(self._sql(statement))
            curs.execute(
                self._sql(f"DELETE FROM {tracking_table} WHERE application_name = ?"),  # noqa: S608
                (self.tracking_name,),
            )


class _SQLiteWriter:
    def __init__(self, curs: Any) -> None:
        self.curs = curs

    def upsert_files(self, rows: list[tuple[Any, ...]]) -> None:
        self.curs.executemany(_UPSERT_FILE, rows)

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        self.curs.executemany(_CLOSE, [(at, code) for code, at in closes])

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.curs.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )


class SQLiteView(_View, SQLiteTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_name = f"{APP_NAME}:{self.projection}"

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + tables.all_statements(
            [self.projection]
        )

    def _writer(self, curs: Any) -> Writer:
        return _SQLiteWriter(curs)


FEW = 16  # rows below which plain statements beat COPY and staging (one round trip less)


def _pg(schema: str, sql: str) -> str:
    return sql.replace("hoso_p_", f"{schema}.hoso_p_").replace("?", "%s")


class _PostgresWriter:
    def __init__(self, curs: Any, schema: str) -> None:
        self.curs, self.schema = curs, schema

    def upsert_files(self, rows: list[tuple[Any, ...]]) -> None:
        """COPY into a session's staging table (emptied at commit), then one upsert from it;
        a few rows (following live, one event per transaction) as plain upserts."""
        if len(rows) < FEW:
            self.curs.executemany(_pg(self.schema, _UPSERT_FILE), rows)
            return
        self.curs.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hoso_p_files_staging "
            f"(LIKE {self.schema}.hoso_p_files) ON COMMIT DELETE ROWS"
        )
        self.insert("pg_temp.hoso_p_files_staging", tables.FILE_COLUMNS, rows, qualify=False)
        self.curs.execute(
            f"INSERT INTO {self.schema}.hoso_p_files ({_FILE_COLUMNS}) "  # noqa: S608
            f"SELECT {_FILE_COLUMNS} FROM pg_temp.hoso_p_files_staging "
            f"ON CONFLICT (code) DO UPDATE SET {_FILE_UPDATES}"
        )

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        if len(closes) < FEW:
            self.curs.executemany(_pg(self.schema, _CLOSE), [(at, code) for code, at in closes])
            return
        self.curs.execute(
            f"UPDATE {self.schema}.hoso_p_holdings AS h SET to_at = c.to_at "  # noqa: S608
            "FROM unnest(%s::text[], %s::text[]) AS c (code, to_at) "
            "WHERE h.code = c.code AND h.to_at IS NULL",
            [[code for code, _ in closes], [at for _, at in closes]],
        )

    def insert(
        self, table: str, columns: tuple[str, ...], rows: list[Any], *, qualify: bool = True
    ) -> None:
        name = f"{self.schema}.{table}" if qualify else table
        if len(rows) < FEW:
            marks = ", ".join("%s" for _ in columns)
            self.curs.executemany(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )
            return
        with self.curs.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class PostgresView(_View, PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_name = APP_NAME  # the library's runner tracks under the application name
        for statement in tables.all_statements([self.projection]):
            self.sql_create_statements.append(SQL(self._qualify(statement)))  # type: ignore[arg-type]

    def _qualify(self, sql: str) -> str:
        """The library's pool does not set a search path: name the schema in every statement."""
        schema = f'"{self.datastore.schema}".'
        sql = _OUR_TABLES.sub(lambda m: schema + m.group(1), sql)
        return sql.replace("INDEX IF NOT EXISTS " + schema, "INDEX IF NOT EXISTS ")

    def _sql(self, sql: str) -> str:
        return self._qualify(sql).replace("?", "%s")

    def _writer(self, curs: Any) -> Writer:
        return _PostgresWriter(curs, f'"{self.datastore.schema}"')

    def reset(self, tracking_table: str) -> None:
        schema = f'"{self.datastore.schema}"'
        with self.datastore.transaction(commit=True) as curs:
            for statement in tables.CLEAR[self.projection]:  # TRUNCATE: no dead rows left behind
                table = statement.removeprefix("DELETE FROM ")
                curs.execute(f"TRUNCATE {schema}.{table}")
            curs.execute(
                f"DELETE FROM {schema}.{tracking_table} WHERE application_name = %s",  # noqa: S608
                (self.tracking_name,),
            )


def view_class(base: type[_View], name: str) -> type[Any]:
    return type(f"{name.title()}{base.__name__}", (base,), {"projection": name})


def base_view(postgres: bool) -> type[_View]:
    return PostgresView if postgres else SQLiteView
