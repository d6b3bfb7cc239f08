"""What both Telegram runtimes (aiogram, python-telegram-bot) share, free of either library:
HTML escaping, splitting long replies, the inline keyboard layout, per-user flood control, the
command list for setMyCommands, the kind of a message, retrying a Bot API call, and the base
class ``TelegramRuntime`` (sending, the command menus, the webhook, stopping in order) of which
each runtime supplies only its library's calls.

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
from typing import TYPE_CHECKING, Any, TypeVar

from bot.conversation.vocabulary import STAFF_COMMANDS as STAFF_COMMAND_INFO
from bot.conversation.vocabulary import USER_COMMANDS

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.telegram.bridge import Bridge, Rows
    from bot.conversation.messages import Button
    from bot.settings import Settings
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


class TelegramRuntime:
    """What both runtimes do alike, free of either library: send a message with retries,
    register the command menus, open the webhook, stop in order (the webhook, the updates, the
    replies still being made, the library). A runtime supplies only its library's calls, as a
    starlette response subclass changes one thing: ``classify`` and the ``_``-methods below."""

    classify: Classifier

    def __init__(self, settings: Settings, bridge: Bridge, retry: RetryPolicy | None = None) -> None:
        self.settings, self.bridge, self.retry = settings, bridge, retry or RetryPolicy()
        self._webhook: web.AppRunner | None = None
        self._stopped = False
        bridge.send_text = self.send_text

    async def _call(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        return await with_retries(call, type(self).classify, self.retry, what)

    async def send_text(self, chat_id: str, html_text: str, rows: Rows) -> int:
        """Send one message (HTML, with an inline keyboard); its message id."""
        return await self._call(lambda: self._send(int(chat_id), html_text, rows), "sendMessage")

    async def start(self, webhook_port: int | None = None) -> None:
        await self._open()
        await self._call(lambda: self._set_commands(BOT_COMMANDS, None), "setMyCommands")
        if self.settings.staff_chat_id is not None:
            staff_chat = self.settings.staff_chat_id
            await self._call(lambda: self._set_commands(STAFF_COMMANDS, staff_chat), "setMyCommands")
        await self._begin()
        if self.settings.telegram_mode == "webhook":
            await self._start_webhook(webhook_port or self.settings.port)
            return
        await self._start_polling()

    async def _start_webhook(self, port: int) -> None:
        from bot.channels.telegram.webhook import open_webhook

        assert self.settings.webhook_secret is not None, "webhook mode needs CBEC_WEBHOOK_SECRET"
        secret = self.settings.webhook_secret.get_secret_value()
        self._webhook = await open_webhook(
            self.settings, port, secret, self._feed, self.bridge.claim, self._set_webhook, type(self).classify, self.retry
        )

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._webhook is not None:
            await self._webhook.cleanup()
        await self._stop_updates()
        await self.bridge.drain()  # the update being handled still gets its reply
        await self._close()

    # -- the library's part ---------------------------------------------------------------------
    async def _send(self, chat_id: int, html_text: str, rows: Rows) -> int:
        """sendMessage; the new message's id."""
        raise NotImplementedError

    async def _set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> object:
        """setMyCommands, for every chat or (``chat_id``) for one."""
        raise NotImplementedError

    async def _set_webhook(self, url: str, secret_token: str) -> object:
        raise NotImplementedError

    async def _feed(self, update: dict[str, Any]) -> None:
        """Handle one update the webhook received."""
        raise NotImplementedError

    async def _open(self) -> None:
        """Before the commands are registered."""

    async def _begin(self) -> None:
        """After the commands are registered, before updates come."""

    async def _start_polling(self) -> None:
        raise NotImplementedError

    async def _stop_updates(self) -> None:
        """No more updates: polling ends, those being handled finish."""

    async def _close(self) -> None:
        """The library's sessions."""
