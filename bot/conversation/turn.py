"""One event being handled: the user's state, the services, and helpers for building replies."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.conversation.messages import Button, InboundEvent, OutMessage
from bot.conversation.state import StateStore, UserState
from bot.conversation.vocabulary import Command, Prefix, button_value
from bot.records.clock import CHINA
from intents.context import Context
from policy_faq.typography import fullwidth

if TYPE_CHECKING:
    from bot.records.recorder import Recorder
    from bot.settings import Settings
    from bot.storage.base import Storage
    from intents.respond import Reply, Responder


@dataclass
class Services:
    settings: Settings
    db: Storage
    recorder: Recorder
    store: StateStore
    responder: Callable[[], Responder]  # called per event: a live FAQ reload swaps what it returns
    now: Callable[[], datetime]  # aware UTC (the clock tests set)

    def today(self) -> date:
        """Today where the users are (China, UTC+8): the staff figures' last day and the day a
        policy's dates are read against (from 16:00 UTC the UTC date is already yesterday there)."""
        return self.now().astimezone(CHINA).date()

    user_key: Callable[[str, str], str]


@dataclass
class Turn:
    event: InboundEvent
    state: UserState
    user_key: str
    services: Services
    private: bool = False  # a call-back number: nothing of this turn is noted or logged

    @property
    def region(self) -> str | None:
        return self.state.region or self.services.settings.default_region

    @property
    def text(self) -> str:
        return (self.event.text or "").strip()

    def ask(self, question: str, *, intent: str | None = None) -> tuple[Reply, str]:
        """Ask the responder (a message read in the conversation's context, or an intent when
        ``intent`` is given, e.g. a button); keep the context the next message is read against;
        log the enquiry with its latency; return the Reply and the enquiry id."""
        responder = self.services.responder()
        started = time.perf_counter()
        context = Context.from_dict(self.state.context)
        now = self.services.now().timestamp()
        if intent is not None:
            reply, context = responder.respond_to_choice(
                intent, question, context, now=now, today=self.services.today()
            )
        else:
            reply, context = responder.respond_in_context(
                question, context, region=self.region, now=now, today=self.services.today()
            )
        self.state.context = context.as_dict() if context is not None else None
        if reply.intent and reply.kind in ("answer", "calculation", "checklist", "excerpt"):
            title = getattr(responder.by_id.get(reply.intent), "title", reply.intent)
            self.state.asked = [*[a for a in self.state.asked if a[0] != reply.intent], [reply.intent, title]][-5:]
        latency_ms = (time.perf_counter() - started) * 1000
        enquiry_id = self.services.recorder.enquiry(
            channel=self.event.channel, user_id=self.event.user_id, region=self.region,
            text=question, reply=reply, latency_ms=latency_ms,
        )  # fmt: skip
        return reply, str(enquiry_id or "")


def message(text: str, buttons: Iterable[Iterable[Button]] = (), verbatim: bool = False) -> OutMessage:
    """A reply to the user; its Chinese set the Chinese way (full-width punctuation, no stray
    spaces) whatever template or content it came from, its button labels too. ``verbatim``: a
    policy text quoted as received (查看原文), left exactly as it is."""
    laid_out = tuple(tuple(_laid_out(b) for b in row) for row in buttons if row)
    return OutMessage(text=text if verbatim else _fullwidth(text), buttons=laid_out)


# Replies and button labels repeat (the FAQ's answers, the menu): set each once, not per message.
_fullwidth = functools.lru_cache(maxsize=4096)(fullwidth)


def _laid_out(button: Button) -> Button:
    label = _fullwidth(button.label)
    return button if label == button.label else replace(button, label=label)


def rows(buttons: Iterable[Button], per_row: int = 1) -> list[list[Button]]:
    """Buttons laid out ``per_row`` to a row (long Chinese titles read best one per row)."""
    listed = list(buttons)
    return [listed[i : i + per_row] for i in range(0, len(listed), per_row)]


def intent_button(intent_id: str, title: str) -> Button:
    return Button(title[:40], button_value(Prefix.INTENT, intent_id))


def command_button(label: str, command: str) -> Button:
    """A button that does what a slash command does (「转人工」 is /human)."""
    return Button(label, button_value(Prefix.COMMAND, command))


MENU_BUTTON = Button("返回菜单", Prefix.MENU.value)
HUMAN_BUTTON = command_button("转人工", Command.HUMAN)
