"""Conversation scripts every channel must pass with the same answers: the Telegram runtimes
(tests/test_telegram_runtimes.py, through the fake Bot API) and the WeChat Official Account
(tests/test_wechat.py, through the fake WeChat server). A script talks to a ``User``: what a
person on that channel does (type a text, press a button by its label; on WeChat pressing
is replying the number of its line) and sees (the reply texts and button labels).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

TOPICS = ["补贴申报", "税收", "通关", "海外仓", "外汇金融", "品牌与知识产权", "补贴测算", "办事清单", "转人工"]
NOT_SUGGESTIONS = ("都不是，转人工", "返回菜单", "查看更多")


class Reply(Protocol):
    text: str

    def labels(self) -> list[str]: ...


class User(Protocol):
    channel: str

    async def say(self, text: str) -> list[Reply]: ...

    async def press(self, label: str) -> list[Reply]: ...

    async def rows(self, sql: str, params: tuple = ()) -> list[dict]: ...


async def welcome_with_the_nine_topics(user: User) -> Reply:
    [welcome] = await user.say("/start")
    assert "我是跨境电商政策助手" in welcome.text
    assert welcome.labels() == ["选择地区", *TOPICS]
    return welcome


async def figure_sources_and_feedback(user: User) -> Reply:
    """A question with an amount in the region chosen: the figure, the basis in words (no
    raw ids), 👍/👎; the thumbs-up is recorded against the enquiry, on the user's channel."""
    await user.say("/region")
    await user.press("大连高新区")
    [answer] = await user.say("海外仓花了80万能补多少")
    assert "40万" in answer.text and "依据：《大连高新区" in answer.text and "征求意见稿" in answer.text
    assert "dalian-gxq-2026" not in answer.text
    assert "👍 有帮助" in answer.labels() and "👎 没帮助" in answer.labels()
    [thanks] = await user.press("👍 有帮助")
    assert "谢谢您的反馈" in thanks.text
    rows = await user.rows("SELECT channel, region, text, intent FROM enquiries")
    assert rows == [{"channel": user.channel, "region": "dalian-gxq", "text": "海外仓花了80万能补多少",
                     "intent": rows[0]["intent"]}] and rows[0]["intent"]  # fmt: skip
    assert await user.rows("SELECT value, channel FROM feedback") == [{"value": 1, "channel": user.channel}]
    return answer


async def menu_clarify_answer_thumbs_up(user: User) -> Reply:
    """A topic from the menu, a question that needs a question back, one of its readings
    chosen, answered from that place's document, and a thumbs-up."""
    await user.say("/start")
    [topic] = await user.press("海外仓")
    assert "「海外仓」常见问题" in topic.text and len(topic.labels()) >= 2
    [clarify] = await user.say("品牌补贴")  # three readings (离境即退税 is now answered directly)
    assert clarify.text.startswith("您问的是「") and "还是「" in clarify.text
    suggestions = [label for label in clarify.labels() if label not in NOT_SUGGESTIONS]
    assert len(suggestions) >= 2 and "都不是，转人工" in clarify.labels()
    [answer] = await user.press(suggestions[1])
    place = suggestions[1][:2]  # 高新…, 辽宁…: the reading chosen, answered from its place's document
    assert "依据" in answer.text and place in answer.text.split("依据")[1] and "-2026:" not in answer.text
    [thanks] = await user.press("👍 有帮助")
    assert "谢谢您的反馈" in thanks.text
    assert await user.rows("SELECT value FROM feedback") == [{"value": 1}]
    return clarify


async def calc_resumes_after_a_restart(session: Callable[[], AbstractAsyncContextManager[User]]) -> None:
    """``session()`` starts the channel (a new process on the same database each time)."""
    async with session() as user:
        await user.say("/calc")
        [picked] = await user.press("海外仓储配套设施建设、使用及运营")
        [ask] = await user.press("完成")
        assert "请输入金额" in ask.text and not ask.labels()
    async with session() as user:
        [result] = await user.say("八十万元")
        assert "80万元 × 50% = 40万元" in result.text and "征求意见稿" in result.text
        assert await user.rows("SELECT kind, total FROM calculations") == [{"kind": "subsidy", "total": 400000.0}]
