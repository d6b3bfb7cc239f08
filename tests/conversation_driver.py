"""Drives the conversation core the way a channel adapter does, on a real SQLite file, with the
real responder and FAQ and the real enquiry log. Shared by the tests/test_conversation*.py."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bot.conversation.core import build_conversation
from bot.conversation.messages import Button, InboundEvent, OutMessage
from bot.records.enquiry_log import EnquiryLog
from bot.settings import load_settings
from bot.storage import open_storage

STAFF_CHAT = -1001234
STAFF_USER = 42


class Chat:
    def __init__(self, db_path: Path, channel: str = "web", user: str = "user-1", **settings: object) -> None:
        if "staff_chat_id" in settings:  # hand-offs need the Telegram bot that delivers them
            settings.setdefault("telegram_token", "123456:test-token")
        self.settings = load_settings(db=db_path, **settings)
        self._opened = contextlib.ExitStack()
        self.db = self._opened.enter_context(open_storage(self.settings))  # a SQLite file or a postgresql:// URL
        self.log = self._opened.enter_context(EnquiryLog(self.db, "test-secret"))
        self.conversation = build_conversation(settings=self.settings, db=self.db, recorder=self.log)
        self.channel, self.user = channel, user
        self.last: list[OutMessage] = []

    # -- what a user does ---------------------------------------------------------------------
    def send(self, event: InboundEvent) -> list[OutMessage]:
        self.last = self.conversation.handle(event)
        return self.last

    def say(self, text: str | None, **fields: object) -> list[OutMessage]:
        fields = {"channel": self.channel, "user_id": self.user, "chat_id": self.user, **fields}
        return self.send(InboundEvent(text=text, **fields))  # type: ignore[arg-type]

    def press(self, label_or_value: str) -> list[OutMessage]:
        """Press a button of the last reply, found by its label (or its value)."""
        button = self.button(label_or_value)
        event = InboundEvent(self.channel, self.user, self.user, button=button.value, kind="button")
        return self.send(event)

    def staff_reply(self, text: str, to_message_id: str, user_id: int = STAFF_USER) -> list[OutMessage]:
        event = InboundEvent(
            "telegram",
            str(user_id),
            str(STAFF_CHAT),
            text=text,
            reply_to_message_id=to_message_id,
            user_name="王老师",
        )
        return self.send(event)

    # -- what the user sees -------------------------------------------------------------------
    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.last if m.chat_id is None)

    def buttons(self) -> list[Button]:
        return [b for m in self.last if m.chat_id is None for row in m.buttons for b in row]

    def labels(self) -> list[str]:
        return [b.label for b in self.buttons()]

    def button(self, label_or_value: str) -> Button:
        for button in self.buttons():
            if label_or_value in (button.label, button.value):
                return button
        raise AssertionError(f"no button {label_or_value!r} in {self.labels()}")

    # -- the log ------------------------------------------------------------------------------
    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        self.log.flush()
        self.db.flush()
        return self.db.query(sql, params)

    def close(self) -> None:
        self._opened.close()  # the log's last rows, then the database
