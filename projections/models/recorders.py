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
_OUR_TABLES = re.compile(r"\b(hoso_[pr]_\w+|hoso_projection_status)\b")
LIVE, ASIDE = "hoso_p_", "hoso_r_"  # the live tables' prefix, and a rebuild's (aside)


def _aside(sql: str, prefix: str) -> str:
    """``sql`` on the tables of ``prefix`` (the live ones, or a rebuild's aside)."""
    return sql if prefix == LIVE else sql.replace(LIVE, prefix)


class _View:
    """Shared by both dialects: rows + tracking in one transaction."""

    tracking_name: str
    projection: ClassVar[str] = ""

    def _sql(self, sql: str) -> str:
        return sql

    def _writer(self, curs: Any, prefix: str = LIVE) -> Writer:
        raise NotImplementedError

    def write(self, batch: Batch, tracking: Tracking, *, prefix: str = LIVE) -> None:
        """The batch's rows and the position after its last event, in one transaction
        (``prefix``: into the live tables, or a rebuild's aside)."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            batch.write(self._writer(curs, prefix))
            self._insert_tracking(curs, tracking)  # type: ignore[attr-defined]

    def table_names(self, prefix: str = LIVE) -> list[str]:
        """This projection's tables (our own names, no quoting needed)."""
        return [
            _aside(statement.removeprefix("DELETE FROM "), prefix)
            for statement in tables.CLEAR[self.projection]
        ]

    def analyze(self, prefix: str = LIVE) -> None:
        """Refresh the planner's statistics of this projection's tables (after a bulk load:
        a rebuilt table the planner has not seen yet is planned as if it were any size)."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for table in self.table_names(prefix):
                curs.execute(self._sql(f"ANALYZE {table}"))

    def _file_columns(self, curs: Any) -> set[str]:
        raise NotImplementedError

    def outdated(self) -> bool:
        """Whether the live tables were made by an older version (a column of ``FileRow`` that
        the files' table lacks): such a read model is dropped and rebuilt (``renew``)."""
        if self.projection != "files":
            return False
        with self.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
            found = self._file_columns(curs)
        return bool(found) and not set(tables.FILE_COLUMNS) <= found

    def renew(self, tracking_table: str) -> None:
        """Drop this projection's tables and forget its position, in one transaction (the
        caller makes the tables anew; following then rebuilds them from the first event)."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for table in self.table_names():
                curs.execute(self._sql(f"DROP TABLE IF EXISTS {table}"))
            curs.execute(
                self._sql(
                    f"DELETE FROM {self._tracking(tracking_table)} "  # noqa: S608
                    "WHERE application_name = ?"
                ),
                (self.tracking_name,),
            )

    # ------------------------------------------------------------ a rebuild aside
    def create_aside(self, tracking_table: str, aside_tracking: str) -> None:
        """Empty aside tables (a killed rebuild's leftovers dropped first), without their
        secondary indexes (made at the swap), and no aside position."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for table in self.table_names(ASIDE):
                curs.execute(self._sql(f"DROP TABLE IF EXISTS {table}"))
            for statement in tables.TABLES[self.projection]:
                if statement.startswith("CREATE TABLE"):
                    curs.execute(self._sql(_aside(statement, ASIDE)))
            curs.execute(
                self._sql(
                    f"DELETE FROM {self._tracking(tracking_table)} "  # noqa: S608
                    "WHERE application_name = ?"
                ),
                (aside_tracking,),
            )

    def drop_aside(self, tracking_table: str, aside_tracking: str) -> None:
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for table in self.table_names(ASIDE):
                curs.execute(self._sql(f"DROP TABLE IF EXISTS {table}"))
            curs.execute(
                self._sql(
                    f"DELETE FROM {self._tracking(tracking_table)} "  # noqa: S608
                    "WHERE application_name = ?"
                ),
                (aside_tracking,),
            )

    def swap_aside(self, tracking_table: str, aside_tracking: str) -> None:
        """In ONE transaction: the live tables dropped, the aside renamed into their place
        with the live names' indexes, and the aside's position made the live one. A reader
        sees the old read model or the new one, never an empty or a half-built one."""
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for live, aside in zip(self.table_names(), self.table_names(ASIDE), strict=True):
                curs.execute(self._sql(f"DROP TABLE {live}"))
                curs.execute(self._sql(f"ALTER TABLE {aside} RENAME TO ") + live)
                self._renamed(curs, aside, live)
            for statement in tables.TABLES[self.projection]:
                if statement.startswith("CREATE INDEX"):
                    curs.execute(self._sql(statement))
            curs.execute(
                self._sql(
                    f"DELETE FROM {self._tracking(tracking_table)} "  # noqa: S608
                    "WHERE application_name = ?"
                ),
                (self.tracking_name,),
            )
            curs.execute(
                self._sql(f"UPDATE {self._tracking(tracking_table)} "  # noqa: S608
                          "SET application_name = ? WHERE application_name = ?"),
                (self.tracking_name, aside_tracking),
            )  # fmt: skip

    def _renamed(self, curs: Any, aside: str, live: str) -> None:
        """After a table's rename: what else carries its old name (PostgreSQL's indexes)."""

    def _tracking(self, table: str) -> str:
        """The tracking table's name in a statement (PostgreSQL: in its schema)."""
        return table

    def reset(self, tracking_table: str) -> None:
        with self.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            for statement in tables.CLEAR[self.projection]:
                curs.execute(self._sql(statement))
            curs.execute(
                self._sql(f"DELETE FROM {tracking_table} WHERE application_name = ?"),  # noqa: S608
                (self.tracking_name,),
            )


class _SQLiteWriter:
    def __init__(self, curs: Any, prefix: str = LIVE) -> None:
        self.curs, self.prefix = curs, prefix

    def upsert_files(self, rows: list[tuple[Any, ...]]) -> None:
        self.curs.executemany(_aside(_UPSERT_FILE, self.prefix), rows)

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        self.curs.executemany(_aside(_CLOSE, self.prefix), [(at, code) for code, at in closes])

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.curs.executemany(
            f"INSERT INTO {_aside(table, self.prefix)} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({marks})",
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

    def _writer(self, curs: Any, prefix: str = LIVE) -> Writer:
        return _SQLiteWriter(curs, prefix)

    def _file_columns(self, curs: Any) -> set[str]:
        curs.execute("SELECT name FROM pragma_table_info('hoso_p_files')")
        return {row[0] for row in curs.fetchall()}


FEW = 16  # rows below which plain statements beat COPY and staging (one round trip less)


def _pg(schema: str, sql: str, prefix: str = LIVE) -> str:
    return sql.replace(LIVE, f"{schema}.{prefix}").replace("?", "%s")


class _PostgresWriter:
    def __init__(self, curs: Any, schema: str, prefix: str = LIVE) -> None:
        self.curs, self.schema, self.prefix = curs, schema, prefix

    def upsert_files(self, rows: list[tuple[Any, ...]]) -> None:
        """COPY into a session's staging table (emptied at commit), then one upsert from it;
        a few rows (following live, one event per transaction) as plain upserts."""
        if len(rows) < FEW:
            self.curs.executemany(_pg(self.schema, _UPSERT_FILE, self.prefix), rows)
            return
        self.curs.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hoso_p_files_staging "
            f"(LIKE {self.schema}.{self.prefix}files) ON COMMIT DELETE ROWS"
        )
        self.insert("pg_temp.hoso_p_files_staging", tables.FILE_COLUMNS, rows, qualify=False)
        self.curs.execute(
            f"INSERT INTO {self.schema}.{self.prefix}files ({_FILE_COLUMNS}) "  # noqa: S608
            f"SELECT {_FILE_COLUMNS} FROM pg_temp.hoso_p_files_staging "
            f"ON CONFLICT (code) DO UPDATE SET {_FILE_UPDATES}"
        )

    def close_holdings(self, closes: list[tuple[str, str]]) -> None:
        if len(closes) < FEW:
            closing = [(at, code) for code, at in closes]
            self.curs.executemany(_pg(self.schema, _CLOSE, self.prefix), closing)
            return
        self.curs.execute(
            f"UPDATE {self.schema}.{self.prefix}holdings AS h SET to_at = c.to_at "  # noqa: S608
            "FROM unnest(%s::text[], %s::text[]) AS c (code, to_at) "
            "WHERE h.code = c.code AND h.to_at IS NULL",
            [[code for code, _ in closes], [at for _, at in closes]],
        )

    def insert(
        self, table: str, columns: tuple[str, ...], rows: list[Any], *, qualify: bool = True
    ) -> None:
        name = f"{self.schema}.{_aside(table, self.prefix)}" if qualify else table
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

    def _writer(self, curs: Any, prefix: str = LIVE) -> Writer:
        return _PostgresWriter(curs, f'"{self.datastore.schema}"', prefix)

    def _file_columns(self, curs: Any) -> set[str]:
        curs.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'hoso_p_files'",
            (self.datastore.schema,),
        )
        return {row["column_name"] if isinstance(row, dict) else row[0] for row in curs.fetchall()}

    def _tracking(self, table: str) -> str:
        return f'"{self.datastore.schema}".{table}'

    def _renamed(self, curs: Any, aside: str, live: str) -> None:
        """The primary key's index keeps the aside's name through a rename: give it the live
        one (index names are unique in a schema, and the next rebuild makes the aside's)."""
        curs.execute(self._sql(f"ALTER INDEX {aside}_pkey RENAME TO ") + f"{live}_pkey")

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
