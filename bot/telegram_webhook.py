"""The webhook endpoint both runtimes use: an aiohttp app that takes Telegram's POSTs, refuses
any request without the right ``X-Telegram-Bot-Api-Secret-Token`` (403), and feeds the update
to the runtime. Telegram only needs a 200 back; the replies go out as separate API calls.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"
Feed = Callable[[dict[str, Any]], Awaitable[None]]


def webhook_path(webhook_url: str | None) -> str:
    """The path Telegram posts to: the path of CBEC_WEBHOOK_URL, or /telegram/webhook."""
    path = urlparse(webhook_url or "").path
    return path if path and path != "/" else DEFAULT_PATH


def webhook_app(path: str, secret: str, feed: Feed) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call without the right secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
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
