"""The helpers both Telegram runtimes share: escaping, splitting, keyboards, flood control, retries."""

from __future__ import annotations

import pytest

from bot.channels.telegram.base import (
    BOT_COMMANDS,
    MAX_MESSAGE,
    FloodControl,
    RetryPolicy,
    escape,
    keyboard_rows,
    message_kind,
    split_text,
    with_retries,
)
from bot.conversation.messages import Button


def test_escape_turns_user_markup_into_text() -> None:
    assert escape("<b>补贴</b> & 'x'") == "&lt;b&gt;补贴&lt;/b&gt; &amp; 'x'"


def test_short_text_is_one_piece() -> None:
    assert split_text("海外仓补贴\n依据:第五条") == ["海外仓补贴\n依据:第五条"]


def test_long_text_is_cut_at_line_breaks_and_nothing_is_lost() -> None:
    lines = [f"第{n}行:" + "补" * 90 for n in range(120)]  # ~11,000 characters
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(len(piece) <= MAX_MESSAGE for piece in pieces)
    assert "\n".join(pieces) == text  # every cut was at a line break
    assert all(piece.split("\n")[0].startswith("第") for piece in pieces)


def test_a_single_huge_line_is_cut_between_characters() -> None:
    pieces = split_text("字" * 9000)
    assert [len(p) for p in pieces] == [4096, 4096, 808]


def test_emoji_count_twice_toward_the_limit() -> None:
    pieces = split_text("👍" * 3000)  # 6000 UTF-16 units
    assert [len(p) for p in pieces] == [2048, 952]


def test_keyboard_rows_keep_the_layout() -> None:
    buttons = ((Button("税收", "t:tax"), Button("通关", "t:customs")), (), (Button("👍", "fb:1:x"),))
    assert keyboard_rows(buttons) == [[("税收", "t:tax"), ("通关", "t:customs")], [("👍", "fb:1:x")]]


def test_message_kind_by_attribute() -> None:
    class Message:
        text = None
        sticker = photo = voice = document = location = None

    sticker = Message()
    sticker.sticker = object()
    text = Message()
    text.text = "你好"
    assert (message_kind(sticker), message_kind(text), message_kind(Message())) == (
        "sticker",
        "text",
        "other",
    )


def test_flood_control_warns_once_then_drops_until_the_window_frees() -> None:
    now = [0.0]
    flood = FloodControl(limit=3, window=60, clock=lambda: now[0])
    assert [flood.check("u1") for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert flood.check("u2") == "ok"  # per user
    now[0] = 61.0
    assert flood.check("u1") == "ok"


def test_command_list_names_every_user_command() -> None:
    names = [name for name, _ in BOT_COMMANDS]
    assert names == ["start", "help", "menu", "region", "calc", "checklist", "cancel", "human", "subscribe", "unsubscribe"]
    assert all(0 < len(description) <= 256 for _, description in BOT_COMMANDS)


class Flaky(Exception):
    pass


async def test_retries_honour_retry_after_and_back_off() -> None:
    outcomes = [Flaky(0.05), Flaky("backoff"), "sent"]
    attempts = []

    async def call() -> str:
        attempts.append(1)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = await with_retries(call, lambda error: error.args[0], RetryPolicy(base=0.01))
    assert result == "sent" and len(attempts) == 3


async def test_an_error_a_retry_cannot_fix_is_raised_at_once() -> None:
    attempts = []

    async def call() -> str:
        attempts.append(1)
        raise Flaky(None)

    with pytest.raises(Flaky):
        await with_retries(call, lambda error: error.args[0], RetryPolicy(base=0.01))
    assert len(attempts) == 1


async def test_retries_give_up_after_the_last_attempt() -> None:
    attempts = []

    async def call() -> str:
        attempts.append(1)
        raise Flaky("backoff")

    with pytest.raises(Flaky):
        await with_retries(call, lambda error: error.args[0], RetryPolicy(attempts=3, base=0.001))
    assert len(attempts) == 3


def test_flood_control_forgets_quiet_users_when_it_tracks_many() -> None:
    now = [0.0]
    flood = FloodControl(limit=1, window=60, clock=lambda: now[0])
    flood.FORGET_AT = 3
    for user in ("a", "b", "c"):
        flood.check(user)
    now[0] = 61.0
    assert flood.check("d") == "ok" and set(flood._seen) == {"d"}


def test_a_reply_keeps_its_lines_and_bullets_and_markup_is_escaped() -> None:
    from bot.channels.telegram.base import tidy

    text = "有：按50%支持（征求意见稿，可能调整）。  \r\n• 对象：<企业>\n• 条件：A & B\n\n\n\n依据：第5条\n"
    [piece] = split_text(text)
    assert piece == "有：按50%支持（征求意见稿，可能调整）。\n• 对象：<企业>\n• 条件：A & B\n\n依据：第5条"
    assert (
        escape(piece)
        == "有：按50%支持（征求意见稿，可能调整）。\n• 对象：&lt;企业&gt;\n• 条件：A &amp; B\n\n依据：第5条"
    )
    assert tidy("一\n\n二") == "一\n\n二" and tidy("  ") == ""
