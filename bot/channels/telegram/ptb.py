"""The python-telegram-bot 22 runtime (``CBEC_TELEGRAM_RUNTIME=ptb``): an Application talking to
``CBEC_TELEGRAM_API_URL``, the same handlers as the aiogram runtime, long polling or a webhook.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

# PTB 22 is moving time periods (RetryAfter.retry_after, ...) from int to timedelta and warns on
# every 429 until one opts in; we opt in (this module reads them as timedelta) before importing it.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, Defaults, MessageHandler, filters

from bot.channels.telegram.base import RetryPolicy, TelegramRuntime, message_kind, with_retries
from bot.channels.telegram.bridge import Bridge, Rows, event_from_callback, event_from_message
from bot.settings import Settings

log = logging.getLogger(__name__)
POLL_SECONDS = 10
Context = ContextTypes.DEFAULT_TYPE


def classify(error: BaseException) -> float | str | None:
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    if isinstance(error, BadRequest):
        return None
    if isinstance(error, NetworkError):  # also 5xx answers and timeouts
        return "backoff"
    return None


def build_application(settings: Settings) -> Application:
    """``http://127.0.0.1:8081`` as API root makes the bot call ``…/bot<token>/<method>``."""
    assert settings.telegram_token is not None
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    return (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .defaults(defaults)
        .build()
    )


async def on_text(update: Update, context: Context) -> None:
    await context.bot_data["bridge"].on_event(event_from_message(update.message, "text"))


async def on_other(update: Update, context: Context) -> None:
    """Stickers, photos, voice, files, locations: the core answers them politely."""
    message = update.message
    await context.bot_data["bridge"].on_event(event_from_message(message, message_kind(message)))


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    try:  # stops the button's spinner; a press older than Telegram allows is still handled
        await with_retries(query.answer, classify, context.bot_data["retry"], "answerCallbackQuery")
    except TelegramError as error:
        log.warning("could not answer a callback query: %s", error)
    event = event_from_callback(query)
    if event is not None:
        await context.bot_data["bridge"].on_event(event)


async def on_error(update: object, context: Context) -> None:
    log.error("handling a Telegram update failed", exc_info=context.error)


def add_handlers(application: Application) -> None:
    """Every handler and filter in one place; commands are text the core interprets."""
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(new_message & filters.TEXT, on_text))
    application.add_handler(MessageHandler(new_message & ~filters.TEXT, on_other))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


class PtbRuntime(TelegramRuntime):
    classify = staticmethod(classify)

    def __init__(self, settings: Settings, bridge: Bridge, retry: RetryPolicy | None = None) -> None:
        super().__init__(settings, bridge, retry)
        self.application = build_application(settings)
        self.application.bot_data.update(bridge=bridge, retry=self.retry)
        add_handlers(self.application)

    async def _send(self, chat_id: int, html_text: str, rows: Rows) -> int:
        keyboard = [[InlineKeyboardButton(label, callback_data=value) for label, value in row] for row in rows]
        markup = InlineKeyboardMarkup(keyboard) if rows else None
        sent = await self.application.bot.send_message(chat_id=chat_id, text=html_text, reply_markup=markup)
        return sent.message_id

    async def _set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> object:
        menu = [BotCommand(name, text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        return await self.application.bot.set_my_commands(menu, scope=scope)

    async def _set_webhook(self, url: str, secret_token: str) -> object:
        return await self.application.bot.set_webhook(url, secret_token=secret_token)

    async def _feed(self, update: dict[str, Any]) -> None:
        await self.application.update_queue.put(Update.de_json(update, self.application.bot))

    async def _open(self) -> None:
        await self._call(self.application.initialize, "getMe")

    async def _begin(self) -> None:
        await self.application.start()

    async def _start_polling(self) -> None:
        await self.application.updater.start_polling(timeout=POLL_SECONDS, bootstrap_retries=-1)

    async def _stop_updates(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()

    async def _close(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
