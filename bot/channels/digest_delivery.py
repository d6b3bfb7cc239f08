"""The digest courier of a running server: finds policy changes, makes the day's digests, and
sends the Telegram ones under the broadcast limit.

Telegram allows about 30 messages a second to different chats; we send at most
``CBEC_BROADCAST_RATE`` (25 by default), one after another, so that a 429 answered by the Bot
API (the runtime waits its retry_after and tries again, bot/channels/telegram/base.py) pauses the whole
broadcast as Telegram asks. A digest is marked sent only after the Bot API accepted it; one that
fails is tried again in the next round, up to ``MAX_ATTEMPTS``. Web digests wait in the
database for their session's next visit (/api/chat/poll).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from bot.conversation.subscriptions import Digest, Subscriptions

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage.base import Storage

log = logging.getLogger(__name__)
ROUND_SECONDS = 30.0
MAX_ATTEMPTS = 5

SendDigest = Callable[[Digest], Awaitable[Any]]


@dataclass
class BroadcastResult:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    send_times: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class Pacer:
    """At most ``rate`` starts a second, evenly spaced."""

    def __init__(self, rate: float) -> None:
        self.interval, self._next = 1.0 / rate, 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        if self._next > now:
            await asyncio.sleep(self._next - now)
        self._next = max(now, self._next) + self.interval


async def broadcast(subscriptions: Subscriptions, send: SendDigest, rate: float) -> BroadcastResult:
    """Send every unsent Telegram digest, paced; each is marked sent once the Bot API took it."""
    result, pacer, started = BroadcastResult(), Pacer(rate), time.monotonic()
    while True:
        pending = await run_in_threadpool(subscriptions.pending_telegram, 500)
        if not pending:
            break
        progressed = False
        for digest in pending:
            await pacer.wait()
            try:
                await send(digest)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the runtime already retried what can be retried
                attempts = await run_in_threadpool(subscriptions.note_attempt, digest.id, f"{type(error).__name__}: {error}",
                                                   MAX_ATTEMPTS)  # fmt: skip
                log.warning("digest %s not delivered (attempt %s): %s", digest.id, attempts, error)
                result.failed += 1
                continue
            result.send_times.append(time.monotonic())
            await run_in_threadpool(subscriptions.mark_sent, digest.id)
            result.sent += 1
            progressed = True
        if not progressed:
            break  # all failed this round: the next round tries again
    result.seconds = time.monotonic() - started
    return result


async def run(settings: Settings, db: Storage, send: Callable[[], SendDigest | None], intents: Callable[[], list],
              round_seconds: float = ROUND_SECONDS) -> None:  # fmt: skip
    """Until cancelled: look for changes (at start and when the day turns: expiry goes by the
    calendar), make digests, send the Telegram ones."""
    from bot.records.policy_changes import detect

    subscriptions = Subscriptions(db, settings.secret.get_secret_value())
    looked_on: date | None = None
    while True:
        try:
            today = datetime.now(UTC).date()
            if looked_on != today:
                await run_in_threadpool(detect, db, intents(), today)
                looked_on = today
            await run_in_threadpool(subscriptions.make_digests, today)
            sender = send()
            if sender is not None:
                outcome = await broadcast(subscriptions, sender, settings.broadcast_rate)
                if outcome.sent or outcome.failed:
                    log.info("digests: %s sent, %s failed, %.1f msg/s", outcome.sent, outcome.failed, outcome.rate)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("digest delivery failed")
        await asyncio.sleep(round_seconds)
