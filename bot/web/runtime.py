"""The one place where the web server meets the rest of the process: the conversation core
for the ``web`` channel, and the Telegram bot run beside it when ``CBEC_TELEGRAM_TOKEN`` is set.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.db import Database
from bot.recorder import Recorder
from bot.settings import Settings
from bot.web.chat import ChatHandler

log = logging.getLogger(__name__)
CHANNEL = "web"


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise


def build_chat(settings: Settings, db: Database, recorder: Recorder) -> ChatHandler:
    """The web channel's handler over the conversation core (bot/conversation.py)."""
    conversation = _module("bot.conversation")
    if conversation is None:  # the core is not there yet: answer with the responder alone
        log.warning("bot.conversation is missing; the web chat answers without dialogue state")
        return ResponderChat(settings, recorder)
    factory = getattr(conversation, "build_conversation", None)
    try:
        if factory is not None:
            core = factory(settings=settings, db=db, recorder=recorder)
        else:
            core = conversation.Conversation(settings=settings, db=db, recorder=recorder)
    except TypeError:
        log.exception("could not build the conversation core; the web chat answers without dialogue state")
        return ResponderChat(settings, recorder)

    def handle(session: str, text: str | None, button: str | None) -> Sequence[Any]:
        event = conversation.InboundEvent(
            channel=CHANNEL, user_id=session, chat_id=session, text=text, button=button,
            kind="button" if button is not None else "text",
        )  # fmt: skip
        return core.handle(event)

    return handle


@dataclass(frozen=True)
class _Button:
    label: str
    value: str


@dataclass(frozen=True)
class _Message:
    text: str
    buttons: tuple[tuple[_Button, ...], ...] = ()
    chat_id: str | None = None


GREETING = "您好!我是跨境电商政策助手,可以按政策条文解答补贴、通关、税收等问题。请直接输入您的问题,或点下面的常见问题。"


class ResponderChat:
    """Stand-in for the conversation core: one question, one answer, suggestion buttons, logged."""

    def __init__(self, settings: Settings, recorder: Recorder) -> None:
        self._settings, self._recorder = settings, recorder

    def __call__(self, session: str, text: str | None, button: str | None) -> Sequence[_Message]:
        from intents.respond import get_responder

        responder = get_responder()
        if text == "/start" or button == "menu":
            menu = tuple((_Button(intent.title, intent.id),) for intent in list(responder.by_id.values())[:4])
            return [_Message(GREETING, menu)]
        question = text
        if button is not None:
            intent = responder.by_id.get(button)
            question = intent.title if intent else button
        started = time.perf_counter()
        reply = responder.respond(question, region=self._settings.default_region)
        latency = (time.perf_counter() - started) * 1000
        self._recorder.enquiry(
            channel=CHANNEL, user_id=session, region=self._settings.default_region, text=question or "",
            reply=reply, latency_ms=latency,
        )  # fmt: skip
        buttons = tuple((_Button(s.title, s.intent),) for s in reply.suggestions[:3])
        buttons += tuple((_Button(title, intent),) for intent, title in reply.related[:3])
        return [_Message(reply.answer, buttons)]


async def run_telegram(settings: Settings, db: Database, recorder: Recorder, outbox: Any) -> Any:
    """Start the Telegram bot in this process when a token is set; return an object with an
    async ``stop()`` (or None when Telegram is off or not available)."""
    if settings.telegram_token is None:
        return None
    runtime = _module("bot.telegram_runtime")
    if runtime is None:
        log.warning("CBEC_TELEGRAM_TOKEN is set but the Telegram runtime is not installed; web only")
        return None
    return await runtime.start(settings=settings, db=db, recorder=recorder, web_outbox=outbox)
