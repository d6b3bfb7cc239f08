"""What is particular to the python-telegram-bot runtime: the Bot API URL it builds and how it
tells a transient Bot API error from a final one. The conversation scripts are in
test_telegram_runtimes.py."""

from __future__ import annotations

from pathlib import Path

from fake_bot_api import TOKEN
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram_harness import running

from bot.channels.telegram.ptb import build_application, classify
from bot.settings import load_settings


def test_the_api_root_becomes_bot_token_method_urls() -> None:
    settings = load_settings(
        telegram_token=TOKEN, telegram_api_url="http://127.0.0.1:8081/", telegram_runtime="ptb"
    )
    application = build_application(settings)
    assert application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"


async def test_every_call_reaches_the_servers_bot_token_method_path(tmp_path: Path) -> None:
    async with running("ptb", tmp_path) as bot:
        await bot.say("/start")
        assert {c.path for c in bot.api.calls} == {f"/bot{TOKEN}/{c.method}" for c in bot.api.calls}
        assert {"setMyCommands", "deleteWebhook", "getMe", "sendMessage"} <= {c.method for c in bot.api.calls}


def test_retry_after_server_and_network_errors_are_retried_bad_requests_not() -> None:
    assert classify(RetryAfter(7)) == 7.0
    assert classify(NetworkError("Internal Server Error (500)")) == "backoff"
    assert classify(TimedOut()) == "backoff"
    assert classify(BadRequest("Message text is empty")) is None
    assert classify(Forbidden("bot was blocked by the user")) is None
