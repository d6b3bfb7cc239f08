"""Rate-limit counts that the worker processes of one `cbec-bot serve` on SQLite keep together.

With CBEC_WORKERS > 1 each worker process answers whichever connections it accepted; counted in
each process's memory, a client spread over two workers would get twice the flood limit, and a
guesser twice the login attempts. PostgreSQL counts in the database for its replicas
(bot/storage/limits.py); on SQLite the same decisions (``SharedWindow``'s one statement) run on a
small side file next to the database, ``<database>.limits``, in the asking thread:

* not through the writer thread, whose 2 ms of gathering every message would wait for (measured:
  857 → 552 req/s at 50 sessions with 2 workers), and not in the enquiry log's file, whose
  write lock the log's commits hold;
* ``BEGIN IMMEDIATE`` around each decision, so two workers deciding for one key at once cannot
  both take the last slot;
* ``synchronous=OFF``: these counts need not survive a power cut (a lost minute of counts only
  lets a client start its window afresh), and no fsync sits in a reply's path.

The file holds nothing else; deleting it while the server is stopped only forgets the counts.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rate_events (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rate_events_scope_key_at ON rate_events (scope, key, at)",
    "CREATE INDEX IF NOT EXISTS rate_events_at ON rate_events (at)",
)


def counters_path(database: Path) -> Path:
    return database.with_name(database.name + ".limits")


class HostCounters:
    """A ``Storage``-like target for ``SharedWindow`` (``shared``, ``decide``, ``read``): its
    statements run at once in the caller's thread, on that thread's connection to the side file."""

    shared = True  # ChatLimits and the login throttle ask it instead of counting in memory
    windows_in_rows = False  # PostgreSQL's one-row-per-key windows (arrays) are not used here
    backend = "sqlite"

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path, self._timeout = path, timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        connection = self._connection()
        for statement in SCHEMA:
            connection.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def decide(self, sql: str, params: Any = ()) -> list[tuple]:
        """One statement in a transaction of its own that holds the file's write lock from the
        start (the count it reads cannot change before its insert)."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = [tuple(row) for row in connection.execute(sql, params)]
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return rows

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` on this thread's connection, each statement committed on its own."""
        return fn(self._connection())

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
