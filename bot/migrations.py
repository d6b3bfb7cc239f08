"""Schema migrations, applied in order once each and recorded in ``_migrations``.

Each migration is a named function of a sqlite_utils Database. Append new ones at the end;
never edit one that has shipped. Names are prefixed by the concept that owns the tables
(``state-…`` conversation state, ``log-…`` enquiry log, ``audit-…`` FAQ edits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: list[Migration] = []


def migration(name: str) -> Callable[[Callable[[sqlite_utils.Database], None]], Callable[[sqlite_utils.Database], None]]:
    def register(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
        if any(m.name == name for m in MIGRATIONS):
            raise ValueError(f"duplicate migration {name}")
        MIGRATIONS.append(Migration(name, fn))
        return fn

    return register


def apply_migrations(db: sqlite_utils.Database, migrations: list[Migration]) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for m in migrations:
        if m.name in done:
            continue
        with db.conn:
            m.apply(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [m.name, datetime.now(UTC).isoformat()])
        applied.append(m.name)
    return applied


# ---- migrations ---------------------------------------------------------------------------
# (Modules owning tables add theirs below, in the order they were written.)
