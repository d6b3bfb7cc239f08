"""What a request must pass before a route sees it: a body limit, short error replies that never
echo the input, and the web chat's flood control.

* ``BodyLimit`` (pure ASGI) reads at most the limit of a request body: /api/… takes 64 KB, the
  rest (forms, the FAQ editor) 2 MB. Over the limit the client gets 413 and the app never runs.
* Validation errors get 422 with the names of the fields at fault, never their values: an echo
  would copy 16 MB back, or fail to encode a lone surrogate and put the text in the server log.
* ``RateLimit`` counts web chat messages per session and per client over a minute.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

API_BODY_LIMIT = 64 * 1024
OTHER_BODY_LIMIT = 2 * 1024 * 1024
TOO_LARGE = "请求内容过大，请缩短后再试。"
INVALID = "请求格式不正确。"


def body_limit_for(path: str) -> int:
    return API_BODY_LIMIT if path.startswith("/api/") else OTHER_BODY_LIMIT


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a request body over the limit with 413, before the app reads any of it. The body
    (at most the limit) is read here and handed on in one piece."""

    def __init__(self, app: Any, limit_for: Callable[[str], int] = body_limit_for) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, 413 if declared.isdigit() else 400)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, 413)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: dict, receive: Any, send: Any, status: int) -> None:
        text = TOO_LARGE if status == 413 else INVALID
        if scope.get("path", "").startswith("/api/"):
            response: Response = JSONResponse({"detail": text}, status_code=status, headers={"connection": "close"})
        else:
            response = PlainTextResponse(text, status_code=status, headers={"connection": "close"})
        await response(scope, receive, send)


def _field(loc: tuple) -> str | None:
    """The name of the field at fault, from the schema (never from the input)."""
    names = [str(part) for part in loc[1:] if isinstance(part, str) and part.isidentifier() and len(part) <= 40]
    return ".".join(names) or None


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    fields = sorted({name for problem in error.errors() if (name := _field(tuple(problem.get("loc", ()))))})
    return JSONResponse({"detail": INVALID, "fields": fields}, status_code=422)


class RateLimit:
    """At most ``limit`` events per key in ``window`` seconds (``limit`` 0: no limit)."""

    FORGET_AT = 50_000

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            if len(self._seen) >= self.FORGET_AT:
                self._seen = {k: t for k, t in self._seen.items() if t and t[-1] > now - self.window}
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


class SharedRateLimit:
    """``RateLimit`` counted in the database (bot/storage/limits.py): replicas count together."""

    def __init__(self, db: Any, scope: str, limit: int, window: float = 60.0) -> None:
        from bot.storage.limits import SharedWindow

        self.limit, self.window = limit, window
        self._events = SharedWindow(db, scope, window)

    def allow(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        return self._events.take({key: self.limit}) is not None


def rate_limit(db: Any, scope: str, limit: int, window: float = 60.0) -> RateLimit | SharedRateLimit:
    """In memory for one process on SQLite; counted where processes share it (bot/storage: limits_storage)."""
    if db is not None and getattr(db, "shared", False):
        return SharedRateLimit(db, scope, limit, window)
    return RateLimit(limit, window)
