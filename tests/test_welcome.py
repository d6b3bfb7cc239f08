"""The welcome (/start, and the web chat's first message) and /help: what the assistant can do,
in words and in buttons, with a region button; the slash commands still work but are /help's
content, not the welcome's. Full-width punctuation throughout."""

from __future__ import annotations

import re

from conversation_driver import Chat

from bot.conversation.flows import menu

CJK = r"[\u4e00-\u9fff]"
HALF_WIDTH = re.compile(rf"{CJK}[,.:;!?()]|[,.:;!?()]{CJK}")  # 「您好!」「依据:」「(当前」
SPACED = re.compile(rf"{CJK} +{CJK}")


def plain_rules(text: str) -> None:
    assert not HALF_WIDTH.search(text), HALF_WIDTH.search(text)
    assert not SPACED.search(text), SPACED.search(text)


def test_the_welcome_says_in_words_what_it_can_do() -> None:
    lines = menu.WELCOME.split("\n")
    assert lines[0].startswith("您好！我是跨境电商政策助手")
    bullets = [line for line in lines if line.startswith("• ")]
    assert [line.split("：")[0] for line in bullets] == [
        "• 解答政策问题",
        "• 测算补贴金额",
        "• 列出办事清单",
        "• 转人工",
    ]
    assert "/" not in menu.WELCOME  # no slash commands in the welcome
    assert "选择地区" in lines[-1]
    assert "征求意见稿" in menu.WELCOME  # it names the 高新区 policy, so it says it is a draft
    plain_rules(menu.WELCOME)
    assert all(len(line) <= 60 for line in lines)  # short lines on a phone


def test_start_has_a_region_button_and_the_tools_as_buttons(chat: Chat) -> None:
    chat.say("/start")
    assert chat.text == menu.WELCOME
    [first, *rest] = chat.last[0].buttons
    assert [(b.label, b.value) for b in first] == [("选择地区", "cmd:region")]
    values = [b.value for row in rest for b in row]
    assert {"cmd:calc", "cmd:checklist", "cmd:human"} <= set(values)
    assert sum(v.startswith("t:") for v in values) == len(menu.TOPICS)
    chat.press("选择地区")
    assert "请选择企业所在地区（当前：未选择）" in chat.text
    chat.press("四川")
    chat.say("/start")
    assert chat.labels()[0] == "地区：四川"  # the place the answers assume, and a way to change it


def test_every_welcome_button_answers(chat: Chat) -> None:
    chat.say("/start")
    labels = chat.labels()
    for label in labels:
        chat.say("/start")
        chat.press(label)
        assert chat.text and "没有这个命令" not in chat.text, label
        assert chat.text != menu.WELCOME, label
    chat.say("/cancel")


def test_slash_commands_still_work_and_help_lists_them(chat: Chat) -> None:
    chat.say("/help")
    assert chat.text.startswith("使用方法：") and chat.labels()[0] == "选择地区"
    for command in ("/region", "/menu", "/calc", "/checklist", "/human", "/cancel", "/help"):
        assert command in chat.text
    plain_rules(chat.text)
    chat.say("/menu")
    assert chat.text == "请选择主题：" and "补贴测算" in chat.labels()
    chat.say("/region")
    assert chat.labels()[:2] == ["大连高新区", "辽宁其他地区"]
    chat.say("/calc")
    assert "补贴测算" in chat.text
    chat.say("/cancel")
    assert "已取消测算" in chat.text


def test_menu_texts_use_full_width_punctuation(chat: Chat) -> None:
    for say in ("/start", "/help", "/menu", "/region", "/checklist"):
        chat.say(say)
        plain_rules(chat.text if say != "/checklist" else chat.text.split("\n")[0])
    chat.say("/start")
    chat.press("海外仓")
    plain_rules(chat.text)
