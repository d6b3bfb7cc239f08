"""Database maintenance behind ``cbec-bot db``: online backup and retention of enquiry text.

The backup uses SQLite's online backup API on a read connection, so the server keeps writing
while it runs and the copy is a consistent snapshot. Purge keeps the counts the dashboard needs
(time, channel, region, kind, intent, confidence, sources) and removes what users wrote: the
enquiry text and hand-off summaries older than the cut-off. It goes through the writer thread
like every other write.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.sqlite import Database


@dataclass(frozen=True)
class PurgeResult:
    cutoff: str
    enquiries: int
    handoffs: int


def backup(db_path: Path, target: Path) -> int:
    """Copy the live database to ``target`` (which must not exist); returns its size in bytes."""
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=1024)  # in steps, so writers are not held up for long
        finally:
            copy.close()
    finally:
        source.close()
    return target.stat().st_size


def purge(db: Database, older_than_days: int, now: datetime | None = None) -> PurgeResult:
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=older_than_days)).strftime("%Y-%m-%dT%H:%M:%S")

    def run(conn) -> PurgeResult:
        with conn.conn:
            enquiries = conn.execute(
                "UPDATE enquiries SET text = NULL WHERE time < ? AND text IS NOT NULL", [cutoff]
            ).rowcount
            handoffs = conn.execute(
                "UPDATE handoffs SET summary = NULL WHERE opened_at < ? AND summary IS NOT NULL", [cutoff]
            ).rowcount
        return PurgeResult(cutoff, enquiries, handoffs)

    return db.execute_write_fn(run).result(300)
