"""The SQLite backend: one file, WAL, the one writer thread of bot/db.py."""

from __future__ import annotations

from bot.db import Database as SqliteDatabase

__all__ = ["SqliteDatabase"]
