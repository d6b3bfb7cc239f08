"""`cbec-bot telegram` as a real process against the fake Bot API server: it answers a message,
and SIGTERM stops it within seconds, exit status 0, with the enquiry written to the log."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_bot_api import TOKEN, FakeBotApi

STRONG = "a-secret-of-more-than-32-bytes-for-tests"

CLI = str(Path(sys.executable).with_name("cbec-bot"))


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_the_command_holds_a_conversation_and_stops_on_sigterm(runtime: str, tmp_path: Path) -> None:
    api = await FakeBotApi().start()
    database = tmp_path / "bot.storage.sqlite"
    env = {**os.environ, "CBEC_DB": str(database), "CBEC_TELEGRAM_TOKEN": TOKEN, "CBEC_TELEGRAM_API_URL": api.url, "CBEC_SECRET": STRONG,
           "CBEC_TELEGRAM_RUNTIME": runtime}  # fmt: skip
    errors = open(tmp_path / "telegram.err", "w")  # noqa: SIM115 - closed below
    process = await asyncio.create_subprocess_exec(
        CLI, "telegram", env=env, stdout=subprocess.DEVNULL, stderr=errors
    )
    try:
        await api.wait_for(1, method="setMyCommands", timeout=60)
        api.message("海外仓去年花了80万，高新区能补多少")
        [answer] = await api.wait_for(1, 1001, timeout=30)
        assert "海外仓" in answer.text and any(label.startswith("👍") for label, _ in answer.buttons())

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
        assert code == 0 and time.monotonic() - started < 5
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT channel, text FROM enquiries").fetchall()
        assert rows == [("telegram", "海外仓去年花了80万，高新区能补多少")]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        errors.close()
        await api.stop()


def test_without_a_token_it_says_so_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run([CLI, "telegram"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CBEC_TELEGRAM_TOKEN is not set" in result.stderr


def test_webhook_mode_without_a_secret_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "CBEC_TELEGRAM_TOKEN": TOKEN}
    result = subprocess.run(
        [CLI, "telegram", "--mode", "webhook"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "CBEC_WEBHOOK_SECRET" in result.stderr


async def test_a_token_the_server_refuses_stops_it_with_a_clear_error(tmp_path: Path) -> None:
    api = await FakeBotApi().start()
    env = {**os.environ, "CBEC_TELEGRAM_TOKEN": "999:not-the-right-token", "CBEC_TELEGRAM_API_URL": api.url, "CBEC_SECRET": STRONG}
    try:
        process = await asyncio.create_subprocess_exec(
            CLI, "telegram", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 1 and "the bot could not start" in errors.decode()
    finally:
        await api.stop()
