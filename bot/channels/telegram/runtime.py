"""Starting the Telegram bot: the chosen runtime (aiogram by default, PTB with
``CBEC_TELEGRAM_RUNTIME=ptb``) over the conversation core. Used by ``cbec-bot telegram`` and by
``cbec-bot serve`` (bot/channels/web/runtime.py run_telegram), where staff replies to web users go into
the web chat's outbox and hand-offs from the web chat come in through ``send``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.channels.telegram.base import RetryPolicy, TelegramRuntime
from bot.channels.telegram.bridge import Bridge
from bot.conversation.core import build_conversation
from bot.conversation.messages import OutMessage
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.web.outbox import Outbox
    from bot.conversation.subscriptions import Digest
    from bot.records.recorder import Recorder
    from bot.storage.base import Storage

log = logging.getLogger(__name__)


@dataclass
class TelegramBot:
    runtime: TelegramRuntime  # AiogramRuntime or PtbRuntime
    bridge: Bridge

    async def send(self, message: OutMessage) -> None:
        """Deliver a message another channel produced (a web user's hand-off to the staff chat)."""
        await self.bridge.deliver(message)

    async def send_digest(self, digest: Digest) -> None:
        """One policy-update digest to its subscriber's chat; raises when it did not go."""
        await self.bridge.send_now(OutMessage(digest.text, digest.buttons), digest.chat_id)

    async def stop(self) -> None:
        await self.runtime.stop()


def make_runtime(settings: Settings, bridge: Bridge, retry: RetryPolicy | None = None) -> TelegramRuntime:
    if settings.telegram_runtime == "ptb":
        from bot.channels.telegram.ptb import PtbRuntime

        return PtbRuntime(settings, bridge, retry)
    from bot.channels.telegram.aiogram import AiogramRuntime

    return AiogramRuntime(settings, bridge, retry)


async def start(
    settings: Settings, db: Storage, recorder: Recorder, web_outbox: Outbox | None = None, *,
    webhook_port: int | None = None, retry: RetryPolicy | None = None,
) -> TelegramBot:  # fmt: skip
    """Build the conversation and the runtime, register the commands, start polling or the
    webhook. Under ``serve`` the web server has CBEC_PORT, so a webhook listens one port above."""
    conversation = build_conversation(settings=settings, db=db, recorder=recorder)
    from bot.channels.telegram.base import flood_control
    from bot.channels.telegram.webhook import UpdateLedger

    bridge = Bridge(conversation, settings.flood_limit, web_outbox, UpdateLedger(db), flood_control(db, settings.flood_limit))
    runtime = make_runtime(settings, bridge, retry)
    if webhook_port is None and web_outbox is not None:
        webhook_port = settings.port + 1
    try:
        await runtime.start(webhook_port=webhook_port)
    except BaseException:
        await runtime.stop()  # close the HTTP session of a bot that never ran
        raise
    log.info("Telegram bot started (%s, %s)", settings.telegram_runtime, settings.telegram_mode)
    return TelegramBot(runtime, bridge)
