"""Sliding-window counters kept in the database, so that replicas count together.

A web chat rate limit or the login throttle kept in one process's memory lets a client get
N times the limit from N replicas; these count in the database instead. Each decision is ONE
statement: insert an event under every key only when the count of each key's events in the
window is under its limit (``INSERT … SELECT … WHERE (SELECT count(*) …) < limit RETURNING``).
On PostgreSQL it runs in autocommit as a SERIALIZABLE transaction of its own (``decide``: on a
pooled connection in the caller's thread, not queued behind the log's writes; retried when it
conflicts), on SQLite in the writer thread's BEGIN IMMEDIATE, so two replicas deciding for the
same key at once cannot both take the last slot. Now and then events older than a day are
forgotten, apart from the decisions. Keys are hashed before they are stored.

A decision for ONE key on PostgreSQL (every web chat message, every Telegram update) keeps the
key's event times in one row instead (``rate_windows``): ``INSERT … ON CONFLICT DO UPDATE … WHERE
(times in the window) < limit`` locks that row and reads its latest version, so the same rule
holds without SERIALIZABLE: no predicate locks, no conflicts with other keys' decisions (which
shared index pages made frequent: 2-4 % of decisions ran again under load) and about half the
server's time a decision. Several keys at once (the login throttle) take the events path.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.base import Storage

TIMEOUT = 30.0
KEEP_SECONDS = 86_400.0  # events older than any window in use
_calls = itertools.count()


@functools.lru_cache(maxsize=4096)
def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=8)
def _take_sql(keys: int) -> str:
    """The decision for ``keys`` keys: an event under each, only if every key is under its limit."""
    under = " AND ".join("(SELECT count(*) FROM rate_events WHERE scope = ? AND key = ? AND at > ?) < ?" for _ in range(keys))
    return (
        "INSERT INTO rate_events (scope, key, at) SELECT ?, column1, CAST(? AS DOUBLE PRECISION) "
        f"FROM (VALUES {', '.join('(?)' for _ in range(keys))}) AS taken WHERE {under} RETURNING id, key"
    )


# one key's window in its row (PostgreSQL): times outside the window are dropped as the row is
# rewritten; ``last_at`` is the newest time (the prune forgets rows a day old)
_TAKE_ONE = (
    "INSERT INTO rate_windows AS w (scope, key, times, last_at) VALUES (?, ?, ARRAY[CAST(? AS DOUBLE PRECISION)], ?) "
    "ON CONFLICT (scope, key) DO UPDATE SET "
    "times = ARRAY(SELECT t FROM unnest(w.times) AS t WHERE t > CAST(? AS DOUBLE PRECISION)) || excluded.last_at, "
    "last_at = excluded.last_at "
    "WHERE (SELECT count(*) FROM unnest(w.times) AS t WHERE t > CAST(? AS DOUBLE PRECISION)) < CAST(? AS INTEGER) "
    "RETURNING 0"
)
IN_ROW = 0  # the "id" of a slot taken in a key's row: give_back has no event row to drop for it


class SharedWindow:
    """At most ``limit`` events per key in ``window`` seconds, counted in ``db``."""

    def __init__(self, db: Storage, scope: str, window: float, clock: Callable[[], float] = time.time) -> None:
        self._db, self.scope, self.window, self._clock = db, scope, window, clock

    def take(self, keys: dict[str, int]) -> list[int] | None:
        """Add one event under each key (key -> its limit) when every key is under its limit;
        return the new events' ids in the order of ``keys`` (to give back with ``give_back``), or None."""
        now = self._clock()
        hashed = {_hashed(key): limit for key, limit in keys.items()}
        if next(_calls) % 500 == 0:
            self._prune(now - KEEP_SECONDS)
        if len(hashed) == 1 and getattr(self._db, "windows_in_rows", False):
            return self._take_one(*next(iter(hashed.items())), now)
        params: list[Any] = [self.scope, now, *hashed]
        for key, limit in hashed.items():
            params += [self.scope, key, now - self.window, limit]
        rows = self._decide(_take_sql(len(hashed)), params)
        if not rows:
            return None
        ids = {key: id_ for id_, key in rows}
        return [ids[key] for key in hashed]

    def _take_one(self, key: str, limit: int, now: float) -> list[int] | None:
        """One key on PostgreSQL: its row, in autocommit at READ COMMITTED (on the read pool: the
        row lock is what keeps two replicas from both taking the last slot)."""
        if limit < 1:
            return None
        params = [self.scope, key, now, now, now - self.window, now - self.window, limit]
        rows = self._db.read(lambda handle: handle.execute(_TAKE_ONE, params).fetchall())
        return [IN_ROW] if rows else None

    def _decide(self, sql: str, params: list[Any]) -> list[tuple]:
        """One statement's rows: on PostgreSQL now, in the caller's thread (``decide``); on SQLite
        through the writer thread."""
        decide = getattr(self._db, "decide", None)
        if decide is not None:
            return decide(sql, params)
        return self._db.execute_write_fn(lambda handle: [tuple(row) for row in handle.execute(sql, params)]).result(TIMEOUT)

    def _prune(self, before: float) -> None:
        """Forget the events older than ``before`` (outside every window: no decision depends on
        them). Not waited for on SQLite; on PostgreSQL a plain autocommit statement, not a
        serializable one that would conflict with every decision it scans past."""
        sql, params = "DELETE FROM rate_events WHERE at < ?", [before]
        if getattr(self._db, "decide", None) is not None:
            self._db.read(lambda handle: handle.execute(sql, params))
            if getattr(self._db, "windows_in_rows", False):
                self._db.read(lambda handle: handle.execute("DELETE FROM rate_windows WHERE last_at < ?", params))
        else:
            self._db.write(lambda handle: handle.execute(sql, params))

    def forget(self, key: str) -> None:
        """Drop every event of ``key``."""
        self._decide("DELETE FROM rate_events WHERE scope = ? AND key = ?", [self.scope, _hashed(key)])
        if getattr(self._db, "windows_in_rows", False):
            self._db.read(lambda handle: handle.execute(
                "DELETE FROM rate_windows WHERE scope = ? AND key = ?", [self.scope, _hashed(key)]))  # fmt: skip

    def give_back(self, ids: list[int]) -> None:
        """Drop the events ``take`` added (by their ids; a slot taken in a key's row, ``IN_ROW``,
        stays counted: only several keys at once, as the login throttle takes them, give back)."""
        ids = [id_ for id_ in ids if id_ != IN_ROW]
        if ids:
            self._decide(f"DELETE FROM rate_events WHERE id IN ({','.join('?' for _ in ids)})", list(ids))
