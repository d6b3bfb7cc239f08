"""A Telegram runtime (aiogram or PTB) running for real against the fake Bot API server, over
the real conversation core, a real SQLite file and the real enquiry log."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fake_bot_api import TOKEN, FakeBotApi

from bot.db import Database
from bot.log import EnquiryLog
from bot.settings import load_settings
from bot.telegram_common import RetryPolicy
from bot.telegram_runtime import TelegramBot, start
from bot.web.outbox import Outbox

STAFF_CHAT = -1001234
STAFF_USER = 42
USER = 1001
FAST_RETRY = RetryPolicy(attempts=5, base=0.05, cap=0.5)


class Running:
    def __init__(
        self, api: FakeBotApi, bot: TelegramBot, db: Database, log: EnquiryLog, outbox: Outbox
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
    db = Database(config.db)
    log = EnquiryLog(db, config.secret.get_secret_value())
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
        log.close()
        db.close()
        await api.stop()
