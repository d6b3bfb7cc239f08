"""The storage interface every backend implements, and how a target names its backend.

Write functions receive a ``Handle``: sqlite_utils' ``Database`` for SQLite, and the
PostgreSQL backend's look-alike (bot/storage/postgres.py) that accepts the same SQL.
Write portable SQL: ``?`` placeholders, ``INSERT … ON CONFLICT``, ISO-8601 text for times;
the SQLite idioms still in use (``INSERT OR IGNORE``, ``date(t, '+8 hours')``,
``group_concat``, ``sum(a = b)``) are translated or provided on PostgreSQL
(bot/storage/pg_sql.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.storage.url import SCHEMES

T = TypeVar("T")
Handle = Any  # sqlite_utils.Database or bot.storage.postgres.Handle: execute, query, [table].insert


class StorageUnavailable(Exception):
    """The database cannot be reached (the message names it without its password, and why)."""


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


class Storage(Protocol):
    backend: str  # "sqlite" | "postgresql"
    label: str  # what to show people: the file, or the URL without its password
    spool_dir: Path  # where the enquiry log keeps rows until they are written
    shared: bool  # several processes (replicas) may use it at once
    path: Path | None  # the SQLite file (Datasette, backup); None for PostgreSQL

    def execute_write_fn(self, fn: Callable[[Handle], T]) -> Future[T]: ...

    def write(self, fn: Callable[[Handle], Any]) -> None: ...

    def read(self, fn: Callable[[Handle], T]) -> T: ...

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]: ...

    @property
    def queue_depth(self) -> int: ...

    def flush(self, timeout: float = 30.0) -> None: ...

    def close(self, timeout: float = 60.0) -> None: ...

    def __enter__(self) -> Storage: ...  # ``with open_storage(settings) as db:`` closes it on exit

    def __exit__(self, *exc: object) -> None: ...
