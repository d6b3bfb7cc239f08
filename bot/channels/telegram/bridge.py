"""Between a Telegram runtime and the conversation core: an inbound event goes through flood
control into the core (in a worker thread: it reads and writes SQLite), and every message the
core returns is delivered where it belongs: a Telegram chat (escaped, split, with its inline
keyboard) or, for a staff reply to a web user, the web chat's outbox.

A runtime supplies one coroutine, ``send(chat_id, html_text, rows) -> message id``, which
retries on its library's transient errors; everything else here is the same for both runtimes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.channels.telegram.base import (
    SLOW_DOWN,
    FloodControl,
    SharedFloodControl,
    escape,
    keyboard_rows,
    split_text,
)
from bot.conversation.messages import InboundEvent, OutMessage
from bot.records.durable import until_durable

if TYPE_CHECKING:
    from aiogram.types import CallbackQuery as AiogramCallback
    from aiogram.types import Message as AiogramMessage
    from telegram import CallbackQuery as PtbCallback
    from telegram import Message as PtbMessage

    from bot.channels.telegram.webhook import UpdateLedger
    from bot.channels.web.outbox import Outbox
    from bot.conversation.core import Conversation

log = logging.getLogger(__name__)
CHANNEL = "telegram"
Rows = list[list[tuple[str, str]]]
Sender = Callable[[str, str, Rows], Awaitable[int]]


class Bridge:
    def __init__(self, conversation: Conversation, flood_limit: int, web_outbox: Outbox | None = None,
                 updates: UpdateLedger | None = None, flood: FloodControl | SharedFloodControl | None = None) -> None:  # fmt: skip
        self.conversation = conversation
        self.updates = updates  # UpdateLedger (bot/channels/telegram/webhook.py): each webhook update handled once
        self.flood = flood or FloodControl(flood_limit)  # SharedFloodControl when replicas share the database
        self.web_outbox = web_outbox
        self.send_text: Sender | None = None  # set by the runtime once its bot exists
        self._in_flight: set[asyncio.Task[None]] = set()

    async def claim(self, update_id: int) -> bool:
        """True when this process should handle the webhook update (no replica took it yet)."""
        return True if self.updates is None else await self.updates.aclaim(update_id)

    async def on_event(self, event: InboundEvent) -> None:
        """Handle one event from Telegram and deliver every reply. Shielded: stopping the bot
        (which cancels polling) lets an event being handled finish, see ``drain``."""
        task = asyncio.create_task(self._handle(event))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (up to ``timeout`` seconds) for the events being handled to be answered."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)

    async def _handle(self, event: InboundEvent) -> None:
        verdict = (await asyncio.to_thread(self.flood.check, event.user_id) if isinstance(self.flood, SharedFloodControl)
                   else self.flood.check(event.user_id))  # fmt: skip
        if verdict == "drop":
            return
        if verdict == "warn":
            await self.deliver(OutMessage(SLOW_DOWN), event.chat_id)
            return
        replies = await asyncio.to_thread(self.conversation.handle, event)
        durable = getattr(self.conversation, "durable", None)
        if durable is not None:  # the enquiry is in the spool or the database before it is answered
            await until_durable(getattr(self.conversation, "recorder", None), durable())
        for reply in replies:
            await self.deliver(reply, event.chat_id)

    async def deliver(self, message: OutMessage, default_chat: str | None = None) -> None:
        """Send ``message``; failures are logged, never raised (the other replies still go)."""
        try:
            if message.channel == "web":
                self._to_web(message)
                return
            if message.channel not in (None, CHANNEL):  # e.g. a staff reply to a terminal user
                log.warning("no way to deliver a %s message from the Telegram bot", message.channel)
                return
            chat_id = message.chat_id or default_chat
            if chat_id is None:
                raise ValueError("a message without a chat")
            await self._to_telegram(message, chat_id)
        except Exception:  # noqa: BLE001 - a lost reply is logged with its trace
            log.exception("could not deliver a message to chat %s", message.chat_id or default_chat)

    async def send_now(self, message: OutMessage, chat_id: str) -> None:
        """Send to a Telegram chat and raise if it could not be sent (after the runtime's
        retries): a broadcast must know which digests went."""
        await self._to_telegram(message, chat_id)

    async def _to_telegram(self, message: OutMessage, chat_id: str) -> None:
        assert self.send_text is not None, "the runtime did not set send_text"
        pieces = split_text(message.text)
        rows = keyboard_rows(message.buttons)
        for number, piece in enumerate(pieces, 1):
            # the keyboard goes under the last piece, where the user's eyes end up
            message_id = await self.send_text(chat_id, escape(piece), rows if number == len(pieces) else [])
            if message.relay_key:  # a staff reply to any piece of a hand-off finds its user
                await asyncio.to_thread(self.conversation.forwarded, message.relay_key, str(message_id))

    def _to_web(self, message: OutMessage) -> None:
        if self.web_outbox is None:
            log.warning("a reply for web session %s, but no web chat runs in this process", message.chat_id)
            return
        self.web_outbox.deliver(str(message.chat_id), message)


def event_from_message(message: AiogramMessage | PtbMessage, kind: str) -> InboundEvent:
    """An aiogram or PTB Message as an InboundEvent (the two name these fields alike)."""
    user = message.from_user
    replied = message.reply_to_message
    return InboundEvent(
        channel=CHANNEL,
        user_id=str(user.id) if user else str(message.chat.id),
        chat_id=str(message.chat.id),
        text=message.text if kind == "text" else None,
        kind=kind,
        language=getattr(user, "language_code", None),
        reply_to_message_id=str(replied.message_id) if replied else None,
        user_name=user.full_name if user else None,
    )


def event_from_callback(query: AiogramCallback | PtbCallback) -> InboundEvent | None:
    """A pressed inline button as an InboundEvent; None when Telegram no longer says where."""
    if query.message is None or not query.data:
        return None
    user = query.from_user
    return InboundEvent(
        channel=CHANNEL,
        user_id=str(user.id),
        chat_id=str(query.message.chat.id),
        button=query.data,
        kind="button",
        language=getattr(user, "language_code", None),
        user_name=user.full_name,
    )
