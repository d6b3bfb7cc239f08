"""The transport-neutral conversation, ``Conversation``, and its routing: which flow handles an
event. Dispatch tables for commands and button prefixes;
state is loaded before and saved after, under a per-user lock (two quick presses of the same
user must not overwrite each other's state)."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.conversation import guard, numbered, reading
from bot.conversation.calc import dialogue as calc_dialogue
from bot.conversation.flows import answer, handoff, menu, subscribe
from bot.conversation.messages import InboundEvent, OutMessage
from bot.conversation.state import SqliteStateStore
from bot.conversation.turn import Services, Turn, message
from intents.personal import clean

if TYPE_CHECKING:  # types only: importing them here would load the matcher at start-up
    from bot.records.recorder import Recorder
    from bot.settings import Settings
    from bot.storage.sqlite import Database
    from intents.respond import Responder

log = logging.getLogger(__name__)
Handler = Callable[[Turn, str], list[OutMessage]]
SORRY = "抱歉，处理您的消息时出了问题。请稍后再试，或回复「转人工」。"

COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "help": menu.show_help,
    "menu": menu.show_menu,
    "region": menu.ask_region,
    "calc": calc_dialogue.begin,
    "checklist": menu.list_checklists,
    "human": handoff.open_handoff,
    "cancel": calc_dialogue.cancel,
    "subscribe": subscribe.menu,
    "unsubscribe": subscribe.unsubscribe,
}
BUTTONS: dict[str, Handler] = {
    "menu": menu.show_menu,
    "t": menu.topic,
    "i": answer.answer_intent,
    "r": menu.set_region,
    "fb": answer.feedback,
    "c": calc_dialogue.on_button,
    "cl": menu.show_checklist,
    "rg": answer.other_place,
    "more": reading.show_more,
    "tk": lambda turn, what: (handoff.no_phone if what == "nophone" else handoff.ask_phone)(turn, what),
    "src": reading.show_source,
    "sub": subscribe.on_button,
    "cmd": lambda turn, name: COMMANDS.get(name, menu.show_menu)(turn, ""),
}
LOCKS = 1024


def unknown_command(turn: Turn, _: str) -> list[OutMessage]:
    return [message(f"没有这个命令。{menu.HELP}", menu.menu_buttons())]


class Conversation:
    """The transport-neutral conversation: one inbound event in, the messages to send out."""

    def __init__(
        self, settings: Settings, db: Database, recorder: Recorder,
        responder: Responder | None = None, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        from bot.records.enquiry_log import pseudonymise

        if responder is None:
            from intents.respond import get_responder as responder_source
        else:

            def responder_source():
                return responder

        secret = settings.secret.get_secret_value()
        self.services = Services(
            settings=settings, db=db, recorder=recorder, store=SqliteStateStore(db),
            responder=responder_source, now=clock or (lambda: datetime.now(UTC)),
            user_key=lambda channel, user_id: pseudonymise(secret, channel, user_id),
        )  # fmt: skip
        self._locks = [threading.Lock() for _ in range(LOCKS)]

    def handle(self, event: InboundEvent) -> list[OutMessage]:
        """Every reply to ``event``; never raises (a failure becomes an apology). Bidi controls,
        zero-width characters and lone surrogates are removed first, on every channel."""
        event = replace(event, text=clean(event.text) if event.text else event.text,
                        button=clean(event.button) if event.button else event.button,
                        user_name=clean(event.user_name) if event.user_name else event.user_name)  # fmt: skip
        try:
            return self._handle(event)
        except Exception:  # noqa: BLE001 - the user gets an apology, the log gets the trace
            log.exception("conversation failed", extra={"channel": event.channel, "kind": event.kind})
            return [message(SORRY)]

    def forwarded(self, relay_key: str, message_id: str) -> None:
        """The adapter sent the hand-off ``relay_key`` to the staff chat as ``message_id``."""
        handoff.forwarded(self.services, relay_key, message_id)

    def _handle(self, event: InboundEvent) -> list[OutMessage]:
        if handoff.is_staff_chat(self.services, event):
            return handoff.staff_chat_event(self.services, event)
        problem = guard.problem(event)
        if problem is not None:
            return [message(problem)]
        user_key = self.services.user_key(event.channel, event.user_id)
        with self._locks[zlib.crc32(user_key.encode()) % LOCKS]:
            turn = Turn(event, self.services.store.load(user_key), user_key, self.services)
            before = turn.state.to_json()
            text_only = event.channel in numbered.TEXT_ONLY
            if text_only:  # "2" presses the second numbered line of the last reply
                turn.event = numbered.pressed(turn.state, event)
            replies = self._route(turn)
            self._note(turn, replies)
            if text_only:
                replies = numbered.number(turn.state, replies)
            after = turn.state.to_json()
            if after != before:
                self.services.store.save(user_key, turn.state, raw=after)
        return replies

    @staticmethod
    def _note(turn: Turn, replies: list[OutMessage]) -> None:
        """The conversation so far, redacted, for a ticket (not the call-back number's turn)."""
        if turn.private or turn.text.startswith("/") or turn.event.button in ("menu", "tk:phone", "tk:nophone"):
            return  # commands, the menu and the call-back prompt say nothing about the question
        if turn.event.kind == "text" and turn.text:
            turn.state.note("user", turn.text)
        shown = next((m.text for m in replies if m.chat_id is None), "")
        if shown:
            turn.state.note("bot", shown.split("\n", 1)[0] if len(shown) > 300 else shown)

    def _route(self, turn: Turn) -> list[OutMessage]:
        event = turn.event
        if event.kind == "button":
            prefix, _, argument = (event.button or "").partition(":")
            if prefix != "tk":
                turn.state.awaiting_phone = None
            return BUTTONS.get(prefix, menu.show_menu)(turn, argument)
        text = guard.clean(event.text or "")
        turn.event = replace(event, text=text)
        if turn.state.awaiting_phone is not None and not text.startswith("/"):
            taken = handoff.take_phone(turn)
            if taken is not None:
                turn.private = True  # the number stays out of the transcript, the log and the state
                return taken
        turn.state.awaiting_phone = None
        if text.startswith("/"):
            head, _, argument = text.partition(" ")
            name = head[1:].split("@", 1)[0].lower()
            return COMMANDS.get(name, unknown_command)(turn, argument)
        turn.state.remember(text)
        if text in answer.HANDOFF_WORDS:
            return answer.free_text(turn)
        added = handoff.addition(turn)  # a hand-off is open: the staff see this message too
        if turn.state.dialogue:
            return calc_dialogue.on_text(turn) + added
        return answer.free_text(turn) + added


def build_conversation(settings: Settings, db: Database, recorder: Recorder) -> Conversation:
    return Conversation(settings=settings, db=db, recorder=recorder)
