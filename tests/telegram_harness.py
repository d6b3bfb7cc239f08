"""A Telegram runtime (aiogram or PTB) running for real against the fake Bot API server, over
the real conversation core, a real SQLite file and the real enquiry log."""

from __future__ import annotations

import contextlib
import html
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fake_bot_api import TOKEN, FakeBotApi

from bot.channels.telegram.base import RetryPolicy
from bot.channels.telegram.runtime import TelegramBot, start
from bot.channels.web.outbox import Outbox
from bot.records.enquiry_log import EnquiryLog
from bot.settings import load_settings
from bot.storage import open_storage
from bot.storage.base import Storage

STAFF_CHAT = -1001234
STAFF_USER = 42
USER = 1001
FAST_RETRY = RetryPolicy(attempts=5, base=0.05, cap=0.5)


class Running:
    def __init__(
        self, api: FakeBotApi, bot: TelegramBot, db: Storage, log: EnquiryLog, outbox: Outbox
    ) -> None:
        self.api, self.bot, self.db, self.log, self.outbox = api, bot, db, log, outbox
        self.settings: Any = None

    async def say(self, text: str, count: int = 1, **fields: Any) -> list[Any]:
        """Send ``text`` as the user; the next ``count`` messages the bot sends to that chat."""
        chat = fields.get("chat", fields.get("user", USER))
        before = len(self.api.sent(chat))
        self.api.message(text, **fields)
        return (await self.api.wait_for(before + count, chat))[before:]

    async def press(self, data: str, count: int = 1, user: int = USER) -> list[Any]:
        before = len(self.api.sent(user))
        self.api.press(data, user=user)
        return (await self.api.wait_for(before + count, user))[before:]

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        self.log.flush()
        self.db.flush()
        return self.db.query(sql, params)


@asynccontextmanager
async def running(runtime: str, tmp_path: Path, **settings: Any):
    api = await FakeBotApi().start()
    options = {"db": tmp_path / "cbec.db", "telegram_token": TOKEN, "telegram_api_url": api.url,
               "telegram_runtime": runtime, "staff_chat_id": STAFF_CHAT, "staff_user_ids": str(STAFF_USER),
               **settings}  # fmt: skip
    config = load_settings(**options)
    opened = contextlib.ExitStack()
    db = opened.enter_context(open_storage(config))
    log = opened.enter_context(EnquiryLog(db, config.secret.get_secret_value()))
    outbox = Outbox()
    bot = None
    try:
        bot = await start(config, db, log, outbox, webhook_port=settings.get("port"), retry=FAST_RETRY)
        handle = Running(api, bot, db, log, outbox)
        handle.settings = config  # what the bot runs with (its secret: pseudonymous keys)
        yield handle
    finally:
        if bot is not None:
            await bot.stop()
        opened.close()
        await api.stop()


class TelegramReply:
    """A message the bot sent, as tests/conversation_scripts.py reads it."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.text = html.unescape(call.text)  # the HTML parse mode's escaping undone: what the user reads
        self.buttons = call.buttons()

    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]


class TelegramUser:
    """The user of tests/conversation_scripts.py on a running Telegram bot: presses a button of
    the last reply by its label (the bot gets its callback data)."""

    channel = "telegram"

    def __init__(self, bot: Running) -> None:
        self.bot = bot
        self.last: list[TelegramReply] = []

    async def say(self, text: str) -> list[TelegramReply]:
        self.last = [TelegramReply(call) for call in await self.bot.say(text)]
        return self.last

    async def press(self, label: str) -> list[TelegramReply]:
        values = [value for reply in self.last for shown, value in reply.buttons if shown == label]
        assert values, f"no button {label!r} in {[r.labels() for r in self.last]}"
        self.last = [TelegramReply(call) for call in await self.bot.press(values[0])]
        return self.last

    async def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        return self.bot.rows(sql, params)
