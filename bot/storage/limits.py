"""Sliding-window counters kept in the database, so that replicas count together.

A web chat rate limit or the login throttle kept in one process's memory lets a client get
N times the limit from N replicas; these count in the shared database instead. Each decision
(count the window's events, maybe add one; now and then forget those older than a day) is one
write transaction: SERIALIZABLE on
PostgreSQL (``transact``: on a pooled connection in the caller's thread, not queued behind the
log's writes), BEGIN IMMEDIATE on SQLite (the writer thread), so two replicas deciding for the
same key at once cannot both take the last slot. Keys are hashed before they are stored.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.base import Handle, Storage

TIMEOUT = 30.0
KEEP_SECONDS = 86_400.0  # events older than any window in use
_calls = itertools.count()


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class SharedWindow:
    """At most ``limit`` events per key in ``window`` seconds, counted in ``db``."""

    def __init__(self, db: Storage, scope: str, window: float, clock: Callable[[], float] = time.time) -> None:
        self._db, self.scope, self.window, self._clock = db, scope, window, clock

    def take(self, keys: dict[str, int]) -> list[int] | None:
        """Add one event under each key (key -> its limit) when every key is under its limit;
        return the new events' ids (to give back with ``give_back``), or None."""
        now = self._clock()
        hashed = {_hashed(key): limit for key, limit in keys.items()}

        def decide(handle: Handle) -> list[int] | None:
            if next(_calls) % 500 == 0:
                handle.execute("DELETE FROM rate_events WHERE at < ?", [now - KEEP_SECONDS])
            for key, limit in hashed.items():
                # the window's events only (one round trip; events older than a day go above)
                count = handle.execute("SELECT count(*) FROM rate_events WHERE scope = ? AND key = ? AND at > ?",
                                       [self.scope, key, now - self.window]).fetchone()[0]  # fmt: skip
                if count >= limit:
                    return None
            return [handle["rate_events"].insert({"scope": self.scope, "key": key, "at": now}).last_pk for key in hashed]

        return self._write(decide)

    def _write(self, fn: Callable[[Any], Any]) -> Any:
        """On PostgreSQL in the caller's thread (``transact``); on SQLite through the writer thread."""
        transact = getattr(self._db, "transact", None)
        return transact(fn) if transact is not None else self._db.execute_write_fn(fn).result(TIMEOUT)

    def forget(self, key: str) -> None:
        """Drop every event of ``key``."""
        self._write(lambda handle: handle.execute(
            "DELETE FROM rate_events WHERE scope = ? AND key = ?", [self.scope, _hashed(key)]))  # fmt: skip

    def give_back(self, ids: list[int]) -> None:
        """Drop the events ``take`` added (by their ids)."""
        if ids:
            marks = ",".join("?" for _ in ids)
            self._write(lambda handle: handle.execute(f"DELETE FROM rate_events WHERE id IN ({marks})", list(ids)))
