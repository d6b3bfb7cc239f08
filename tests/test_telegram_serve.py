"""`cbec-bot serve` with CBEC_TELEGRAM_TOKEN runs the bot in the same process: a web user's
hand-off reaches the staff chat on Telegram (the fake Bot API server), the staff member's reply
comes back to the web chat, Telegram users are answered, and SIGTERM still stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fake_bot_api import TOKEN, FakeBotApi

STRONG = "a-secret-of-more-than-32-bytes-for-tests"
ROOT = Path(__file__).resolve().parent.parent
# `cbec-bot`, run on this checkout's code (the installed script may run another checkout's)
CLI = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]
STAFF_CHAT, STAFF_USER = -1005555, 42


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _healthy(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.returncode is None, "the server stopped"
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the server did not come up")


async def test_serve_relays_between_the_web_chat_and_the_telegram_staff_chat(tmp_path: Path) -> None:
    api = await FakeBotApi().start()
    port = _free_port()
    env = {**os.environ, "CBEC_DB": str(tmp_path / "serve.db"), "CBEC_PORT": str(port), "PYTHONPATH": str(ROOT),
           "CBEC_TELEGRAM_TOKEN": TOKEN, "CBEC_TELEGRAM_API_URL": api.url, "CBEC_SECRET": STRONG,
           "CBEC_STAFF_CHAT_ID": str(STAFF_CHAT), "CBEC_STAFF_USER_IDS": str(STAFF_USER)}  # fmt: skip
    errors = open(tmp_path / "serve.err", "w")  # noqa: SIM115 - closed below
    process = await asyncio.create_subprocess_exec(
        *CLI, "serve", env=env, stdout=subprocess.DEVNULL, stderr=errors
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _healthy(client, process)
            await api.wait_for(1, method="setMyCommands", timeout=30)
            chat = await client.post("/api/chat", json={"session": "web-session-7", "text": "转人工"})
            assert any("已为您转人工，工单编号#1。" in reply["text"] for reply in chat.json()["replies"])
            [handoff] = await api.wait_for(1, STAFF_CHAT)
            assert "网页聊天" in handoff.text

            api.message("您好,请准备费用凭证", user=STAFF_USER, chat=STAFF_CHAT, reply_to=handoff.message_id)
            await api.wait_for(2, STAFF_CHAT)  # "已转给用户" comes after the relay
            poll = await client.post("/api/chat/poll", json={"session": "web-session-7"})
            assert [r["text"] for r in poll.json()["replies"]] == ["人工客服回复（工单#1）：\n您好,请准备费用凭证"]

            api.message("/start")  # and Telegram users are served by the same process
            [welcome] = await api.wait_for(1, 1001)
            assert "我是跨境电商政策助手" in welcome.text

            # A Telegram user's ticket answered with the CLI: the bot delivers it, and the staff chat sees it
            api.message("转人工")
            [_, told] = await api.wait_for(2, 1001)
            assert "工单编号#2" in told.text and "回复会由本机器人发给您" in told.text
            await api.wait_for(3, STAFF_CHAT)  # the 【转人工】 notice of ticket #2
            reply = await asyncio.create_subprocess_exec(
                *CLI, "handoff", "reply", "2", "您好，这是命令行的回复。", "--as", "李老师", env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            _, stderr = await reply.communicate()
            assert reply.returncode == 0, stderr
            started = time.monotonic()
            delivered = (await api.wait_for(3, 1001, timeout=5))[2]
            assert delivered.text == "人工客服回复（工单#2）：\n您好，这是命令行的回复。"
            assert time.monotonic() - started < 5
            mirrored = (await api.wait_for(4, STAFF_CHAT, timeout=5))[3]
            assert "【已回复】工单#2" in mirrored.text and "李老师" in mirrored.text and "命令行的回复" in mirrored.text

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        errors.close()
        await api.stop()
