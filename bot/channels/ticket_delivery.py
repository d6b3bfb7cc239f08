"""The ticket courier of a running server (``cbec-bot serve``, ``cbec-bot telegram``): hands
Telegram users the staff replies written in the dashboard or with the CLI (through the bot),
shows those replies in the Telegram staff chat, and once an hour closes idle tickets and erases
old call-back numbers (bot/records/tickets.py). Web users collect theirs with /api/chat/poll, the
terminal chat at its prompt."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from bot.conversation.messages import OutMessage
from bot.records import tickets

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage.base import Storage

log = logging.getLogger(__name__)
DELIVER_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 3600.0
VIA = {"dashboard": "工作台", "cli": "命令行"}

Send = Callable[[OutMessage], Awaitable[Any]]


async def run(settings: Settings, db: Storage, send: Callable[[], Send | None]) -> None:
    """Until cancelled. ``send()`` is the Telegram bot's send, or None while Telegram is off."""
    from bot.conversation.flows.handoff import staff_reachable

    last_housekeeping = -HOUSEKEEPING_SECONDS
    while True:
        try:
            if time.monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                await run_in_threadpool(tickets.housekeeping, db, settings.handoff_idle_days)
            sender = send()
            if sender is not None:
                for pending in await run_in_threadpool(tickets.take_pending, db, "telegram"):
                    await sender(OutMessage(text=pending.for_user(), chat_id=pending.chat_id, channel="telegram"))
                if staff_reachable(settings):
                    for row in await run_in_threadpool(tickets.take_unmirrored, db):
                        where = VIA.get(row["via"], row["via"])
                        text = f"【已回复】工单#{row['ticket_id']}({row['name']}, {where})\n{row['text']}"
                        await sender(OutMessage(text=text, chat_id=str(settings.staff_chat_id), channel="telegram"))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("ticket delivery failed")
        await asyncio.sleep(DELIVER_SECONDS)
