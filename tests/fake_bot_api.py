"""A fake Telegram Bot API server on 127.0.0.1 (aiohttp, a free port) for the runtime tests.

It answers ``/bot<token>/<method>`` like api.telegram.org: getUpdates long-polls the updates a
test queued with ``message()``/``press()``/``sticker()``; sendMessage and the others are
recorded in ``calls`` and answered with message ids. ``fail("sendMessage", 429, retry_after=1)``,
``fail("sendMessage", 500)`` and ``fail("sendMessage", "drop")`` make the next such call fail
(a drop closes the connection without an answer), so retries can be tested.
``limit_rate("sendMessage", 30)`` answers 429 (with retry_after) to a call that would exceed 30
accepted calls in the last second, as Telegram does with a broadcast that is too fast;
``fail_every("sendMessage", 100)`` answers every 100th such call with a 429 regardless.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-fake-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "政策助手", "username": "cbec_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip
NON_TEXT = {
    "sticker": {"file_id": "st1", "file_unique_id": "ust1", "type": "regular", "width": 512, "height": 512,
                "is_animated": False, "is_video": False, "emoji": "😀"},
    "photo": [{"file_id": "ph1", "file_unique_id": "uph1", "width": 90, "height": 90}],
    "voice": {"file_id": "vo1", "file_unique_id": "uvo1", "duration": 3},
    "document": {"file_id": "do1", "file_unique_id": "udo1", "file_name": "a.pdf"},
    "location": {"latitude": 38.91, "longitude": 121.6},
}  # fmt: skip


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what the server answered (None for an injected failure)
    path: str = ""

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def message_id(self) -> int:
        return int(self.result["message_id"])

    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[Any, int]]] = {}
        self.rate_limits: dict[str, tuple[int, int]] = {}  # method -> (calls per second, retry_after)
        self.periodic: dict[str, tuple[int, int]] = {}  # method -> (every n-th call, retry_after)
        self.too_many: dict[str, int] = {}  # method -> 429s answered (injected or over the rate)
        self._seen: dict[str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- running ------------------------------------------------------------------------------
    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test does -----------------------------------------------------------------------
    def fail(self, method: str, status: int | str, retry_after: int = 1) -> None:
        self.failures.setdefault(method, []).append((status, retry_after))

    def limit_rate(self, method: str, per_second: int = 30, retry_after: int = 1) -> None:
        self.rate_limits[method] = (per_second, retry_after)

    def fail_every(self, method: str, n: int, retry_after: int = 1) -> None:
        self.periodic[method] = (n, retry_after)

    def delivered(self, chat: int | str | None = None, method: str = "sendMessage") -> list[Call]:
        """The calls the server accepted (a 429 or other injected failure is not one)."""
        return [c for c in self.sent(chat, method) if c.result is not None]

    def message(self, text: str | None = None, *, user: int = 1001, chat: int | None = None,
                reply_to: int | None = None, kind: str = "text", name: str = "李经理") -> int:  # fmt: skip
        chat_id = chat if chat is not None else user
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "staff"},
            "from": {"id": user, "is_bot": False, "first_name": name, "language_code": "zh-hans"},
        }  # fmt: skip
        if kind == "text":
            message["text"] = text
            if text and text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        else:
            message[kind] = NON_TEXT[kind]
        if reply_to is not None:
            message["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                           "chat": message["chat"], "text": "…"}  # fmt: skip
        self._queue({"message": message})
        return message["message_id"]

    def press(self, data: str, *, user: int = 1001, on_message: int = 1) -> str:
        query_id = f"cq{next(self._update_ids)}"
        message = {"message_id": on_message, "date": int(time.time()), "chat": {"id": user, "type": "private"},
                   "from": BOT, "text": "…"}  # fmt: skip
        query = {"id": query_id, "from": {"id": user, "is_bot": False, "first_name": "李经理"},
                 "chat_instance": "ci1", "data": data, "message": message}  # fmt: skip
        self._queue({"callback_query": query})
        return query_id

    def _queue(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._arrived.set()

    def sent(self, chat: int | str | None = None, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat is None or c.chat_id == str(chat))]

    async def wait_for(self, count: int, chat: int | str | None = None, method: str = "sendMessage",
                       timeout: float = 15.0) -> list[Call]:  # fmt: skip
        """The first ``count`` such calls, once they have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.sent(chat, method)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [(c.method, c.chat_id, c.text[:60]) for c in self.calls]
                raise AssertionError(f"expected {count} {method} to {chat}, got: {got}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))
            except TimeoutError:
                pass
        return self.sent(chat, method)[:count]

    # -- the Bot API ----------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, path=request.path)
        failure = self._take_failure(method) or self._too_many(method)
        if failure is None:
            handler = getattr(self, f"_{method}", None)
            call.result = await handler(params) if handler else True
        if method != "getUpdates":
            self.calls.append(call)
            self._changed.set()
        if failure is not None:
            return failure(request)
        return web.json_response({"ok": True, "result": call.result})

    def _too_many(self, method: str):
        """429 for the n-th call (fail_every) or one over the rate (limit_rate)."""
        self._seen[method] = self._seen.get(method, 0) + 1
        retry_after = None
        if method in self.periodic and self._seen[method] % self.periodic[method][0] == 0:
            retry_after = self.periodic[method][1]
        elif method in self.rate_limits:
            per_second, wait = self.rate_limits[method]
            now = time.monotonic()
            recent = sum(1 for c in self.calls if c.method == method and c.result is not None and c.at > now - 1.0)
            if recent >= per_second:
                retry_after = wait
        if retry_after is None:
            return None
        self.too_many[method] = self.too_many.get(method, 0) + 1
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after}}  # fmt: skip
        return lambda request: web.json_response(body, status=429)

    def _take_failure(self, method: str):
        queued = self.failures.get(method)
        if not queued:
            return None
        status, retry_after = queued.pop(0)
        if status == "drop":

            def drop(request: web.Request) -> web.StreamResponse:
                assert request.transport is not None
                request.transport.close()  # the client sees the connection end without an answer
                return web.Response(status=500)

            return drop
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": f"fake failure {status}"}
        if status == 429:
            body["description"] = f"Too Many Requests: retry after {retry_after}"
            body["parameters"] = {"retry_after": retry_after}
        return lambda request: web.json_response(body, status=int(status))

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(float(params.get("timeout") or 0), 2.0))
            except TimeoutError:
                pass
        return list(self._updates)

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {"message_id": next(self._message_ids), "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}, "from": BOT}  # fmt: skip


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters from a JSON, form or multipart body; nested values arrive as JSON text."""
    if request.content_type == "application/json":
        raw = await request.json()
    elif request.can_read_body:
        raw = dict(await request.post())
    else:
        raw = dict(request.query)
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[name] = value
    return params
