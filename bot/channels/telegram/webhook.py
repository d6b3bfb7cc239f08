"""The webhook endpoint both runtimes use: an aiohttp app that takes Telegram's POSTs, refuses
any request without the right ``X-Telegram-Bot-Api-Secret-Token`` (403), and feeds the update
to the runtime. Telegram only needs a 200 back; the replies go out as separate API calls.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aiohttp import web

if TYPE_CHECKING:
    from bot.channels.telegram.base import Classifier, RetryPolicy
    from bot.settings import Settings
    from bot.storage.base import Handle, Storage

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"
Feed = Callable[[dict[str, Any]], Awaitable[None]]
Claim = Callable[[int], Awaitable[bool]]
KEEP_UPDATES = timedelta(days=2)  # Telegram gives up re-sending an update long before this


def webhook_path(webhook_url: str | None) -> str:
    """The path Telegram posts to: the path of CBEC_WEBHOOK_URL, or /telegram/webhook."""
    path = urlparse(webhook_url or "").path
    return path if path and path != "/" else DEFAULT_PATH


class UpdateLedger:
    """The update ids already taken, in the database: several replicas behind one webhook URL
    (or Telegram re-sending an update after a timeout) must not answer one message twice.
    ``claim`` inserts the id; only the caller whose insert went in handles the update."""

    def __init__(self, db: Storage) -> None:
        self._db = db
        self._claims = 0

    def claim(self, update_id: int) -> bool:
        now = datetime.now(UTC)
        prune = self._claims % 1000 == 0
        self._claims += 1

        def take(handle: Handle) -> bool:
            if prune:
                handle.execute("DELETE FROM telegram_updates WHERE received_at < ?", [(now - KEEP_UPDATES).isoformat()])
            inserted = handle.execute(
                "INSERT INTO telegram_updates (update_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [int(update_id), now.isoformat()],
            )  # fmt: skip
            return inserted.rowcount == 1

        transact = getattr(self._db, "transact", None)  # PostgreSQL: now, not behind the log's writes
        return transact(take) if transact is not None else self._db.execute_write_fn(take).result(30)

    async def aclaim(self, update_id: int) -> bool:
        return await asyncio.to_thread(self.claim, update_id)


def webhook_app(path: str, secret: str, feed: Feed, claim: Claim | None = None) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call without the right secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if claim is not None and isinstance(update_id, int) and not await claim(update_id):
            log.info("update %s was already taken (by this or another replica)", update_id)
            return web.Response(text="ok")
        await feed(update)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, receive)
    return app


async def serve_webhook(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def open_webhook(
    settings: Settings, port: int, secret: str, feed: Feed, claim: Claim | None,
    set_webhook: Callable[..., Awaitable[object]], classify: Classifier, retry: RetryPolicy,
) -> web.AppRunner:  # fmt: skip
    """The webhook server both runtimes run: serve ``feed`` on the path of CBEC_WEBHOOK_URL and,
    when one is set, register it with Telegram (retried as every Bot API call is)."""
    from bot.channels.telegram.base import with_retries

    path = webhook_path(settings.webhook_url)
    runner = await serve_webhook(webhook_app(path, secret, feed, claim), settings.host, port)
    if settings.webhook_url:
        await with_retries(
            lambda: set_webhook(settings.webhook_url or "", secret_token=secret), classify, retry, "setWebhook"
        )
    log.info("Telegram webhook on %s:%s%s", settings.host, port, path)
    return runner
