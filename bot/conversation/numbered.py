"""Buttons for channels that have none (a WeChat Official Account's passive text reply).

Every button of a reply becomes a numbered line under its text, 「回复1：海外仓补贴怎么申请」,
and the user's next message "1" presses it: the core turns the digit back into the button's
value before routing, so the flows never know the difference. The numbers are kept in the
user's state (``UserState.numbered``), so they hold across a restart; each reply renumbers.
A "查看更多" line comes last, so that the runners-up keep the numbers a question back names
(1, 2, 3, as the 「2」 reply to a clarify already means on every channel).
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation.messages import InboundEvent, OutMessage
from bot.conversation.state import UserState
from bot.conversation.vocabulary import Prefix, has_prefix

TEXT_ONLY = frozenset({"wechat"})
PICK = re.compile(r"^\s*(\d{1,2})\s*[.。、]?\s*$")
LINE = "回复{n}：{label}"


def pressed(state: UserState, event: InboundEvent) -> InboundEvent:
    """The event as the button press a digit names, or unchanged (any other text, or a number
    the last reply did not offer, e.g. an amount typed into the calculator)."""
    if event.kind != "text" or not state.numbered:
        return event
    picked = PICK.match(event.text or "")
    value = state.numbered.get(picked.group(1).lstrip("0")) if picked else None
    if value is None:
        return event
    return replace(event, kind="button", button=value, text=None)


def number(state: UserState, replies: list[OutMessage]) -> list[OutMessage]:
    """The replies to the user with their buttons as numbered lines (numbering runs on across
    the replies of one turn); the numbers are remembered in ``state``. Messages for other
    chats pass unchanged."""
    numbered: dict[str, str] = {}
    out = []
    for reply in replies:
        if reply.chat_id is not None or not reply.buttons:
            out.append(reply)
            continue
        buttons = [button for row in reply.buttons for button in row]
        buttons.sort(key=lambda button: has_prefix(button.value, Prefix.MORE))  # 查看更多 last
        lines = []
        for button in buttons:
            n = str(len(numbered) + 1)
            numbered[n] = button.value
            lines.append(LINE.format(n=n, label=button.label))
        out.append(replace(reply, text=f"{reply.text.rstrip()}\n" + "\n".join(lines), buttons=()))
    state.numbered = numbered
    return out
