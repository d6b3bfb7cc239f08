"""What is particular to the aiogram runtime: the Bot API URL it builds and how it tells a
transient Bot API error from a final one. The conversation scripts are in test_telegram_runtimes.py."""

from __future__ import annotations

from pathlib import Path

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from fake_bot_api import TOKEN
from telegram_harness import running

from bot.channels.telegram.aiogram import build_bot, classify
from bot.settings import load_settings


async def test_the_api_root_becomes_bot_token_method_urls() -> None:
    settings = load_settings(telegram_token=TOKEN, telegram_api_url="http://127.0.0.1:8081/")
    bot = build_bot(settings)
    try:
        assert bot.session.api.api_url(TOKEN, "getMe") == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"
    finally:
        await bot.session.close()


async def test_every_call_reaches_the_servers_bot_token_method_path(tmp_path: Path) -> None:
    async with running("aiogram", tmp_path) as bot:
        await bot.say("/start")
        assert {c.path for c in bot.api.calls} == {f"/bot{TOKEN}/{c.method}" for c in bot.api.calls}
        assert {"setMyCommands", "deleteWebhook", "getMe", "sendMessage"} <= {c.method for c in bot.api.calls}


def test_retry_after_server_and_network_errors_are_retried_bad_requests_not() -> None:
    method = SendMessage(chat_id=1, text="x")
    assert classify(TelegramRetryAfter(method, "Too Many Requests", retry_after=7)) == 7.0
    assert classify(TelegramServerError(method, "Internal Server Error")) == "backoff"
    assert classify(TelegramNetworkError(method, "connection reset")) == "backoff"
    assert classify(TelegramBadRequest(method, "message text is empty")) is None
