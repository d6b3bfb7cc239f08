"""The same scripts against both Telegram runtimes: the real aiogram Dispatcher and the real PTB
Application, long polling the fake Bot API server (tests/fake_bot_api.py) on 127.0.0.1, over the
real conversation core and a real SQLite log. Asserts what the user sees: texts and buttons.
The conversation scripts themselves (tests/conversation_scripts.py) run on WeChat too."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import conversation_scripts as scripts
import pytest
from fake_bot_api import NON_TEXT
from telegram_harness import STAFF_CHAT, STAFF_USER, USER, TelegramUser, running

from bot.channels.telegram.base import SLOW_DOWN
from bot.conversation.core import build_conversation
from bot.conversation.messages import Button, InboundEvent, OutMessage
from bot.records import tickets

pytestmark = pytest.mark.parametrize("runtime", ["aiogram", "ptb"])


async def test_start_registers_commands_and_shows_the_nine_topics(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        welcome = await scripts.welcome_with_the_nine_topics(TelegramUser(bot))
        assert welcome.call.params.get("parse_mode") == "HTML"
        [commands, staff] = bot.api.sent(method="setMyCommands")
        names = [c["command"] for c in commands.params["commands"]]
        assert names == ["start", "help", "menu", "region", "calc", "checklist", "cancel", "human", "subscribe", "unsubscribe"]
        assert "scope" not in commands.params  # for everyone
        assert staff.params["scope"] == {"type": "chat", "chat_id": STAFF_CHAT}
        assert [c["command"] for c in staff.params["commands"]] == ["stats", "unanswered", "top", "reload"]


async def test_a_question_gets_its_figure_sources_and_feedback_buttons(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        await scripts.figure_sources_and_feedback(TelegramUser(bot))
        answered = bot.api.sent(method="answerCallbackQuery")  # the region and the 👍 pressed
        assert len(answered) == 2 and all(c.params["callback_query_id"].startswith("cq") for c in answered)


@pytest.mark.parametrize("kind", list(NON_TEXT))
async def test_non_text_messages_get_a_polite_reply(runtime: str, kind: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        [reply] = await bot.say(None, kind=kind)
        assert "只能阅读文字消息" in reply.text and not reply.buttons()


async def test_a_reply_over_4096_characters_arrives_split(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        text = "\n".join(f"第{n}条 " + "跨境电商" * 30 for n in range(100))  # 12,390 characters
        await bot.bot.send(OutMessage(text, buttons=((Button("返回菜单", "menu"),),), chat_id=str(USER)))
        pieces = await bot.api.wait_for(4, USER)
        assert all(len(p.text) <= 4096 for p in pieces) and len(pieces) == 4
        assert "\n".join(p.text for p in pieces) == text
        assert [bool(p.buttons()) for p in pieces] == [False, False, False, True]  # keyboard under the last


async def test_user_supplied_markup_is_escaped(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        [answer] = await bot.say("<b>海外仓</b>补贴怎么申请")
        assert "<b>" not in answer.text  # no tag the user typed reaches Telegram's HTML parser
        await bot.say("转人工", name="<b>王</b> & Co")  # the name goes into the hand-off
        [handoff] = await bot.api.wait_for(1, STAFF_CHAT)
        assert "用户: &lt;b&gt;王&lt;/b&gt; &amp; Co" in handoff.text and "<b>" not in handoff.text


async def test_429_500_and_a_dropped_connection_are_retried(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        bot.api.fail("sendMessage", 429, retry_after=1)
        bot.api.fail("sendMessage", 500)
        bot.api.fail("sendMessage", "drop")
        bot.api.message("/help")
        attempts = await bot.api.wait_for(4, USER)  # three failed attempts, then the reply
        assert "使用方法" in attempts[3].text and len(bot.api.sent(USER)) == 4
        assert [a.result is None for a in attempts] == [True, True, True, False]
        assert attempts[1].at - attempts[0].at >= 0.95  # retry_after=1 honoured


async def test_flood_control_answers_once_then_stays_quiet(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path, flood_limit=3) as bot:
        for _ in range(5):
            bot.api.message("/help")
        replies = await bot.api.wait_for(4, USER)
        assert [r.text == SLOW_DOWN for r in replies] == [False, False, False, True]
        await bot.say("/help", user=2002)  # another user is served, and the flood's 5th got nothing
        assert len(bot.api.sent(USER)) == 4


async def test_hand_off_round_trip_through_the_staff_chat(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        await bot.say("海外仓补贴要什么材料")
        [told] = await bot.say("转人工")
        assert "已为您转人工，工单编号#1。" in told.text and "回复会由本机器人发给您" in told.text
        [handoff] = await bot.api.wait_for(1, STAFF_CHAT)
        assert "【转人工】" in handoff.text and "海外仓补贴要什么材料" in handoff.text
        before = len(bot.api.sent(USER))
        bot.api.message("请准备费用凭证 <原件> & 合同", user=STAFF_USER, chat=STAFF_CHAT,
                        reply_to=handoff.message_id, name="王老师")  # fmt: skip
        [relayed] = (await bot.api.wait_for(before + 1, USER))[before:]
        assert relayed.text == "人工客服回复（工单#1）：\n请准备费用凭证 &lt;原件&gt; &amp; 合同"
        [_, confirmation] = await bot.api.wait_for(2, STAFF_CHAT)
        assert "已转给用户" in confirmation.text
        rows = bot.rows("SELECT channel, answered_by FROM handoffs")
        assert rows == [{"channel": "telegram", "answered_by": "王老师"}]
        assert bot.rows("SELECT state, answered_by FROM tickets") == [{"state": "answered", "answered_by": "王老师"}]


async def test_a_staff_reply_to_a_web_user_goes_into_the_ticket_for_the_page(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        web = build_conversation(settings=bot.bot.runtime.settings, db=bot.db, recorder=bot.log)
        replies = await asyncio.to_thread(web.handle, InboundEvent("web", "sess-9", "sess-9", text="转人工"))
        for reply in replies:
            if reply.chat_id is not None:
                await bot.bot.send(reply)  # what the web app does with a message for another chat
        [handoff] = await bot.api.wait_for(1, STAFF_CHAT)
        assert "网页聊天" in handoff.text
        bot.api.message("您好,请留电话", user=STAFF_USER, chat=STAFF_CHAT, reply_to=handoff.message_id)
        await bot.api.wait_for(2, STAFF_CHAT)  # the confirmation comes after the relay
        assert bot.outbox.take("sess-9") == []  # not the memory outbox: the ticket keeps it across restarts
        [relayed] = tickets.take_pending(bot.db, "web", "sess-9")
        assert relayed.for_user() == "人工客服回复（工单#1）：\n您好,请留电话"


async def test_staff_commands_answer_only_configured_staff_in_the_staff_chat(
    runtime: str, tmp_path: Path
) -> None:
    async with running(runtime, tmp_path) as bot:
        await bot.say("海外仓补贴怎么申请")
        assert len(bot.rows("SELECT id FROM enquiries")) == 1  # written (the log lags by ~50 ms)
        bot.api.message("/stats", user=7777, chat=STAFF_CHAT)  # a stranger in the staff chat
        [stats] = await bot.say("/stats 30", user=STAFF_USER, chat=STAFF_CHAT)
        assert stats.text.startswith("📊 近30天") and "咨询1条" in stats.text
        [top] = await bot.say("/top", user=STAFF_USER, chat=STAFF_CHAT)
        assert "热门问题" in top.text or "还没有匹配到问答" in top.text
        [unanswered] = await bot.say("/unanswered", user=STAFF_USER, chat=STAFF_CHAT)
        assert "近7天" in unanswered.text
        assert len(bot.api.sent(STAFF_CHAT)) == 3  # the stranger's /stats got nothing
        [private] = await bot.say("/stats", user=STAFF_USER)  # staff, but not in the staff chat
        assert "📊" not in private.text and "没有这个命令" in private.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_refuses_a_wrong_secret_and_takes_the_right_one(runtime: str, tmp_path: Path) -> None:
    port = _free_port()
    options = {"telegram_mode": "webhook", "webhook_secret": "s3cret-token", "port": port,
               "webhook_url": "https://bot.example.invalid/tg/hook"}  # fmt: skip
    async with running(runtime, tmp_path, **options) as bot:
        [registered] = bot.api.sent(method="setWebhook")
        assert registered.params["url"] == "https://bot.example.invalid/tg/hook"
        assert registered.params["secret_token"] == "s3cret-token"
        assert not bot.api.sent(method="getUpdates")
        update = {"update_id": 7, "message": {"message_id": 5, "date": 1, "text": "/help",
                  "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "李"},
                  "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}  # fmt: skip
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with client.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with client.post(url, json=update, headers=good) as response:
                assert response.status == 200
        [reply] = await bot.api.wait_for(1, USER)
        assert "使用方法" in reply.text and len(bot.api.sent(USER)) == 1


async def test_menu_question_clarify_button_answer_and_thumbs_up(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        clarify = await scripts.menu_clarify_answer_thumbs_up(TelegramUser(bot))
        assert ("都不是，转人工", "cmd:human") in clarify.buttons


async def test_calc_resumes_after_a_restart_in_the_middle(runtime: str, tmp_path: Path) -> None:
    @asynccontextmanager
    async def session():
        async with running(runtime, tmp_path) as bot:  # a new process on the same database each time
            yield TelegramUser(bot)

    await scripts.calc_resumes_after_a_restart(session)


async def test_stopping_lets_the_message_being_handled_get_its_reply(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        bot.api.fail("sendMessage", 429, retry_after=1)
        bot.api.message("/help")
        await bot.api.wait_for(1, USER)  # the first attempt failed: the reply waits for its retry
        await bot.bot.stop()
        attempts = bot.api.sent(USER)
        assert len(attempts) == 2 and attempts[1].result is not None and "使用方法" in attempts[1].text
