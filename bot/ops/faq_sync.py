"""One FAQ across replicas: the version an operator puts live on one replica reaches the others.

When a reload (or an edit, or a rollback) on any replica puts a new FAQ version live,
``FaqOperations`` publishes it: a ``faq_published`` row with the version and the FAQ's YAML
files. Every replica's ``Follower`` looks at the newest row every ``INTERVAL`` seconds; when it
names a version this process is not answering with, the follower writes the files into its
FAQ folder (a no-op when the replicas share one) and reloads through the same gate as an
operator's reload (intents/reload.py: validation and the dev-set check), so a replica never
answers from a FAQ it did not check itself. Only versions published after the process started
are followed: at start-up the files on disk are the truth.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from bot.ops.faq_ops import FaqOperations
    from bot.storage.base import Storage
    from intents.reload import ReloadOutcome

log = logging.getLogger(__name__)
INTERVAL = 2.0


def snapshot(directory: Path) -> dict[str, str]:
    """The FAQ's files, by name (the folder is flat: one YAML file per source document)."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.yaml"))}


def publish(db: Storage, directory: Path, version: str, user: str, now: str) -> int:
    row = {"version": version, "files": json.dumps(snapshot(directory), ensure_ascii=False), "published_at": now,
           "published_by": user}  # fmt: skip
    return db.execute_write_fn(lambda handle: handle["faq_published"].insert(row).last_pk).result(60)


def latest(db: Storage) -> dict | None:
    rows = db.query("SELECT id, version FROM faq_published ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def files_of(db: Storage, published_id: int) -> dict[str, str]:
    rows = db.query("SELECT files FROM faq_published WHERE id = ?", (published_id,))
    return json.loads(rows[0]["files"]) if rows else {}


class Follower:
    """Loads the FAQ versions other replicas publish (see the module docstring)."""

    def __init__(self, db: Storage, ops: FaqOperations) -> None:
        self._db, self._ops = db, ops
        newest = latest(db)
        self.seen = newest["id"] if newest else 0

    def check(self) -> ReloadOutcome | None:
        """One look; the reload outcome when a new version was loaded (or refused), else None."""
        from intents.respond import get_responder

        newest = latest(self._db)
        if newest is None or newest["id"] <= self.seen:
            return None
        self.seen = newest["id"]
        if newest["version"] == get_responder().faq.version:
            return None
        outcome = self._ops.follow(files_of(self._db, newest["id"]), published=newest)
        if outcome is None:  # overtaken by an edit here while it was read
            return None
        level = logging.INFO if outcome.ok else logging.WARNING
        log.log(level, "FAQ version %s published by another replica: %s", newest["version"], outcome.reason)
        return outcome

    async def run(self, interval: float = INTERVAL) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(self.check)
            except Exception:  # noqa: BLE001 - logged; the next look tries again
                log.exception("could not follow the published FAQ version")
