"""SQLite access: WAL mode, migrations, and ONE writer thread fed by a queue.

Modelled on datasette's ``Database.execute_write_fn``: every write is a function run on the
writer thread's connection, so writes never contend with each other and async code never
blocks on SQLite (it awaits the returned future, or does not wait at all). Reads use one
connection per calling thread. A locked or busy database makes the writer retry with
back-off: rows are delayed, never dropped. ``close()`` drains the queue before returning.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.storage.migrations import MIGRATIONS, Migration, apply_migrations
from bot.storage.writer import QueuedWriter, WriteTask

T = TypeVar("T")
log = logging.getLogger(__name__)
WRITE_BATCH = 256  # write functions at most in one transaction
GATHER = 0.002  # seconds a busy writer lets writes gather before a transaction (6% less CPU a web reply)
# Seconds between tries while another process holds the write lock. At most 2 ms: the other web
# worker commits every few ms and holds the lock for a few; sleeping up to 20 ms between tries
# missed gap after gap (a fifth of the transactions waited, some for 100-400 ms, 11-12 tries), and
# the replies waiting for those state saves were the 2-worker p99. A failed BEGIN costs microseconds.
BUSY_FIRST, BUSY_MAX = 0.0005, 0.002


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class _Destroyed(Exception):
    """A write function raised after ending the whole transaction (``with conn:`` rolls back)."""

    def __init__(self, index: int, error: BaseException) -> None:
        self.index, self.error = index, error


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Database(QueuedWriter):
    """The SQLite backend of bot/storage (``open_database`` picks it for a file path)."""

    backend = "sqlite"
    shared = False  # one host; rate limits are counted in the process

    def __init__(self, path: str | Path, migrations: list[Migration] | None = None, spool_dir: Path | None = None) -> None:
        self.path = Path(path)
        self._spool_dir = spool_dir
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._readers: set[sqlite3.Connection] = set()  # every thread's read connection, closed on close()
        self._readers_lock = threading.Lock()
        self._write_conn = _connect(self.path)
        apply_migrations(sqlite_utils.Database(self._write_conn), MIGRATIONS if migrations is None else migrations)
        self._handle = sqlite_utils.Database(self._write_conn)
        # The writer waits for another process's lock itself (_transaction): SQLite's own busy handler
        # sleeps 1, 2, 5 … 25, 50, 100 ms between tries, while another worker holds the lock for about
        # a millisecond per commit; those sleeps were the 2-worker latency's long tail.
        self._write_conn.execute("PRAGMA busy_timeout=0")
        self._start_writer()

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def spool_dir(self) -> Path:
        return self._spool_dir or self.path.with_name(self.path.name + ".spool")

    @property
    def busy_for(self) -> float | None:
        """Seconds the write under way has taken so far (long: another process holds the lock),
        None when the writer is idle."""
        since = self._busy_since
        return None if since is None else time.monotonic() - since

    # -- writes (group commit) ---------------------------------------------------------------
    write_batch = WRITE_BATCH
    gather = GATHER

    def _write_batch(self, batch: list[WriteTask[Any]]) -> None:
        # Everything queued together goes into one transaction (group commit): one BEGIN/COMMIT
        # and one wait for another process's lock for many writes.
        while batch:
            del batch[: self._transaction(self._handle, batch)]

    def _transaction(self, db: sqlite_utils.Database, batch: list[WriteTask[Any]]) -> int:
        """Run the write functions of ``batch`` in one transaction, each inside a savepoint (one that
        raises is rolled back alone and its future gets the error), and resolve their futures once
        committed. A locked or busy database is waited for and the transaction tried again: rows
        are delayed, never dropped. Returns how many functions were settled (a function that
        commits by itself, e.g. ``with conn:``, ends the transaction; the rest go into the next)."""
        conn = self._write_conn
        delay = BUSY_FIRST
        self._busy_since = time.monotonic()  # this write began (SQLite itself waits up to 5 s for a lock)
        while True:
            outcomes: list[tuple[Future, Any, BaseException | None]] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                for task in batch:
                    fn, future = task.fn, task.future
                    conn.execute("SAVEPOINT cbec_write")
                    try:
                        result = fn(db)
                    except BaseException as error:  # noqa: BLE001 - reported through the future
                        if isinstance(error, sqlite3.OperationalError) and _is_busy(error):
                            raise
                        if not conn.in_transaction:  # it rolled back the whole transaction itself
                            raise _Destroyed(len(outcomes), error) from error
                        conn.execute("ROLLBACK TO cbec_write")
                        conn.execute("RELEASE cbec_write")
                        log.error("database write failed", exc_info=error)
                        outcomes.append((future, None, error))
                        continue
                    outcomes.append((future, result, None))
                    if not conn.in_transaction:  # it committed itself: what it and those before did is in
                        break
                    conn.execute("RELEASE cbec_write")
                if conn.in_transaction:
                    conn.execute("COMMIT")
            except _Destroyed as destroyed:  # fail that one; the others run again in a new transaction
                log.error("database write failed", exc_info=destroyed.error)
                batch[destroyed.index].future.set_exception(destroyed.error)
                del batch[destroyed.index]
                continue
            except sqlite3.OperationalError as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if not _is_busy(error):  # e.g. the disk is full: every write of this transaction failed
                    self._busy_since = None
                    log.exception("database write failed")
                    failed = max(len(outcomes), 1)
                    for task in batch[:failed]:
                        task.future.set_exception(error)
                    return failed
                # Another process holds the lock: wait and try again, never drop the row.
                time.sleep(delay)
                delay = min(delay * 2, BUSY_MAX)
                continue
            self._busy_since = None
            for future, result, error in outcomes:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            return len(outcomes)

    # -- reads ----------------------------------------------------------------------------
    def _reader(self) -> sqlite_utils.Database:
        """This thread's read connection (made once: sqlite_utils.Database() runs a PRAGMA)."""
        reader = getattr(self._local, "reader", None)
        if reader is None or reader.conn not in self._readers:  # none yet, or closed by close()
            conn = _connect(self.path)
            with self._readers_lock:
                self._readers.add(conn)
            reader = self._local.reader = sqlite_utils.Database(conn)
        return reader

    def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return fn(self._reader())

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        """Rows as dicts, straight from the cursor (sqlite_utils' query() adds a savepoint per call,
        which doubled the cost of the reads every message makes)."""
        cursor = self._reader().conn.execute(sql, params)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _close_connections(self) -> None:
        self._write_conn.close()
        with self._readers_lock:
            readers, self._readers = self._readers, set()
        for conn in readers:
            conn.close()


SqliteDatabase = Database  # the name bot/storage/__init__.py opens it by
