"""Each pushed message handled once: WeChat retries a push it got no reply to within 5 s (up
to three times), and every retry must get the same reply, not a second answer.

The first push of a message claims its key in ``wechat_replies`` (migration
wechat-0001-replies) before the conversation core sees it; the reply is written when it is
ready. A retry finds the key: it waits for the reply of the push being handled, or gets the
reply written, also after a restart. Plain SQL through the writer thread (bot/storage/sqlite.py). The
user is stored pseudonymised; rows older than ``KEEP`` go as new ones come (WeChat's retries
end after about 15 seconds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.records.clock import utc_text

if TYPE_CHECKING:
    from bot.storage.base import Handle, Storage

KEEP = timedelta(days=1)
PRUNE_SECONDS = 600.0
TIMEOUT = 30.0


@dataclass(frozen=True)
class Seen:
    """A message already claimed: ``reply`` is None while it is being handled, "" when the
    answer went out as customer-service messages (a retry then gets the empty reply)."""

    reply: str | None


class ReplyStore:
    def __init__(self, db: Storage) -> None:
        self._db = db
        self._pruned = 0.0

    def seen(self, key: str) -> Seen | None:
        rows = self._db.query("SELECT reply FROM wechat_replies WHERE message_key = ?", (key,))
        return Seen(rows[0]["reply"]) if rows else None

    def claim(self, key: str, user_key: str) -> bool:
        """True when this push is the first with ``key`` (it is to be handled), else False."""
        now = datetime.now(UTC)
        prune = time.monotonic() - self._pruned >= PRUNE_SECONDS
        if prune:
            self._pruned = time.monotonic()

        def write(db: Handle) -> bool:
            if prune:
                db.execute("DELETE FROM wechat_replies WHERE received_at < ?", (utc_text(now - KEEP),))
            taken = db.execute(
                "INSERT INTO wechat_replies (message_key, user_key, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (message_key) DO NOTHING",
                (key, user_key, utc_text(now)),
            )
            return taken.rowcount == 1

        return self._db.execute_write_fn(write).result(TIMEOUT)

    def answered(self, key: str, reply: str) -> None:
        """The reply a retry of ``key`` gets ("" when it went out through the API)."""
        stamp = utc_text(datetime.now(UTC))
        self._db.execute_write_fn(
            lambda db: db.execute(
                "UPDATE wechat_replies SET reply = ?, replied_at = ? WHERE message_key = ?", (reply, stamp, key)
            )
        ).result(TIMEOUT)
