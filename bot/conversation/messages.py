"""What the conversation takes in and gives out: the message types every channel shares.

A leaf module: it imports nothing of the project, so channels, flows and tests can all use it.
Telegram, the web chat and the terminal chat are thin adapters over ``Conversation.handle``
(bot/conversation/core.py).
Texts are plain text (adapters escape them); buttons carry a ``value`` of at most 64 bytes
(Telegram's callback_data limit) that comes back as ``InboundEvent.button``.

What an adapter does with the messages ``handle`` returns:
- ``chat_id`` None: send to the chat the event came from.
- ``relay_key`` set: a hand-off for the staff chat (``chat_id``, channel "telegram"); after
  sending, report the message id with ``forwarded(relay_key, message_id)`` so that a staff
  member's reply to it (an event with ``reply_to_message_id``) reaches the user.
- otherwise ``chat_id``/``channel`` name another chat: a staff reply relayed to a user. For
  channel "web" it goes to the web outbox (bot/channels/web/outbox.py, collected by /api/chat/poll).
Channels without buttons (WeChat's passive text, bot/conversation/numbered.py) get each button as a
numbered line 「回复1：…」, and the digit the user sends back presses it.
The flows live in bot/conversation/flows/ and bot/conversation/calc/ (routing in
bot/conversation/core.py); per-user state in bot/conversation/state.py.
"""

from __future__ import annotations

from dataclasses import dataclass

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
