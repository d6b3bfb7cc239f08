"""Hand-off through the conversation core: to the staff chat and back, the plain notice when
no staff chat is configured, and staff commands for configured staff only."""

from __future__ import annotations

from pathlib import Path

from conversation_driver import STAFF_CHAT, STAFF_USER, Chat

from bot.conversation.messages import InboundEvent
from bot.records import tickets


def test_without_a_staff_chat_the_handoff_is_a_ticket_and_promises_only_what_is_true(db_target) -> None:
    chat = Chat(db_target)
    try:
        chat.say("/region")
        chat.press("大连高新区")
        chat.say("海外仓补贴怎么申请")
        chat.say("/human")
        assert "没有配置人工客服通道" not in chat.text and "尽快" not in chat.text
        assert "已为您转人工，工单编号#1。" in chat.text and "无法告诉您确切的回复时间" in chat.text
        assert "高新区投资促进局" in chat.text and "同一浏览器再打开本页" in chat.text
        assert all(m.chat_id is None and m.relay_key is None for m in chat.last)
        assert [b.label for b in chat.buttons()] == ["留下电话，请工作人员回电", "返回菜单"]
        [ticket] = chat.rows("SELECT * FROM tickets")
        assert (ticket["channel"], ticket["region"], ticket["state"]) == ("web", "dalian-gxq", "open")
        assert "海外仓补贴怎么申请" in ticket["transcript"] and ticket["intents"] != "[]"
        chat.say("转人工")  # asked again: the same ticket
        assert "已经转给工作人员（工单#1）" in chat.text
        assert chat.rows("SELECT count(*) AS n FROM tickets") == [{"n": 1}]
    finally:
        chat.close()


def test_a_staff_chat_without_a_telegram_bot_to_reach_it_is_not_promised(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "cbec.db", staff_chat_id=STAFF_CHAT, telegram_token=None)
    try:
        chat.say("/human")
        assert "工单编号#1" in chat.text and all(m.chat_id is None for m in chat.last)
    finally:
        chat.close()


def test_round_trip_through_the_staff_chat_to_a_web_user(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "cbec.db", channel="web", user="web-session-1", staff_chat_id=STAFF_CHAT)
    try:
        chat.say("我们公司在高新区,海外仓补贴怎么申请")
        chat.say("我的电话是13812345678")
        chat.say("转人工")
        to_staff, told = chat.last
        assert (to_staff.chat_id, to_staff.channel) == (str(STAFF_CHAT), "telegram") and to_staff.relay_key
        assert "网页聊天" in to_staff.text and "海外仓补贴怎么申请" in to_staff.text
        assert "13812345678" not in to_staff.text and "[手机号]" in to_staff.text
        assert told.chat_id is None and "工单编号#1" in told.text and "工单#1" in to_staff.text
        chat.conversation.forwarded(to_staff.relay_key, "9001")  # the adapter sent it as message 9001
        chat.say("/human")  # asked again: no second hand-off
        assert "已经转给工作人员" in chat.text and all(m.chat_id is None for m in chat.last)

        chat.say("海外仓去年花了80万，高新区能补多少")  # answered, and the staff see it too
        answer, added = chat.last
        assert answer.chat_id is None and "依据" in answer.text
        assert (
            added.relay_key == to_staff.relay_key and "【补充】" in added.text and "能补多少" in added.text
        )
        chat.conversation.forwarded(added.relay_key, "9002")

        chat.staff_reply("您好,海外仓补贴请准备费用凭证,向高新区投资促进局申报。", to_message_id="9002")
        [confirmation] = chat.last  # the web page collects the reply from the ticket (its poll)
        assert confirmation.chat_id is None and "已转给用户（工单#1）" in confirmation.text
        [pending] = tickets.take_pending(chat.db, "web", "web-session-1")
        assert pending.for_user() == "人工客服回复（工单#1）：\n您好,海外仓补贴请准备费用凭证,向高新区投资促进局申报。"
        assert tickets.take_pending(chat.db, "web", "web-session-1") == []  # delivered once
        [ticket] = chat.rows("SELECT state, answered_by FROM tickets")
        assert ticket == {"state": "answered", "answered_by": "王老师"}
        thread = chat.rows("SELECT author, text FROM ticket_messages ORDER BY id")
        assert [m["author"] for m in thread] == ["user", "staff"] and "能补多少" in thread[0]["text"]
        rows = chat.rows("SELECT id, channel, summary, answered_by, answered_at FROM handoffs")
        assert len(rows) == 1 and rows[0]["id"] == to_staff.relay_key and rows[0]["channel"] == "web"
        assert rows[0]["answered_by"] == "王老师" and rows[0]["answered_at"]
        assert "13812345678" not in rows[0]["summary"]
        chat.staff_reply("另外,申报截止时间以通知为准。", to_message_id="9001")  # the first message works too
        assert "已转给用户" in chat.last[0].text and len(tickets.take_pending(chat.db, "web", "web-session-1")) == 1
    finally:
        chat.close()
    assert b"13812345678" not in (tmp_path / "cbec.db").read_bytes()


def test_handoff_from_a_suggestion_button_and_relay_back_to_telegram(db_target) -> None:
    chat = Chat(db_target, channel="telegram", user="555", staff_chat_id=STAFF_CHAT)
    try:
        chat.say("今天天气怎么样")
        chat.press("转人工")
        to_staff = chat.last[0]
        assert to_staff.relay_key and "Telegram" in to_staff.text and "今天天气怎么样" in to_staff.text
        chat.conversation.forwarded(to_staff.relay_key, "77")
        chat.staff_reply("这个问题我们不负责,抱歉。", to_message_id="77")
        assert (chat.last[0].chat_id, chat.last[0].channel) == ("555", "telegram")
        assert chat.last[0].text == "人工客服回复（工单#1）：\n这个问题我们不负责,抱歉。"
        assert tickets.take_pending(chat.db, "telegram") == []  # handed over directly, not twice
        # staff talking among themselves, or replying to something else, is left alone
        chat.staff_reply("收到", to_message_id="78")
        assert chat.last == []
        chat.send(InboundEvent("telegram", str(STAFF_USER), str(STAFF_CHAT), text="大家好"))
        assert chat.last == []
    finally:
        chat.close()


def test_staff_commands_only_for_configured_staff_in_the_staff_chat(db_target) -> None:
    chat = Chat(db_target, staff_chat_id=STAFF_CHAT, staff_user_ids=str(STAFF_USER))
    try:
        chat.say("跨境电商出口怎么退税")
        chat.rows("SELECT 1")  # written
        chat.send(InboundEvent("telegram", str(STAFF_USER), str(STAFF_CHAT), text="/stats 30"))
        assert "咨询1条" in chat.last[0].text
        chat.send(InboundEvent("telegram", str(STAFF_USER), str(STAFF_CHAT), text="/top"))
        assert chat.last and chat.last[0].text
        chat.send(InboundEvent("telegram", "999", str(STAFF_CHAT), text="/stats"))
        assert chat.last == []  # not staff: no figures
        chat.send(InboundEvent("telegram", str(STAFF_USER), str(STAFF_USER), text="/stats"))
        assert "没有这个命令" in chat.text  # a private chat is not the staff chat
    finally:
        chat.close()


def test_additions_go_to_the_staff_only_while_the_handoff_is_open(db_target) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.conversation.core import Conversation

    now = [datetime(2026, 11, 23, 9, 0, tzinfo=UTC)]
    chat = Chat(db_target, staff_chat_id=STAFF_CHAT)
    try:
        chat.conversation = Conversation(chat.settings, chat.db, chat.log, clock=lambda: now[0])
        chat.say("/human")
        assert chat.last[0].relay_key
        now[0] += timedelta(minutes=90)
        chat.say("还有一个问题:9610是什么")
        assert [m.chat_id for m in chat.last] == [None, str(STAFF_CHAT)]
        now[0] += timedelta(hours=1)  # two and a half hours after: closed
        chat.say("9710是什么")
        assert [m.chat_id for m in chat.last] == [None]
        chat.say("转人工")  # the ticket is still open: the same one, and additions reach the staff again
        assert [m.chat_id for m in chat.last] == [None] and "已经转给工作人员（工单#1）" in chat.text
        chat.say("9810是什么")
        assert [m.chat_id for m in chat.last] == [None, str(STAFF_CHAT)]
        assert chat.rows("SELECT count(*) AS n FROM tickets") == [{"n": 1}]
        assert chat.rows("SELECT count(*) AS n FROM handoffs") == [{"n": 1}]
    finally:
        chat.close()


def test_staff_stats_count_today_in_china_after_midnight_there(db_target) -> None:
    # 16:30 UTC is 00:30 the next day in China: the figures run to that day (an enquiry made then
    # is stamped with it), not to the UTC date
    from datetime import UTC, datetime

    chat = Chat(db_target, staff_chat_id=STAFF_CHAT, staff_user_ids=str(STAFF_USER))
    chat.conversation.services.now = lambda: datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    try:
        chat.send(InboundEvent("telegram", str(STAFF_USER), str(STAFF_CHAT), text="/stats 7"))
        assert "近7天（11-25—12-01）" in chat.last[0].text
    finally:
        chat.close()
