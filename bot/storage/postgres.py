"""The PostgreSQL backend: a psycopg 3 connection pool for reads, one writer thread per process.

Same contract as SQLite's bot/storage/sqlite.py, so the code above it does not change: writes are
functions queued to this process's writer thread and run in one transaction each, reads run
on pooled connections. Writer transactions are SERIALIZABLE, as a SQLite write transaction
effectively is: two replicas that read-then-update the same rows (collecting a staff reply,
claiming a Telegram update) cannot both succeed; the loser is retried with back-off, like a
busy SQLite file. A lost connection is re-opened and the write retried: rows are delayed,
never dropped. Migrations run under an advisory lock, so replicas starting together apply
each one once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from bot.storage import pg_sql
from bot.storage.base import StorageUnavailable
from bot.storage.migrations import MIGRATIONS, Migration, apply_migrations
from bot.storage.url import PostgresUrl
from bot.storage.writer import QueuedWriter

T = TypeVar("T")
log = logging.getLogger(__name__)
MIGRATION_LOCK = 0x63626563  # "cbec": the advisory lock replicas take to migrate one at a time
RETRY = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)
DEFAULT_SPOOL = Path("var/postgres.spool")


def _translate(sql: str, parameters: Any) -> tuple[str, Any]:
    return pg_sql.translate(sql, isinstance(parameters, dict)), pg_sql.params(parameters)


class Table:
    """``handle["table"].insert(row)`` as sqlite_utils has it (``last_pk`` is the new row's id)."""

    def __init__(self, handle: Handle, name: str) -> None:
        self._handle, self.name, self.last_pk = handle, name, None

    def insert(self, row: dict[str, Any], ignore: bool = False) -> Table:
        columns = ", ".join(f'"{column}"' for column in row)
        marks = ", ".join("?" for _ in row)
        sql = f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})'
        if ignore:
            sql += " ON CONFLICT DO NOTHING"
        found = self._handle.query(sql + " RETURNING *", list(row.values()))
        self.last_pk = found[0].get("id") if found else None
        return self


class Handle:
    """What write (and read) functions get: the part of sqlite_utils.Database the code uses."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = _Conn(conn)
        self.raw = conn

    def execute(self, sql: str, parameters: Any = None) -> psycopg.Cursor:
        return self.conn.execute(sql, parameters)

    def query(self, sql: str, parameters: Any = None) -> list[dict[str, Any]]:
        text, values = _translate(sql, parameters)
        with self.raw.cursor(row_factory=dict_row) as cursor:
            cursor.execute(text, values)
            if cursor.description is None:
                return []
            return [{key: pg_sql.value(cell) for key, cell in row.items()} for row in cursor.fetchall()]

    def __getitem__(self, table: str) -> Table:
        return Table(self, table)

    def table_names(self) -> list[str]:
        return [row["table_name"] for row in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")]  # fmt: skip


class _Conn:
    """``handle.conn``: ``execute`` with SQLite's SQL, and ``with handle.conn:`` as a (nested) transaction."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn
        self._transactions: list[Any] = []

    def execute(self, sql: str, parameters: Any = None) -> psycopg.Cursor:
        text, values = _translate(sql, parameters)
        return self._conn.execute(text, values)

    def __enter__(self) -> _Conn:
        transaction = self._conn.transaction()
        transaction.__enter__()
        self._transactions.append(transaction)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._transactions.pop().__exit__(*exc)


class PostgresDatabase(QueuedWriter):
    backend = "postgresql"
    shared = True

    def __init__(
        self, url: str, migrations: list[Migration] | None = None, *, pool_size: int = 8,
        spool_dir: Path | None = None,
    ) -> None:  # fmt: skip
        self.url = PostgresUrl(url)
        self.label = self.url.redacted
        self.path = None  # no file: tools that need one (Datasette, backup) say so
        # CBEC_SPOOL_DIR as the settings read it, for callers that open a URL without settings
        self.spool_dir = spool_dir or Path(os.environ.get("CBEC_SPOOL_DIR") or DEFAULT_SPOOL)
        try:
            self._write_conn = self._connect()
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StorageUnavailable(f"cannot connect to the database {self.label}: {reason}") from None
        self._migrate(MIGRATIONS if migrations is None else migrations)
        self.pool = ConnectionPool(
            str(self.url), min_size=1, max_size=pool_size, kwargs={"autocommit": True}, open=True, name="cbec-read",
        )  # fmt: skip
        self._start_writer()

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(str(self.url), autocommit=True)
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE  # for the transactions it opens
        return conn

    def _migrate(self, migrations: list[Migration]) -> None:
        conn = self._write_conn
        conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            for statement in pg_sql.COMPAT:
                conn.execute(statement)
            apply_migrations(Handle(conn), migrations)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])

    # -- writes ---------------------------------------------------------------------------
    def _attempt(self, fn: Callable[[Handle], T]) -> T:
        delay = 0.02
        while True:
            try:
                if self._write_conn.closed or self._write_conn.broken:
                    self._write_conn = self._connect()
                with self._write_conn.transaction():
                    return fn(Handle(self._write_conn))
            except RETRY:
                pass  # another replica's transaction won: run ours again on what it wrote
            except psycopg.OperationalError as error:
                if not (self._write_conn.closed or self._write_conn.broken):
                    raise
                log.warning("database connection lost; retrying the write", extra={"error": type(error).__name__})
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def transact(self, fn: Callable[[Handle], T]) -> T:
        """Run ``fn(handle)`` now, in this thread, in a SERIALIZABLE transaction of its own on a
        pooled connection (retried as the writer's are). For short decisions that need no order
        with the other writes, such as a rate-limit count, so they do not queue behind the log."""
        delay = 0.02
        while True:
            try:
                with self.pool.connection() as conn:
                    # BEGIN ISOLATION LEVEL SERIALIZABLE in one statement (a SET after BEGIN is a round trip more)
                    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                    try:
                        with conn.transaction():
                            return fn(Handle(conn))
                    finally:
                        conn.isolation_level = None  # the pool's other users read in autocommit as before
            except RETRY:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    # -- reads ----------------------------------------------------------------------------
    def read(self, fn: Callable[[Handle], T]) -> T:
        with self.pool.connection() as conn:
            return fn(Handle(conn))

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        return self.read(lambda handle: handle.query(sql, params))

    def _close_connections(self) -> None:
        self._write_conn.close()
        self.pool.close()
