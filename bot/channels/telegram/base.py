"""What both Telegram runtimes (aiogram, python-telegram-bot) share, free of either library:
HTML escaping, splitting long replies, the inline keyboard layout, per-user flood control, the
command list for setMyCommands, the kind of a message, and retrying a Bot API call.

The conversation core produces plain text; everything it says (which quotes what users wrote)
is escaped here for Telegram's HTML parse mode, so no user text can inject markup.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from bot.conversation.vocabulary import STAFF_COMMANDS as STAFF_COMMAND_INFO
from bot.conversation.vocabulary import USER_COMMANDS

if TYPE_CHECKING:
    from bot.conversation.messages import Button
    from bot.storage.base import Storage

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_MESSAGE = 4096  # Telegram's limit, counted in UTF-16 code units of the text after parsing
NON_TEXT_KINDS = ("sticker", "photo", "voice", "document", "location")
SLOW_DOWN = "请稍慢一些：您发送消息太快了，请稍等一分钟再继续提问。"
# (name, description) for setMyCommands, from the vocabulary; the staff ones are offered in the
# staff chat's command menu only (the core answers them for configured staff)
BOT_COMMANDS = tuple((info.command.value, info.menu) for info in USER_COMMANDS)
STAFF_COMMANDS = tuple((info.command.value, info.menu) for info in STAFF_COMMAND_INFO)


def escape(text: str) -> str:
    """Plain text for HTML parse mode (& < > only: quotes need no escaping outside tags).
    Line breaks and 「• 」 bullets pass unchanged: HTML parse mode shows a line break as one."""
    return html.escape(text, quote=False)


def tidy(text: str) -> str:
    r"""The reply's lines as written: \r\n as \n, no spaces at line ends, at most one empty line
    in a row, none at the start or end. Nothing else changes (bullets, full-width punctuation)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE, measure: Callable[[str], int] | None = None) -> list[str]:
    """Plain text in pieces of at most ``limit`` UTF-16 units (or what ``measure`` counts, e.g.
    UTF-8 bytes for WeChat), cut at line breaks; a single line longer than the limit is cut
    between characters. Escape each piece afterwards (escaping does not change the length
    Telegram counts). The text is tidied first."""
    _units = measure or _utf16_units
    text = tidy(text) or text
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while _units(line) > limit:  # one huge line: cut it where it overflows
            cut = limit
            while _units(line[:cut]) > limit:
                cut -= 1
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if current and _units(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current.strip() or not pieces:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or [text[:limit] or " "]


def keyboard_rows(buttons: Sequence[Sequence[Button]]) -> list[list[tuple[str, str]]]:
    """OutMessage.buttons as rows of (label, callback data); empty rows dropped."""
    return [[(button.label, button.value) for button in row] for row in buttons if row]


def message_kind(message: object) -> str:
    """The InboundEvent kind of an aiogram or PTB Message (both name the attributes alike)."""
    if getattr(message, "text", None) is not None:
        return "text"
    for kind in NON_TEXT_KINDS:
        if getattr(message, kind, None):
            return kind
    return "other"


class FloodControl:
    """At most ``limit`` messages per user per ``window`` seconds. The first message over the
    limit gets one polite reply (``"warn"``); the rest are dropped silently (``"drop"``) until
    the window has room again, so a flood never turns into a flood of replies."""

    FORGET_AT = 10_000  # users tracked before quiet ones are forgotten

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: set[str] = set()

    def check(self, user: str) -> str:
        now = self._clock()
        if len(self._seen) >= self.FORGET_AT:
            self._forget_quiet(now)
        times = self._seen.setdefault(user, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user)
            return "ok"
        if user in self._warned:
            return "drop"
        self._warned.add(user)
        return "warn"

    def _forget_quiet(self, now: float) -> None:
        quiet = [user for user, times in self._seen.items() if not times or times[-1] <= now - self.window]
        for user in quiet:
            del self._seen[user]
            self._warned.discard(user)


class SharedFloodControl:
    """``FloodControl`` counted in the database (bot/storage/limits.py), for replicas that take
    one user's webhook updates in turn: ``limit`` messages per window, then one warning per
    window, then silence."""

    def __init__(self, db: Storage, limit: int, window: float = 60.0) -> None:
        from bot.storage.limits import SharedWindow

        self.limit = limit
        self._messages = SharedWindow(db, "telegram", window)
        self._warnings = SharedWindow(db, "telegram-warned", window)

    def check(self, user: str) -> str:
        if self._messages.take({str(user): self.limit}) is not None:
            return "ok"
        return "warn" if self._warnings.take({str(user): 1}) is not None else "drop"


def flood_control(db: Storage | None, limit: int) -> FloodControl | SharedFloodControl:
    """In memory for SQLite (one process); in the database when replicas share it."""
    if db is not None and getattr(db, "shared", False):
        return SharedFloodControl(db, limit)
    return FloodControl(limit)


class RetryPolicy:
    """Back-off for Bot API calls: ``attempts`` tries, delays doubling from ``base`` to ``cap``
    seconds (with jitter); a 429's retry_after is honoured as given."""

    def __init__(self, attempts: int = 8, base: float = 0.5, cap: float = 30.0) -> None:
        self.attempts, self.base, self.cap = attempts, base, cap

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2**attempt) * (0.8 + 0.4 * random.random())


# classify(exception) -> seconds to wait from the Bot API (429), "backoff" (5xx, network), or
# None (an error a retry cannot fix: bad request, blocked by the user, ...).
Classifier = Callable[[BaseException], "float | str | None"]


async def with_retries(
    call: Callable[[], Awaitable[T]], classify: Classifier, policy: RetryPolicy | None = None, what: str = ""
) -> T:
    policy = policy or RetryPolicy()
    for attempt in range(policy.attempts):
        try:
            return await call()
        except Exception as error:
            verdict = classify(error)
            if verdict is None or attempt == policy.attempts - 1:
                raise
            wait = policy.delay(attempt) if verdict == "backoff" else float(verdict)
            log.warning("Bot API %s failed (%s); retry %d in %.1fs", what, error, attempt + 1, wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")
