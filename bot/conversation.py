"""The transport-neutral conversation core: one inbound event in, the messages to send out.

Telegram, the web chat and the terminal chat are thin adapters over ``Conversation.handle``.
Texts are plain text (adapters escape them); buttons carry a ``value`` of at most 64 bytes
(Telegram's callback_data limit) that comes back as ``InboundEvent.button``.

What an adapter does with the messages ``handle`` returns:
- ``chat_id`` None: send to the chat the event came from.
- ``relay_key`` set: a hand-off for the staff chat (``chat_id``, channel "telegram"); after
  sending, report the message id with ``forwarded(relay_key, message_id)`` so that a staff
  member's reply to it (an event with ``reply_to_message_id``) reaches the user.
- otherwise ``chat_id``/``channel`` name another chat: a staff reply relayed to a user. For
  channel "web" it goes to the web outbox (bot/web/outbox.py, collected by /api/chat/poll).
Channels without buttons (WeChat's passive text, bot/flows/numbered.py) get each button as a
numbered line 「回复1：…」, and the digit the user sends back presses it.
The flows themselves live in bot/flows/ (routing in bot/flows/core.py); per-user state in
bot/state.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

CHANNELS = ("telegram", "web", "wechat", "cli")
KINDS = ("text", "button", "sticker", "photo", "voice", "document", "location", "other")
BUTTON_VALUE_BYTES = 64


@dataclass(frozen=True)
class Button:
    label: str
    value: str

    def __post_init__(self) -> None:
        if len(self.value.encode("utf-8")) > BUTTON_VALUE_BYTES:
            raise ValueError(f"button value longer than {BUTTON_VALUE_BYTES} bytes: {self.value!r}")


@dataclass(frozen=True)
class OutMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    chat_id: str | None = None  # None: the chat the event came from
    channel: str | None = None  # None: the channel the event came from
    relay_key: str | None = None  # set on a hand-off sent to the staff chat


@dataclass(frozen=True)
class InboundEvent:
    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    button: str | None = None
    kind: str = "text"
    language: str | None = None
    reply_to_message_id: str | None = None
    user_name: str | None = None


class Conversation:
    def __init__(
        self, settings: Any, db: Any, recorder: Any, responder: Any = None, clock: Any = None
    ) -> None:
        from bot.flows.core import Core

        self._core = Core(settings=settings, db=db, recorder=recorder, responder=responder, clock=clock)

    def handle(self, event: InboundEvent) -> list[OutMessage]:
        """Every reply to ``event``; never raises (a failure becomes an apology). Bidi controls,
        zero-width characters and lone surrogates are removed first, on every channel."""
        from intents.personal import clean

        event = replace(event, text=clean(event.text) if event.text else event.text,
                        button=clean(event.button) if event.button else event.button,
                        user_name=clean(event.user_name) if event.user_name else event.user_name)  # fmt: skip
        return self._core.handle(event)

    @property
    def recorder(self) -> Any:
        return self._core.services.recorder

    def durable(self) -> Any:
        """The recorder's ``durable()`` (a future: every row recorded so far is safe), or None
        when the recorder has none; channels await it before they send a reply."""
        durable = getattr(self.recorder, "durable", None)
        return durable() if durable is not None else None

    def forwarded(self, relay_key: str, message_id: str) -> None:
        """The adapter sent the hand-off ``relay_key`` to the staff chat as ``message_id``."""
        self._core.forwarded(relay_key, message_id)


def build_conversation(settings: Any, db: Any, recorder: Any) -> Conversation:
    return Conversation(settings=settings, db=db, recorder=recorder)
