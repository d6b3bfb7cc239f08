"""``/wechat``: the callback URL of the Official Account (服务器配置 → URL).

GET is WeChat's server check: the signature of (token, timestamp, nonce) must match, then the
echostr goes back. POST is a pushed message: a wrong signature gets 403 and nothing is read.
In safe mode (CBEC_WECHAT_AES_KEY) the message comes encrypted and the reply goes back
encrypted; a plain push is still taken (兼容模式 sends both during a switch-over).

WeChat waits 5 seconds for the passive reply, then retries (three times in all). The push
that arrives first is handled (bot/channels/wechat/replies.py); one that comes again waits for that
same handling and gets the same reply. A reply that is not ready in ``PASSIVE_SECONDS`` is
answered empty ("success") and the text sent as customer-service messages once it is ready
(or, without CBEC_WECHAT_SECRET, left for WeChat's retry to collect). A reply longer than a
passive reply may be (2048 bytes) is split: the first part is the passive reply, the rest
follows as customer-service messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels.telegram.base import SLOW_DOWN, FloodControl, split_text, tidy
from bot.channels.wechat import CHANNEL
from bot.channels.wechat.replies import ReplyStore
from bot.conversation.messages import InboundEvent, OutMessage
from bot.records.durable import until_durable
from bot.records.pseudonym import pseudonymise

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Mapping

    from wechatpy.messages import BaseMessage as WeChatMessage  # what parse_message returns (events too)

    from bot.channels.wechat.api import WeChatApi
    from bot.conversation.core import Conversation
    from bot.settings import Settings
    from bot.storage.base import Storage

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

PASSIVE_SECONDS = 4.0  # of WeChat's 5: the rest is for the network and the encryption
PASSIVE_BYTES = 2048  # the most a passive (and a customer-service) text may have, in UTF-8
SUCCESS = "success"  # "no reply" in WeChat's words: it does not retry and shows nothing
OTHER_CHAT_WAIT = 15.0  # a push another process is handling: how long its reply is waited for
KINDS = {"image": "photo", "voice": "voice", "video": "other", "shortvideo": "other",
         "location": "location", "link": "other", "file": "document"}  # fmt: skip


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def pieces(messages: list[OutMessage]) -> list[str]:
    """The texts for this user, one after another, in parts that fit a WeChat text message.
    WeChat shows an <a href> in a text as a link: no "<" goes out as markup."""
    text = "\n\n".join(tidy(m.text).replace("<", "＜") for m in messages if m.chat_id is None and m.text.strip())
    return split_text(text, PASSIVE_BYTES, measure=utf8_bytes) if text else []


def inbound(message: WeChatMessage) -> InboundEvent | None:
    """The conversation core's event for a pushed message; None for events that want no reply
    (unsubscribe, a link in the menu opened, a location report, …)."""
    user = {"channel": CHANNEL, "user_id": message.source, "chat_id": message.source}
    if message.type == "text":
        return InboundEvent(text=message.content, **user)
    if message.type == "event":
        if message.event in ("subscribe", "subscribe_scan"):
            return InboundEvent(text="/start", **user)  # the welcome with the topics
        if message.event == "click" and message.key:
            return InboundEvent(button=message.key, kind="button", **user)
        return None
    return InboundEvent(kind=KINDS.get(message.type, "other"), **user)


def message_key(message: WeChatMessage) -> str:
    """What identifies a push across WeChat's retries: MsgId, or for events (which have
    none) the sender and CreateTime, as WeChat's documentation advises."""
    if getattr(message, "id", 0):
        return f"msg:{message.id}"
    created = int(message.create_time.timestamp()) if message.create_time else 0
    return f"event:{message.source}:{created}:{getattr(message, 'event', message.type)}"


@dataclass
class Handled:
    parts: list[str]  # the reply in parts that fit; [] for none
    elsewhere: bool = False  # found in the database (a restart, another process): nothing more to send


@dataclass
class Push:
    """One message, however many times WeChat pushes it, in this process."""

    task: asyncio.Future
    via_api: bool = False  # the passive reply ran out of time: everything goes as customer-service messages
    collected: bool = False  # a push got the passive reply (the rest is on its way)


@dataclass
class WeChatChannel:
    settings: Settings
    db: Storage
    conversation: Conversation
    api: WeChatApi | None = None  # bot/channels/wechat/api.py WeChatApi, None without CBEC_WECHAT_SECRET
    forward: Callable[[OutMessage], Awaitable[object]] | None = None  # async: a message for another chat (the Telegram staff chat)
    passive_seconds: float = PASSIVE_SECONDS
    pushes: dict[str, Push] = field(default_factory=dict)
    sending: set[asyncio.Task] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.token = self.settings.wechat_token.get_secret_value()
        self.appid = self.settings.wechat_appid
        aes = self.settings.wechat_aes_key
        self.crypto = WeChatCrypto(self.token, aes.get_secret_value(), self.appid) if aes is not None else None
        self.store = ReplyStore(self.db)
        self.flood = FloodControl(self.settings.flood_limit)
        self.secret = self.settings.secret.get_secret_value()

    # -- the request ---------------------------------------------------------------------------
    def signed(self, query: Mapping[str, str]) -> bool:
        try:
            check_signature(self.token, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return True

    def read(self, body: bytes, query: Mapping[str, str]) -> WeChatMessage:
        """The pushed message; raises InvalidSignatureException (also for a bad msg_signature)."""
        if query.get("encrypt_type") == "aes":
            if self.crypto is None:
                raise ValueError("an encrypted push but no CBEC_WECHAT_AES_KEY")
            body = self.crypto.decrypt_message(body, query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        return parse_message(body)

    def render(self, message: WeChatMessage, text: str, query: Mapping[str, str]) -> str:
        reply = TextReply(message=message, content=text.replace("]]>", "]] >")).render()  # CDATA stays closed
        if query.get("encrypt_type") == "aes" and self.crypto is not None:
            return self.crypto.encrypt_message(reply, query.get("nonce", ""), query.get("timestamp", ""))
        return reply

    async def passive(self, message: WeChatMessage) -> tuple[str | None, list[str]]:
        """(the passive reply text or None for "success", parts still to send by the API)."""
        started = time.monotonic()
        event = inbound(message)
        if event is None:
            return None, []
        key = message_key(message)
        push = self.pushes.get(key)
        if push is None:
            push = self.pushes[key] = Push(asyncio.ensure_future(self._handle_once(key, event)))
            push.task.add_done_callback(lambda _: asyncio.get_running_loop().call_later(60, self.pushes.pop, key, None))
        try:
            handled: Handled = await asyncio.wait_for(
                asyncio.shield(push.task), max(0.0, self.passive_seconds - (time.monotonic() - started))
            )
        except TimeoutError:
            if self.api is not None and not push.via_api:
                push.via_api = True
                push.task.add_done_callback(lambda _: self._spawn(self._send_late(key, event.user_id, push)))
            return None, []
        if push.via_api or not handled.parts:
            return None, []
        rest = [] if push.collected or handled.elsewhere else handled.parts[1:]
        push.collected = True
        return handled.parts[0], rest

    # -- handling, once per message ------------------------------------------------------------
    async def _handle_once(self, key: str, event: InboundEvent) -> Handled:
        user_key = pseudonymise(self.secret, CHANNEL, event.user_id)
        if not await run_in_threadpool(self.store.claim, key, user_key):
            return await self._handled_elsewhere(key)
        verdict = self.flood.check(event.user_id)
        if verdict == "ok":
            replies = await run_in_threadpool(self.conversation.handle, event)
            durable = getattr(self.conversation, "durable", None)
            if durable is not None:  # the enquiry is in the spool or the database before it is answered
                await until_durable(getattr(self.conversation, "recorder", None), durable())
        else:
            replies = [OutMessage(SLOW_DOWN)] if verdict == "warn" else []
        for reply in replies:
            if reply.chat_id is not None and self.forward is not None:
                await self.forward(reply)  # e.g. the hand-off for the Telegram staff chat
        parts = pieces(replies)
        await run_in_threadpool(self.store.answered, key, parts[0] if parts else "")
        return Handled(parts)

    async def _handled_elsewhere(self, key: str) -> Handled:
        deadline = time.monotonic() + OTHER_CHAT_WAIT
        while True:
            seen = await run_in_threadpool(self.store.seen, key)
            if seen is not None and seen.reply is not None:
                return Handled([seen.reply] if seen.reply else [], elsewhere=True)
            if time.monotonic() > deadline:  # claimed by a process that stopped before replying
                return Handled([], elsewhere=True)
            await asyncio.sleep(0.1)

    # -- customer-service messages ---------------------------------------------------------------
    def _spawn(self, coroutine: Coroutine[object, object, object]) -> None:
        task = asyncio.ensure_future(coroutine)
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send_late(self, key: str, openid: str, push: Push) -> None:
        if push.task.cancelled() or push.task.exception() is not None:
            return
        handled: Handled = push.task.result()
        if handled.elsewhere or not handled.parts:
            return
        if await self.send(openid, handled.parts):
            await run_in_threadpool(self.store.answered, key, "")  # a later retry gets no second copy
        else:  # WeChat refused: a retry still on its way may take the passive reply instead
            push.via_api = False

    async def send(self, openid: str, parts: list[str]) -> bool:
        """Customer-service messages, in order; False (logged) when WeChat refused one."""
        from bot.channels.wechat.api import WeChatApiError

        if self.api is None:
            log.warning("a WeChat reply of %d parts not sent: no CBEC_WECHAT_SECRET for the API", len(parts))
            return False
        for part in parts:
            try:
                await run_in_threadpool(self.api.send_text, openid, part)
            except WeChatApiError as error:
                log.error("%s", error)
                return False
        return True

    async def stop(self) -> None:
        """Let the customer-service messages on their way be sent."""
        if self.sending:
            await asyncio.wait(set(self.sending), timeout=30)


@router.get("/wechat")
async def server_check(request: Request) -> Response:
    channel: WeChatChannel | None = getattr(request.app.state.web, "wechat", None)
    if channel is None or not channel.signed(request.query_params):
        return PlainTextResponse("forbidden", status_code=403)
    return PlainTextResponse(request.query_params.get("echostr", ""))


@router.post("/wechat")
async def pushed(request: Request) -> Response:
    channel: WeChatChannel | None = getattr(request.app.state.web, "wechat", None)
    query = request.query_params
    if channel is None or not channel.signed(query):
        return PlainTextResponse("forbidden", status_code=403)
    body = await request.body()
    try:
        message = channel.read(body, query)
    except (InvalidSignatureException, InvalidAppIdException):
        return PlainTextResponse("forbidden", status_code=403)
    except Exception as error:  # noqa: BLE001 - a push we cannot read: said so, nothing handled
        log.warning("unreadable WeChat push: %s", type(error).__name__)
        return PlainTextResponse("bad request", status_code=400)
    try:
        text, rest = await channel.passive(message)
    except Exception:  # noqa: BLE001 - e.g. the database gone: logged, WeChat shows nothing
        log.exception("WeChat push not handled")
        return PlainTextResponse(SUCCESS)
    if text is None:
        return PlainTextResponse(SUCCESS)
    later = BackgroundTask(channel.send, message.source, rest) if rest else None
    return Response(channel.render(message, text, query), media_type="application/xml", background=later)
