"""The real ``cbec-bot serve`` app (create_app, the lifespan, the routes) in a real uvicorn
server on 127.0.0.1, with WeChat on and its API pointed at the fake WeChat server
(tests/fake_wechat.py), over a real SQLite file and the real enquiry log."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fake_wechat import AES_KEY, APPID, SECRET, TOKEN, FakeWeChat, Pushed, free_port

from bot.channels.web.app import create_app
from bot.settings import load_settings

NUMBERED = re.compile(r"^回复(\d+)：(.*)$")


class Serving:
    def __init__(self, fake: FakeWeChat, base: str, app: Any, safe: bool) -> None:
        self.fake, self.base, self.app, self.safe = fake, base, app, safe
        self.callback = f"{base}/wechat"

    @property
    def web(self) -> Any:
        return self.app.state.web

    async def push(self, xml: str, **options: Any) -> Pushed:
        options.setdefault("safe", self.safe)
        return await self.fake.push(self.callback, xml, **options)

    async def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        def read() -> list[dict]:
            if self.web.log is not None:
                self.web.log.flush()
            self.web.db.flush()
            return self.web.db.query(sql, params)

        return await asyncio.to_thread(read)

    def user(self, openid: str = "oUser-0001") -> WeChatUser:
        return WeChatUser(self, openid)


class WeChatReply:
    """A passive reply as the user reads it: the text, with the numbered lines 「回复1：…」 a
    button became (``labels()``, in number order)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers: dict[str, str] = {}
        body = []
        for line in text.split("\n"):
            numbered = NUMBERED.match(line)
            if numbered:
                self.numbers[numbered.group(2)] = numbered.group(1)
            else:
                body.append(line)
        self.body = "\n".join(body)  # the text without the numbered lines

    def labels(self) -> list[str]:
        return list(self.numbers)


class WeChatUser:
    """The user of tests/conversation_scripts.py on the Official Account: types texts, and
    "presses" a button by replying the number of its line."""

    channel = "wechat"

    def __init__(self, serving: Serving, openid: str) -> None:
        self.serving, self.openid = serving, openid
        self.last: list[WeChatReply] = []

    async def say(self, text: str) -> list[WeChatReply]:
        """The reply the user reads: the passive one, or, when the answer took longer than
        WeChat waits (a loaded test machine), the customer-service message it came as."""
        before = len(self.serving.fake.texts(self.openid))
        pushed = await self.serving.push(self.serving.fake.text_xml(self.openid, text))
        assert pushed.status == 200, pushed
        if pushed.text is None and pushed.body == "success":
            late = await self.serving.fake.wait_sent(before + 1, self.openid, timeout=30)
            self.last = [WeChatReply(s.text) for s in late[before:]]
        else:
            self.last = [WeChatReply(pushed.text)] if pushed.text else []
        return self.last

    async def press(self, label: str) -> list[WeChatReply]:
        numbers = [reply.numbers[label] for reply in self.last if label in reply.numbers]
        assert numbers, f"no line {label!r} in {[r.text for r in self.last]}"
        return await self.say(numbers[0])

    async def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        return await self.serving.rows(sql, params)


@asynccontextmanager
async def serving(tmp_path: Path, *, safe: bool = False, fake: FakeWeChat | None = None, **settings: Any):
    """The app serving on a free port until the block ends (its lifespan shutdown drains the log)."""
    own_fake = fake is None
    fake = fake or await FakeWeChat().start()
    options = {"db": tmp_path / "cbec.db", "wechat_token": TOKEN, "wechat_appid": APPID, "wechat_secret": SECRET,
               "wechat_api_url": fake.url, **({"wechat_aes_key": AES_KEY} if safe else {}), **settings}  # fmt: skip
    app = create_app(load_settings(**options))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        yield Serving(fake, f"http://127.0.0.1:{port}", app, safe)
    finally:
        server.should_exit = True
        await task
        if own_fake:
            await fake.stop()
