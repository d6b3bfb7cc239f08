"""The PostgreSQL backend: a psycopg 3 connection pool for reads, one writer thread per process.

Same contract as SQLite's bot/storage/sqlite.py, so the code above it does not change: writes are
functions queued to this process's writer thread, reads run on pooled connections. What is queued
together is committed together (group commit, as on SQLite): one BEGIN/COMMIT for up to
``WRITE_BATCH`` writes. There is no savepoint per write (two round trips each): when a write
raises, the batch is rolled back and run again one write per transaction, so only that one
fails. Writer transactions are SERIALIZABLE, as a SQLite write transaction effectively is: two
replicas that read-then-update the same rows (collecting a staff reply, claiming a Telegram
update) cannot both succeed; the loser is retried with back-off, like a busy SQLite file. A lost
connection is re-opened and the write retried: rows are delayed, never dropped. Migrations run
under an advisory lock, so replicas starting together apply each one once.
"""

from __future__ import annotations

import logging
import os
import random
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
from bot.storage.writer import QueuedWriter, WriteTask

T = TypeVar("T")
log = logging.getLogger(__name__)
MIGRATION_LOCK = 0x63626563  # "cbec": the advisory lock replicas take to migrate one at a time
RETRY = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)
DEFAULT_SPOOL = Path("var/postgres.spool")
WRITE_BATCH = 64  # write functions at most in one transaction (a conflict with another replica runs them all again)
DECIDE_FIRST, DECIDE_MAX = 0.002, 0.5  # seconds between tries of a decision another replica's conflicted with


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
    """What write (and read) functions get: the part of sqlite_utils.Database the code uses.

    On the writer thread statements go in pipeline mode (``pipeline``): ``execute`` sends the
    statement and returns at once, with a ``_Pending`` cursor; the results of all statements sent
    so far are fetched together, in one round trip, when one of them is read, or when the batch
    ends. A batch of replies' writes (enquiry rows, state saves) then costs the writer a few round
    trips instead of one a statement (while the writer waited for each, it also waited to get the
    GIL back from the threads answering messages)."""

    backend = "postgresql"  # (sqlite_utils' Database has none: a migration for one engine asks this)

    def __init__(self, conn: psycopg.Connection, pipeline: psycopg.Pipeline | None = None) -> None:
        self.conn = _Conn(conn, self)
        self.raw = conn
        self.pipeline = pipeline
        self.unsynced = False  # statements sent whose results were not fetched yet

    def execute(self, sql: str, parameters: Any = None) -> psycopg.Cursor:
        return self.conn.execute(sql, parameters)

    def sync(self) -> None:
        """Fetch the results of every statement sent (pipeline mode): errors are raised here."""
        if self.pipeline is not None and self.unsynced:
            self.unsynced = False
            self.pipeline.sync()

    def query(self, sql: str, parameters: Any = None) -> list[dict[str, Any]]:
        text, values = _translate(sql, parameters)
        with self.raw.cursor(row_factory=dict_row) as cursor:
            cursor.execute(text, values)
            if self.pipeline is not None:
                self.unsynced = True
                self.sync()
            if cursor.description is None:
                return []
            return [{key: pg_sql.value(cell) for key, cell in row.items()} for row in cursor.fetchall()]

    def __getitem__(self, table: str) -> Table:
        return Table(self, table)

    def table_names(self) -> list[str]:
        return [row["table_name"] for row in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")]  # fmt: skip


class _Pending:
    """A cursor whose statement went in pipeline mode: reading anything of it (``rowcount``,
    ``fetchall()``, its rows) first fetches the results sent so far (``Handle.sync``)."""

    __slots__ = ("_cursor", "_handle")

    def __init__(self, cursor: psycopg.Cursor, handle: Handle) -> None:
        self._cursor, self._handle = cursor, handle

    def __getattr__(self, name: str) -> Any:
        self._handle.sync()
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        self._handle.sync()
        return iter(self._cursor)


class _Conn:
    """``handle.conn``: ``execute`` with SQLite's SQL, and ``with handle.conn:`` as a (nested) transaction."""

    def __init__(self, conn: psycopg.Connection, handle: Handle) -> None:
        self._conn, self._handle = conn, handle
        self._transactions: list[Any] = []

    def execute(self, sql: str, parameters: Any = None) -> psycopg.Cursor:
        text, values = _translate(sql, parameters)
        cursor = self._conn.execute(text, values)
        if self._handle.pipeline is None:
            return cursor
        self._handle.unsynced = True
        return _Pending(cursor, self._handle)  # type: ignore[return-value]

    def __enter__(self) -> _Conn:
        self._handle.sync()  # (a savepoint's errors belong to the block that opened it)
        transaction = self._conn.transaction()
        transaction.__enter__()
        self._transactions.append(transaction)
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self._handle.sync()
        self._transactions.pop().__exit__(*exc)


class PostgresDatabase(QueuedWriter):
    backend = "postgresql"
    shared = True
    windows_in_rows = True  # a one-key rate window keeps its times in one row (bot/storage/limits.py)

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
        # decisions shared by replicas (rate limits, update claims): every statement and transaction
        # on these connections is SERIALIZABLE by default, so a decision is one statement in
        # autocommit (no BEGIN/COMMIT round trips) or a plain BEGIN … COMMIT (``transact``)
        self.decisions = ConnectionPool(
            str(self.url), min_size=0, max_size=pool_size, open=True, name="cbec-decide",
            kwargs={"autocommit": True, "options": "-c default_transaction_isolation=serializable"},
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
    def _attempt(self, fn: Callable[[Handle], T], pipelined: bool = True) -> T:
        delay = 0.02
        while True:
            try:
                if self._write_conn.closed or self._write_conn.broken:
                    self._write_conn = self._connect()
                conn = self._write_conn
                if not pipelined:
                    with conn.transaction():
                        return fn(Handle(conn))
                # BEGIN, the statements and COMMIT all in the pipeline: an error of any statement
                # is raised when the block ends, and the transaction is rolled back
                with conn.pipeline() as pipeline:
                    handle = Handle(conn, pipeline)
                    try:
                        with conn.transaction():
                            result = fn(handle)
                    finally:
                        handle.pipeline = None  # (the pipeline's end fetches every result: cursors read later have theirs)
                return result
            except RETRY:
                pass  # another replica's transaction won: run ours again on what it wrote
            except psycopg.OperationalError as error:
                if not (self._write_conn.closed or self._write_conn.broken):
                    raise
                log.warning("database connection lost; retrying the write", extra={"error": type(error).__name__})
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    write_batch = WRITE_BATCH

    def _write_batch(self, batch: list[WriteTask[Any]]) -> None:
        """Everything queued together in one transaction (group commit), its statements pipelined
        (``Handle``), retried whole on a conflict with another replica or a lost connection
        (``_attempt``); the futures resolve once it is committed. A write that raises rolls the
        batch back, and the batch runs again one write per transaction, without the pipeline (a
        write then sees its own statement's error where it sent it): only the one that raises
        fails, no row of the others is lost."""
        if len(batch) == 1:
            super()._write_batch(batch)
            return

        def together(handle: Handle) -> list[Any]:
            # (pipelined, a write cannot catch a statement's error itself and go on: any error
            # ends the pipeline and rolls the batch back)
            return [task.fn(handle) for task in batch]

        self._busy_since = time.monotonic()
        try:
            results = self._attempt(together)
        except BaseException as error:  # noqa: BLE001 - rolled back; each write alone finds the one that fails
            self._busy_since = None
            log.info("a write of a batch failed; running the batch one write at a time",
                     extra={"error": type(error).__name__, "writes": len(batch)})  # fmt: skip
            self._write_each(batch, lambda fn: self._attempt(fn, pipelined=False))
            return
        self._busy_since = None
        for task, result in zip(batch, results, strict=True):
            task.future.set_result(result)

    def transact(self, fn: Callable[[Handle], T]) -> T:
        """Run ``fn(handle)`` now, in this thread, in a SERIALIZABLE transaction of its own on a
        pooled connection (retried as the writer's are). For short decisions that need no order
        with the other writes, such as claiming a Telegram update, so they do not queue behind the log."""
        return self._decided(lambda conn: _in_transaction(conn, fn))

    def decide(self, sql: str, params: Any = ()) -> list[tuple]:
        """Run one statement now, in this thread, as a SERIALIZABLE transaction of its own (autocommit
        on a connection whose default isolation is serializable: no BEGIN/COMMIT round trips), retried
        when it conflicts with another's; its rows. Two replicas deciding at once (e.g. taking the
        last slot of a rate limit, bot/storage/limits.py) cannot both act on what the other has not
        seen: one is run again on what the other wrote."""
        text, values = _translate(sql, params)

        def run(conn: psycopg.Connection) -> list[tuple]:
            cursor = conn.execute(text, values)
            return cursor.fetchall() if cursor.description is not None else []

        return self._decided(run)

    def _decided(self, fn: Callable[[psycopg.Connection], T]) -> T:
        delay = DECIDE_FIRST
        while True:
            try:
                with self.decisions.connection() as conn:
                    return fn(conn)
            except RETRY:
                time.sleep(delay * (0.5 + random.random()))  # apart, not again in step with the other
                delay = min(delay * 2, DECIDE_MAX)

    # -- reads ----------------------------------------------------------------------------
    def read(self, fn: Callable[[Handle], T]) -> T:
        with self.pool.connection() as conn:
            return fn(Handle(conn))

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        return self.read(lambda handle: handle.query(sql, params))

    def _close_connections(self) -> None:
        self._write_conn.close()
        self.pool.close()
        self.decisions.close()


def _in_transaction(conn: psycopg.Connection, fn: Callable[[Handle], T]) -> T:
    with conn.transaction():  # BEGIN: serializable, the connection's default
        return fn(Handle(conn))
