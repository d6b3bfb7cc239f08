"""The aiogram 3 runtime (the default): a Bot talking to ``CBEC_TELEGRAM_API_URL``, a Dispatcher
with one router, long polling or a webhook. Handlers only turn updates into InboundEvents for
the Bridge; sending goes through ``send_text`` with retries on 429, 5xx and network errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.channels.telegram.base import RetryPolicy, TelegramRuntime, message_kind, with_retries
from bot.channels.telegram.bridge import Bridge, Rows, event_from_callback, event_from_message
from bot.settings import Settings

log = logging.getLogger(__name__)
POLL_SECONDS = 10  # long-poll wait; stopping cancels a poll in flight, so it does not delay a stop


def classify(error: BaseException) -> float | str | None:
    if isinstance(error, TelegramRetryAfter):
        return float(error.retry_after)
    if isinstance(error, TelegramEntityTooLarge):
        return None
    if isinstance(error, TelegramServerError | TelegramNetworkError):
        return "backoff"
    return None


def build_bot(settings: Settings) -> Bot:
    """``http://127.0.0.1:8081`` as API root makes the bot call ``…/bot<token>/<method>``."""
    assert settings.telegram_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    defaults = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
    return Bot(settings.telegram_token.get_secret_value(), session=session, default=defaults)


async def on_text(message: Message, bridge: Bridge) -> None:
    await bridge.on_event(event_from_message(message, "text"))


async def on_other(message: Message, bridge: Bridge) -> None:
    """Stickers, photos, voice, files, locations: the core answers them politely."""
    await bridge.on_event(event_from_message(message, message_kind(message)))


async def on_button(query: CallbackQuery, bridge: Bridge, retry: RetryPolicy) -> None:
    try:  # stops the button's spinner; a press older than Telegram allows is still handled
        await with_retries(query.answer, classify, retry, "answerCallbackQuery")
    except TelegramAPIError as error:
        log.warning("could not answer a callback query: %s", error)
    event = event_from_callback(query)
    if event is not None:
        await bridge.on_event(event)


def build_router() -> Router:
    """Every handler and filter in one place; commands are text the core interprets."""
    router = Router(name="cbec")
    router.message.register(on_text, F.text)
    router.message.register(on_other)
    router.callback_query.register(on_button)
    return router


class AiogramRuntime(TelegramRuntime):
    classify = staticmethod(classify)

    def __init__(self, settings: Settings, bridge: Bridge, retry: RetryPolicy | None = None) -> None:
        super().__init__(settings, bridge, retry)
        self.bot = build_bot(settings)
        self.dispatcher = Dispatcher(bridge=bridge, retry=self.retry)
        self.dispatcher.include_router(build_router())
        self._polling: asyncio.Task[None] | None = None
        self._feeding: set[asyncio.Task[object]] = set()  # webhook updates being handled

    async def _send(self, chat_id: int, html_text: str, rows: Rows) -> int:
        keyboard = [[InlineKeyboardButton(text=label, callback_data=value) for label, value in row] for row in rows]
        markup = InlineKeyboardMarkup(inline_keyboard=keyboard) if rows else None
        sent = await self.bot.send_message(chat_id=chat_id, text=html_text, reply_markup=markup)
        return sent.message_id

    async def _set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> object:
        menu = [BotCommand(command=name, description=text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else None
        return await self.bot.set_my_commands(menu, scope=scope)

    async def _set_webhook(self, url: str, secret_token: str) -> object:
        return await self.bot.set_webhook(url, secret_token=secret_token)

    async def _feed(self, update: dict[str, Any]) -> None:
        # Answer Telegram at once and handle the update beside it: a reply waiting out a
        # 429 must not hold the webhook request until Telegram gives up and sends it again.
        task = asyncio.create_task(self.dispatcher.feed_raw_update(self.bot, update))
        self._feeding.add(task)
        task.add_done_callback(self._feeding.discard)

    async def _start_polling(self) -> None:
        await self._call(self.bot.delete_webhook, "deleteWebhook")
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, polling_timeout=POLL_SECONDS, handle_as_tasks=False, handle_signals=False,
                close_bot_session=False,
            )
        )  # fmt: skip

    async def _stop_updates(self) -> None:
        if self._polling is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # "Polling is not started" yet: end the task that would start it
                self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        if self._feeding:
            await asyncio.wait(set(self._feeding), timeout=5)

    async def _close(self) -> None:
        await self.bot.session.close()
