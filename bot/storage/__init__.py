"""Where the assistant keeps its rows: one interface (``Storage``), a module per backend.

``open_database(target)`` opens SQLite for a path (the embedded default, bot/storage/sqlite.py) and
PostgreSQL for a ``postgresql://`` URL (bot/storage/postgres.py); both run the same named
migrations (bot/storage/migrations.py) and give write functions the same small handle
(``execute``, ``query``, ``db["table"].insert(row)``), so the code above never asks which
engine it talks to. The few things only a shared server can do (rate limits counted across
replicas) are chosen here too, in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage.base import Storage, StorageUnavailable, is_postgres_url
from bot.storage.url import PostgresUrl

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage.host_counters import HostCounters

__all__ = ["PostgresUrl", "Storage", "StorageUnavailable", "is_postgres_url", "limits_storage", "open_database", "open_storage"]


def open_database(target: str | Path, migrations: list | None = None, spool_dir: Path | None = None) -> Storage:
    """The database at ``target``: a ``postgresql://`` URL or a SQLite file path."""
    if is_postgres_url(target):
        from bot.storage.postgres import PostgresDatabase

        return PostgresDatabase(str(target), migrations, spool_dir=spool_dir)
    from bot.storage.sqlite import SqliteDatabase

    return SqliteDatabase(Path(target), migrations, spool_dir=spool_dir)


def open_storage(settings: Settings) -> Storage:
    """The database ``CBEC_DB`` names (and ``CBEC_SPOOL_DIR``, where the log keeps rows in flight),
    as every command and the web app open it. A context manager: ``with open_storage(settings)
    as db, EnquiryLog(db, secret) as log:`` writes the log's last rows, then drains the writer
    queue and closes every connection, in that order, however the block ends."""
    return open_database(settings.db, spool_dir=settings.spool_dir)


def limits_storage(settings: Settings, database: Storage) -> Storage | HostCounters:
    """Where the web chat's flood limits and the login throttle count: in the database when
    replicas share it (PostgreSQL); in a side file the workers share when several serve one
    SQLite file (CBEC_WORKERS > 1, bot/storage/host_counters.py); else in the process's memory
    (``database`` itself, which is not ``shared``). Close what it returns after the app."""
    if getattr(database, "shared", False) or settings.workers <= 1:
        return database
    from bot.storage.host_counters import HostCounters, counters_path

    return HostCounters(counters_path(Path(settings.db)))
