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
from bot.conversation.vocabulary import Command, Prefix, command_named, parse_button, parse_command
from bot.records.pseudonym import pseudonymise
from intents.personal import clean

if TYPE_CHECKING:  # types only: importing them here would load the matcher at start-up
    from bot.records.recorder import Recorder
    from bot.settings import Settings
    from bot.storage.sqlite import Database
    from intents.respond import Responder

log = logging.getLogger(__name__)
Handler = Callable[[Turn, str], list[OutMessage]]
SORRY = "抱歉，处理您的消息时出了问题。请稍后再试，或回复「转人工」。"

# every user command of the vocabulary (bot/conversation/vocabulary.py) -> what answers it
HANDLERS: dict[Command, Handler] = {
    Command.START: menu.start,
    Command.HELP: menu.show_help,
    Command.MENU: menu.show_menu,
    Command.REGION: menu.ask_region,
    Command.CALC: calc_dialogue.begin,
    Command.CHECKLIST: menu.list_checklists,
    Command.HUMAN: handoff.open_handoff,
    Command.CANCEL: calc_dialogue.cancel,
    Command.SUBSCRIBE: subscribe.menu,
    Command.UNSUBSCRIBE: subscribe.unsubscribe,
}


def _command_button(turn: Turn, name: str) -> list[OutMessage]:
    command = command_named(name)
    return HANDLERS[command](turn, "") if command is not None else menu.show_menu(turn)


BUTTONS: dict[Prefix, Handler] = {
    Prefix.MENU: menu.show_menu,
    Prefix.TOPIC: menu.topic,
    Prefix.INTENT: answer.answer_intent,
    Prefix.REGION: menu.set_region,
    Prefix.FEEDBACK: answer.feedback,
    Prefix.CALC: calc_dialogue.on_button,
    Prefix.CHECKLIST: menu.show_checklist,
    Prefix.PLACE: answer.other_place,
    Prefix.MORE: reading.show_more,
    Prefix.TICKET: handoff.on_button,
    Prefix.SOURCE: reading.show_source,
    Prefix.SUBSCRIBE: subscribe.on_button,
    Prefix.COMMAND: _command_button,
}
LOCKS = 1024
# presses that say nothing about the question: the menu, and the call-back number's prompt
QUIET_BUTTONS = (Prefix.MENU, Prefix.TICKET)


def unknown_command(turn: Turn, _: str) -> list[OutMessage]:
    return [message(f"没有这个命令。{menu.HELP}", menu.menu_buttons())]


class Conversation:
    """The transport-neutral conversation: one inbound event in, the messages to send out."""

    def __init__(
        self, settings: Settings, db: Database, recorder: Recorder,
        responder: Responder | None = None, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
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
        if turn.private or turn.text.startswith("/") or parse_button(turn.event.button)[0] in QUIET_BUTTONS:
            return  # commands, the menu and the call-back prompt say nothing about the question
        if turn.event.kind == "text" and turn.text:
            turn.state.note("user", turn.text)
        shown = next((m.text for m in replies if m.chat_id is None), "")
        if shown:
            turn.state.note("bot", shown.split("\n", 1)[0] if len(shown) > 300 else shown)

    def _route(self, turn: Turn) -> list[OutMessage]:
        event = turn.event
        if event.kind == "button":
            prefix, argument = parse_button(event.button)
            if prefix != Prefix.TICKET:
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
        parsed = parse_command(text)
        if parsed is not None:
            name, argument = parsed
            command = command_named(name)
            return HANDLERS[command](turn, argument) if command is not None else unknown_command(turn, argument)
        turn.state.remember(text)
        if text in answer.HANDOFF_WORDS:
            return answer.free_text(turn)
        added = handoff.addition(turn)  # a hand-off is open: the staff see this message too
        if turn.state.dialogue:
            return calc_dialogue.on_text(turn) + added
        return answer.free_text(turn) + added


def build_conversation(settings: Settings, db: Database, recorder: Recorder) -> Conversation:
    return Conversation(settings=settings, db=db, recorder=recorder)
