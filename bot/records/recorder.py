"""What the conversation core tells the enquiry log. Channels never write the log themselves.

``EnquiryLog`` (bot/records/enquiry_log.py) implements this over SQLite; ``NullRecorder`` is for tools that
must not log (``cbec-bot ask``). Methods must not block: they queue the write and return.
User ids passed here are the channel's raw ids; the log pseudonymises them (HMAC) and
redacts personal data from texts before anything reaches the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intents.respond import Reply


class Recorder(Protocol):
    def enquiry(
        self, *, channel: str, user_id: str, region: str | None, text: str, reply: Reply | Mapping[str, Any] | None,
        latency_ms: float,
    ) -> str:
        """Log one enquiry and the Reply (intents.respond.Reply) given; return its enquiry id (uuid hex)."""

    def feedback(self, *, channel: str, user_id: str, enquiry_id: str, value: int) -> None:
        """👍 (+1) or 👎 (-1) on an answer."""

    def calculation(self, *, channel: str, user_id: str, kind: str, inputs: dict, result: dict) -> None:
        """A calculator run: kind is subsidy | first-order | eit; result is the calculator's as_dict()."""

    def handoff_opened(self, *, channel: str, user_id: str, handoff_id: str, summary: str) -> None:
        """A user asked for a person; summary is their recent messages."""

    def handoff_answered(self, *, handoff_id: str, staff: str) -> None:
        """A staff member answered the hand-off."""


class NullRecorder:
    """Records nothing (for one-off tools and tests that check replies only)."""

    def enquiry(self, **_: object) -> str:
        return ""

    def feedback(self, **_: object) -> None:
        return None

    def calculation(self, **_: object) -> None:
        return None

    def handoff_opened(self, **_: object) -> None:
        return None

    def handoff_answered(self, **_: object) -> None:
        return None
