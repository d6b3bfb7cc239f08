"""The one place where the web server meets the rest of the process: the conversation core
for the ``web`` channel, the Telegram bot run beside it when ``CBEC_TELEGRAM_TOKEN`` is set,
and the WeChat Official Account channel when ``CBEC_WECHAT_TOKEN`` is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channels.web.chat import ChatHandler
from bot.conversation.core import build_conversation
from bot.conversation.messages import InboundEvent, OutMessage
from bot.records.recorder import Recorder
from bot.settings import Settings
from bot.storage.sqlite import Database

CHANNEL = "web"


def build_chat(settings: Settings, db: Database, recorder: Recorder) -> ChatHandler:
    """The web channel's handler: one browser session is one user and one chat."""
    core = build_conversation(settings=settings, db=db, recorder=recorder)

    def handle(session: str, text: str | None, button: str | None) -> Sequence[OutMessage]:
        event = InboundEvent(
            channel=CHANNEL, user_id=session, chat_id=session, text=text, button=button,
            kind="button" if button is not None else "text",
        )  # fmt: skip
        return core.handle(event)

    handle.deferred = core.services.store.deferred  # type: ignore[attr-defined]  # see chat._answer
    handle.read_ahead = core.services.store.read_ahead  # type: ignore[attr-defined]  # see chat._read_ahead
    return handle


def build_wechat(settings: Settings, db: Database, recorder: Recorder, forward: Any) -> Any:
    """The WeChat Official Account channel (bot/channels/wechat/) when CBEC_WECHAT_TOKEN and
    CBEC_WECHAT_APPID are set, else None. ``forward`` takes messages for other chats."""
    if not settings.wechat_on:
        return None
    from bot.channels.wechat.api import WeChatApi
    from bot.channels.wechat.endpoint import WeChatChannel

    conversation = build_conversation(settings=settings, db=db, recorder=recorder)
    return WeChatChannel(settings, db, conversation, api=WeChatApi.from_settings(settings), forward=forward)


async def run_telegram(settings: Settings, db: Database, recorder: Recorder, outbox: Any) -> Any:
    """Start the Telegram bot in this process when a token is set; return an object with an
    async ``stop()`` and ``send(message)`` (or None when Telegram is off)."""
    if settings.telegram_token is None:
        return None
    from bot.channels.telegram import runtime as telegram_runtime

    return await telegram_runtime.start(settings=settings, db=db, recorder=recorder, web_outbox=outbox)
