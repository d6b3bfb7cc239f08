"""The Official Account menu (自定义菜单) from the topics the web and Telegram menus show
(bot/conversation/flows/menu.py): WeChat allows three top-level buttons of up to five entries each, so the
topics fill 「政策主题」 (and 「更多主题」 with the region choice and the help), the tools go
under 「办事服务」. A click sends the entry's key, which is the same button value the other
channels' buttons carry, so the conversation core answers it the same way."""

from __future__ import annotations

from bot.conversation.flows.menu import REGION_BUTTON, menu_buttons
from bot.conversation.messages import Button
from bot.conversation.turn import command_button
from bot.conversation.vocabulary import Command, Prefix, has_prefix

PER_GROUP = 5
TOP_BYTES = 16  # WeChat's limits on a name, in UTF-8 bytes
ENTRY_BYTES = 60
KEY_BYTES = 128


def _group(name: str, buttons: list[Button]) -> dict:
    if len(name.encode()) > TOP_BYTES:
        raise ValueError(f"menu name {name!r} is longer than {TOP_BYTES} bytes")
    entries = []
    for button in buttons:
        if len(button.label.encode()) > ENTRY_BYTES or len(button.value.encode()) > KEY_BYTES:
            raise ValueError(f"menu entry {button.label!r} is too long for WeChat")
        entries.append({"type": "click", "name": button.label, "key": button.value})
    return {"name": name, "sub_button": entries}


def official_account_menu() -> dict:
    """The body of WeChat's menu/create call."""
    buttons = [button for row in menu_buttons() for button in row]
    topics = [b for b in buttons if has_prefix(b.value, Prefix.TOPIC)]
    tools = [b for b in buttons if not has_prefix(b.value, Prefix.TOPIC)]
    extra = [command_button(REGION_BUTTON, Command.REGION), command_button("使用说明", Command.HELP)]
    more = topics[PER_GROUP:] + extra
    if len(more) > PER_GROUP or len(tools) > PER_GROUP:
        raise ValueError("too many topics or tools for WeChat's menu of 3 × 5 entries")
    return {"button": [_group("政策主题", topics[:PER_GROUP]), _group("更多主题", more), _group("办事服务", tools)]}
