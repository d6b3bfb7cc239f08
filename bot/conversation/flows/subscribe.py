"""/subscribe, /unsubscribe and the 订阅更新 button: follow topics or regions for policy updates.

The same on every channel (Telegram, the web chat's 订阅更新 button, the terminal): the user
picks a topic or a region from buttons (or names it: 「/subscribe 海外仓」); one tap on 「退订」
or /unsubscribe ends every subscription. Only the pseudonymous user key is stored, and for
Telegram the chat to deliver to, encrypted (bot/conversation/subscriptions.py).
"""

from __future__ import annotations

from bot.conversation.messages import Button, OutMessage
from bot.conversation.subscriptions import Subscriptions, all_topics, topic_label
from bot.conversation.turn import MENU_BUTTON, Turn, message, rows
from bot.conversation.vocabulary import Prefix, button_value

INTRO = (
    "订阅政策更新：您关注的主题或地区的政策有实质变化（答复更新、新文件、新版本、过期）时，"
    "我们每天最多发送一条摘要。请选择主题或地区："
)
OFF = Button("退订全部", button_value(Prefix.SUBSCRIBE, "off"))


def _store(turn: Turn) -> Subscriptions:
    return Subscriptions(turn.services.db, turn.services.settings.secret.get_secret_value())


def _channel(turn: Turn) -> str | None:
    return turn.event.channel if turn.event.channel in ("telegram", "web") else None


def menu(turn: Turn, argument: str = "") -> list[OutMessage]:
    """/subscribe [主题]: subscribe at once to a named topic or region, else offer them all."""
    if _channel(turn) is None:
        return [message("订阅政策更新可在 Telegram 或网页对话中使用。")]
    wanted = argument.strip()
    if wanted:
        for topic in all_topics():
            if wanted in (topic_label(topic), topic_label(topic).removesuffix("（地区）"), topic.split(":", 1)[1]):
                return choose(turn, topic)
    followed = _store(turn).topics(turn.user_key)
    lines = [INTRO]
    if followed:
        lines.append("已订阅：" + "、".join(f"「{topic_label(t)}」" for t in followed) + "。")
    buttons = [Button(("✓ " if t in followed else "") + topic_label(t), button_value(Prefix.SUBSCRIBE, t)) for t in all_topics()]
    extra = [OFF] if followed else []
    return [message("\n".join(lines), [*rows(buttons, 3), [*extra, MENU_BUTTON]])]


def choose(turn: Turn, topic: str) -> list[OutMessage]:
    channel = _channel(turn)
    if channel is None or topic not in all_topics():
        return menu(turn)
    address = turn.event.chat_id if channel == "telegram" else None
    new = _store(turn).subscribe(turn.user_key, channel, topic, address)
    lead = f"已订阅「{topic_label(topic)}」的政策更新" if new else f"您已订阅「{topic_label(topic)}」"
    text = f"{lead}：有实质变化时每天最多推送一条摘要。随时点「退订全部」或发送 /unsubscribe 取消。"
    return [message(text, [[Button("继续订阅其他主题", button_value(Prefix.SUBSCRIBE, "menu"))], [OFF, MENU_BUTTON]])]


def unsubscribe(turn: Turn, _: str = "") -> list[OutMessage]:
    """/unsubscribe or 「退订」: every subscription ends, in one tap."""
    removed = _store(turn).unsubscribe(turn.user_key) if _channel(turn) else 0
    text = "已退订全部政策更新，不会再收到摘要。" if removed else "您目前没有订阅政策更新。"
    return [message(text, [[Button("订阅更新", button_value(Prefix.SUBSCRIBE, "menu")), MENU_BUTTON]])]


def on_button(turn: Turn, argument: str) -> list[OutMessage]:
    """sub:menu, sub:off, sub:t:<topic>, sub:r:<region>."""
    if argument == "off":
        return unsubscribe(turn)
    if argument == "menu":
        return menu(turn)
    return choose(turn, argument)
