"""A fake WeChat on 127.0.0.1, both of its sides, written from WeChat's documentation (not
from wechatpy, which the app uses, so that a wrong use of the library shows):

- the API server (aiohttp, a free port): ``/cgi-bin/token`` hands out access tokens,
  ``/cgi-bin/message/custom/send`` records customer-service messages, ``/cgi-bin/menu/create``
  records the menu. ``fail(path, errcode)`` makes the next call to ``path`` answer with that
  errcode (40001: token invalid, 45009: rate limit), so refreshes and retries can be tested.
- the pusher: ``push()`` posts a user's message to the callback URL as WeChat's servers do,
  signed with the token, and in safe mode encrypted (AES-256-CBC, WeChat's message format);
  it checks and decrypts the passive reply and returns its text.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import socket
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "cbecTestToken2026"
APPID = "wx0123456789abcdef"
SECRET = "fake-app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the settings page gives
ACCOUNT = "gh_cbec_test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _cipher() -> Cipher:
    key = base64.b64decode(AES_KEY + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(text: str) -> str:
    body = text.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + APPID.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = _cipher().encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(encrypted: str) -> str:
    decryptor = _cipher().decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    size = struct.unpack(">I", plain[16:20])[0]
    assert plain[20 + size :].decode() == APPID, "the reply is encrypted for another AppID"
    return plain[20 : 20 + size].decode()


def cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class Sent:
    touser: str
    text: str
    token: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class Pushed:
    status: int
    body: str
    text: str | None  # the passive reply's text; None for "success" or an empty answer
    seconds: float


class FakeWeChat:
    def __init__(self) -> None:
        self.sent: list[Sent] = []  # customer-service messages accepted
        self.refused: list[dict] = []  # calls answered with an injected errcode
        self.menus: list[dict] = []
        self.tokens: list[str] = []  # access tokens handed out, in order
        self._failures: dict[str, list[int]] = {}
        self._msg_ids = itertools.count(6_100_000_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.url = ""

    # -- the API server -----------------------------------------------------------------------
    async def start(self) -> FakeWeChat:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        self._client = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, path: str, *errcodes: int) -> None:
        """The next calls to ``path`` ("message/custom/send") answer these errcodes, in order."""
        self._failures.setdefault(path, []).extend(errcodes)

    def texts(self, openid: str) -> list[str]:
        return [s.text for s in self.sent if s.touser == openid]

    async def wait_sent(self, count: int, openid: str | None = None, timeout: float = 15.0) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while True:
            sent = [s for s in self.sent if openid is None or s.touser == openid]
            if len(sent) >= count or time.monotonic() > deadline:
                return sent
            await asyncio.sleep(0.05)

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("grant_type"), query.get("appid"), query.get("secret")) != ("client_credential", APPID, SECRET):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"ACCESS_TOKEN_{len(self.tokens) + 1}"
        self.tokens.append(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    def _refusal(self, path: str, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        if token != (self.tokens[-1] if self.tokens else None):
            code = 40001  # not the latest token WeChat handed out
        elif self._failures.get(path):
            code = self._failures[path].pop(0)
        else:
            return None
        self.refused.append({"path": path, "errcode": code, "token": token})
        return web.json_response({"errcode": code, "errmsg": f"fake error {code}"})

    async def _custom_send(self, request: web.Request) -> web.Response:
        refused = self._refusal("message/custom/send", request)
        if refused is not None:
            return refused
        body = await request.json()
        assert body["msgtype"] == "text", body
        self.sent.append(Sent(body["touser"], body["text"]["content"], request.query["access_token"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu_create(self, request: web.Request) -> web.Response:
        refused = self._refusal("menu/create", request)
        if refused is not None:
            return refused
        self.menus.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # -- the pusher ----------------------------------------------------------------------------
    def text_xml(self, openid: str, content: str, msg_id: int | None = None, created: int | None = None) -> str:
        msg_id = msg_id or next(self._msg_ids)
        return (f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
                f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
                f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>")  # fmt: skip

    def event_xml(self, openid: str, event: str, key: str | None = None, created: int | None = None) -> str:
        key_xml = f"<EventKey>{cdata(key)}</EventKey>" if key is not None else ""
        return (f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
                f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType>{cdata('event')}</MsgType>"
                f"<Event>{cdata(event)}</Event>{key_xml}</xml>")  # fmt: skip

    def media_xml(self, openid: str, kind: str) -> str:
        fields = {
            "image": f"<PicUrl>{cdata('http://127.0.0.1/x.jpg')}</PicUrl><MediaId>{cdata('m1')}</MediaId>",
            "voice": f"<MediaId>{cdata('m2')}</MediaId><Format>{cdata('amr')}</Format>",
            "location": "<Location_X>38.91</Location_X><Location_Y>121.6</Location_Y><Scale>15</Scale>"
                        f"<Label>{cdata('大连')}</Label>",
            "video": f"<MediaId>{cdata('m3')}</MediaId><ThumbMediaId>{cdata('m4')}</ThumbMediaId>",
        }[kind]  # fmt: skip
        return (f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(kind)}</MsgType>{fields}"
                f"<MsgId>{next(self._msg_ids)}</MsgId></xml>")  # fmt: skip

    async def push(self, callback: str, xml: str, *, safe: bool = False, token: str = TOKEN) -> Pushed:
        """POST ``xml`` to the callback as WeChat does; ``token`` other than the account's makes
        a wrong signature. Checks the reply is addressed back to the sender, signed in safe mode."""
        timestamp, nonce = str(int(time.time())), str(int.from_bytes(os.urandom(4), "big"))
        query: dict[str, Any] = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                                 "openid": ET.fromstring(xml).findtext("FromUserName")}  # fmt: skip
        body = xml
        if safe:
            encrypted = encrypt(xml)
            query.update(encrypt_type="aes", msg_signature=sign(token, timestamp, nonce, encrypted))
            body = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
        assert self._client is not None
        started = time.monotonic()
        async with self._client.post(callback, params=query, data=body.encode(),
                                     headers={"content-type": "text/xml"}) as response:  # fmt: skip
            status, answer = response.status, await response.text()
        seconds = time.monotonic() - started
        if status != 200 or answer in ("", "success"):
            return Pushed(status, answer, None, seconds)
        reply = ET.fromstring(answer)
        if safe:
            encrypted = reply.findtext("Encrypt") or ""
            expected = sign(TOKEN, reply.findtext("TimeStamp") or "", reply.findtext("Nonce") or "", encrypted)
            assert reply.findtext("MsgSignature") == expected, "the encrypted reply's signature does not match"
            reply = ET.fromstring(decrypt(encrypted))
        pushed = ET.fromstring(xml)
        assert reply.findtext("ToUserName") == pushed.findtext("FromUserName")
        assert reply.findtext("FromUserName") == ACCOUNT and reply.findtext("MsgType") == "text"
        return Pushed(status, answer, reply.findtext("Content"), seconds)

    async def get(self, callback: str, echostr: str, token: str = TOKEN) -> tuple[int, str]:
        """WeChat's server check when the URL is saved in the Official Account settings."""
        timestamp, nonce = str(int(time.time())), "12345"
        query = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": echostr}
        assert self._client is not None
        async with self._client.get(callback, params=query) as response:
            return response.status, await response.text()
