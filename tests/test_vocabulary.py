"""The vocabulary (bot/conversation/vocabulary.py): one command list that the core, /help and
Telegram's command menu all follow, one command parser, one set of button prefixes."""

from __future__ import annotations

import pytest

from bot.channels.telegram.base import BOT_COMMANDS, STAFF_COMMANDS
from bot.conversation import core
from bot.conversation.flows import menu
from bot.conversation.vocabulary import (
    HELP_ORDER,
    USER_COMMANDS,
    Prefix,
    button_value,
    command_named,
    parse_button,
    parse_command,
)
from bot.conversation.vocabulary import (
    STAFF_COMMANDS as STAFF_INFO,
)


def test_every_user_command_has_a_handler_and_a_place_in_help() -> None:
    users = {info.command for info in USER_COMMANDS}
    assert set(core.HANDLERS) == users
    assert set(HELP_ORDER) == users - {"start"}
    assert "/region 选择地区，/menu 主题菜单，/calc 补贴测算" in menu.HELP  # as /help has always read
    assert all(f"/{command} " in menu.HELP for command in HELP_ORDER)


def test_telegram_menus_come_from_the_vocabulary() -> None:
    assert [name for name, _ in BOT_COMMANDS] == [info.command for info in USER_COMMANDS]
    assert [name for name, _ in STAFF_COMMANDS] == ["stats", "unanswered", "top", "reload"] == [i.command for i in STAFF_INFO]


def test_every_button_prefix_is_routed() -> None:
    assert set(core.BUTTONS) == set(Prefix)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/Stats@cbec_bot 30", ("stats", "30")),
        ("/region sichuan", ("region", "sichuan")),
        ("  /help", ("help", "")),
        ("帮助 /help", None),
        ("", None),
        (None, None),
    ],
)
def test_one_command_parser(text: str | None, parsed: tuple[str, str] | None) -> None:
    assert parse_command(text) == parsed


def test_user_and_staff_commands_are_kept_apart() -> None:
    assert command_named("stats") is None and command_named("stats", staff=True) == "stats"
    assert command_named("calc") == "calc" and command_named("calc", staff=True) is None


def test_button_values_round_trip() -> None:
    value = button_value(Prefix.FEEDBACK, "+", "ab12cd34")
    assert value == "fb:+:ab12cd34"
    assert parse_button(value) == ("fb", "+:ab12cd34")
    assert parse_button(Prefix.MENU.value) == ("menu", "")
