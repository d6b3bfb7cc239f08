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
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from bot.storage.migrations import MIGRATIONS, Migration, apply_migrations
from bot.storage.writer import QueuedWriter

T = TypeVar("T")
log = logging.getLogger(__name__)


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

    # -- writes ---------------------------------------------------------------------------
    def _attempt(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """One transaction (BEGIN IMMEDIATE); while another process holds the lock, wait and try
        again with back-off (SQLite itself waits up to 5 s each time): never drop the row."""
        delay = 0.05
        while True:
            try:
                with self._write_conn:
                    self._write_conn.execute("BEGIN IMMEDIATE")
                    return fn(self._handle)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

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
