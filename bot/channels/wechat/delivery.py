"""Staff replies to WeChat hand-offs (written in the dashboard, with ``cbec-bot handoff reply``
or in the Telegram staff chat) sent to the user as customer-service messages. Part of the
running server: every ``DELIVER_SECONDS`` it takes the replies not yet delivered (bot/records/tickets.py
marks them in the same write, so two couriers never send one twice).

WeChat takes customer-service messages only within 48 hours of the user's last message; a
reply WeChat refuses is logged with its ticket (the dashboard keeps the reply in the ticket).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from bot.channels.telegram.base import split_text
from bot.channels.wechat import CHANNEL
from bot.channels.wechat.endpoint import PASSIVE_BYTES, utf8_bytes
from bot.records import tickets

if TYPE_CHECKING:
    from bot.channels.wechat.endpoint import WeChatChannel
    from bot.storage.base import Storage

log = logging.getLogger(__name__)
DELIVER_SECONDS = 1.0


async def deliver_pending(db: Storage, channel: WeChatChannel) -> int:
    """Send what is waiting; the number of replies sent."""
    sent = 0
    for pending in await run_in_threadpool(tickets.take_pending, db, CHANNEL):
        parts = split_text(pending.for_user().replace("<", "＜"), PASSIVE_BYTES, measure=utf8_bytes)
        if await channel.send(pending.chat_id, parts):
            sent += 1
        else:
            log.error("staff reply of ticket #%s not delivered to its WeChat user", pending.ticket_id)
    return sent


async def run(db: Storage, channel: WeChatChannel) -> None:
    """Until cancelled."""
    while True:
        try:
            await deliver_pending(db, channel)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("WeChat ticket delivery failed")
        await asyncio.sleep(DELIVER_SECONDS)
