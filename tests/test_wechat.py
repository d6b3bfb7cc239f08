"""The Official Account channel, end to end: the real app in a real uvicorn server
(tests/wechat_harness.py), pushes signed (and in safe mode encrypted) by the fake WeChat
server (tests/fake_wechat.py), which also plays the API the customer-service messages and the
menu go to. Asserts what the WeChat user reads, what WeChat's API received, and the rows."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import conversation_scripts as scripts
import pytest
from click.testing import CliRunner
from conversation_driver import Chat
from fake_wechat import SECRET, TOKEN, FakeWeChat
from wechat_harness import NUMBERED, WeChatReply, serving

from bot.cli.commands import main
from bot.conversation.flows.handoff import WHERE
from bot.conversation.guard import NOT_TEXT
from bot.records import report
from bot.records.catalog import intent_catalog
from bot.records.stats import Scope
from policy_faq.typography import fullwidth

CBEC_BOT = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]


async def test_server_check_echoes_and_a_wrong_signature_is_refused_unread(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        assert await app.fake.get(app.callback, "echo-4711") == (200, "echo-4711")
        assert (await app.fake.get(app.callback, "echo-4711", token="wrongToken"))[0] == 403
        pushed = await app.push(app.fake.text_xml("oUser-x", "海外仓补贴怎么申请"), token="wrongToken")
        assert (pushed.status, pushed.text) == (403, None)
        safe = await app.push(app.fake.text_xml("oUser-x", "海外仓补贴怎么申请"), safe=True, token="wrongToken")
        assert safe.status == 403
        async with aiohttp.ClientSession() as client, client.post(app.callback, data=b"<xml/>") as response:
            assert response.status == 403  # no signature at all
        assert await app.rows("SELECT * FROM wechat_replies") == []
        assert await app.rows("SELECT * FROM enquiries") == []


async def test_without_the_settings_there_is_no_wechat_endpoint(tmp_path: Path) -> None:
    async with serving(tmp_path, wechat_token=None, wechat_appid=None) as app:
        assert app.web.wechat is None
        async with aiohttp.ClientSession() as client, client.get(app.callback) as response:
            assert response.status in (404, 405)


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
async def test_figure_sources_and_feedback_as_on_telegram(tmp_path: Path, safe: bool) -> None:
    async with serving(tmp_path, safe=safe) as app:
        user = app.user()
        answer = await scripts.figure_sources_and_feedback(user)
        assert NUMBERED.match(answer.text.split("\n")[-1])  # the buttons are numbered lines
        [row] = await app.rows("SELECT user_key FROM enquiries")
        assert user.openid not in row["user_key"] and len(row["user_key"]) == 64  # pseudonymised


async def test_welcome_and_the_clarify_script_as_on_telegram(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        welcome = await scripts.welcome_with_the_nine_topics(app.user("oUser-a"))
        assert "回复1：选择地区" in welcome.text and "回复10：转人工" in welcome.text
        clarify = await scripts.menu_clarify_answer_thumbs_up(app.user("oUser-b"))
        assert clarify.numbers["都不是，转人工"]


async def test_calc_resumes_after_a_restart_as_on_telegram(tmp_path: Path) -> None:
    fake = await FakeWeChat().start()

    @asynccontextmanager
    async def session():
        async with serving(tmp_path, fake=fake) as app:  # a new server on the same database each time
            yield app.user()

    try:
        await scripts.calc_resumes_after_a_restart(session)
    finally:
        await fake.stop()


def same_but_the_channel(text: str) -> str:
    """A reply with what rightly differs between channels taken out: where a staff reply will
    appear, and the ticket number (the two users each open one)."""
    for where in WHERE.values():
        text = text.replace(fullwidth(where), "<where>")
    return re.sub(r"工单编号#\d+", "工单编号#N", text).rstrip()


async def test_same_answers_as_the_web_chat(tmp_path: Path) -> None:
    """The same messages through /api/chat and /wechat of one server: the same texts, the
    buttons as numbered lines with the same labels, and a number works as the button."""
    said = ["/start", "海外仓花了80万能补多少", "跨境电商出口退税怎么办理", "品牌补贴", "2", "9610是什么", "转人工"]
    async with serving(tmp_path) as app, aiohttp.ClientSession() as client:
        user = app.user("oUser-same")
        previous_web: list[str] = []
        for text in said:
            web_replies, button = None, None
            wechat = await user.say(text)
            if text.isdigit():  # on the web, the button that line stood for
                button = previous_web[int(text) - 1]
            body = {"session": "web-same-session", **({"button": button} if button else {"text": text})}
            async with client.post(f"{app.base}/api/chat", json=body) as response:
                web_replies = (await response.json())["replies"]
            [web] = web_replies
            [reply] = wechat
            assert same_but_the_channel(reply.body) == same_but_the_channel(web["text"]), text
            assert sorted(reply.labels()) == sorted(b["label"] for b in web["buttons"]), text
            more_last = sorted(web["buttons"], key=lambda b: b["value"].startswith("more:"))
            previous_web = [b["value"] for b in more_last]  # in the order WeChat numbers them
        channels = await app.rows("SELECT channel, COUNT(*) AS n FROM enquiries GROUP BY channel ORDER BY channel")
        assert channels[0]["channel"] == "web" and channels[1]["channel"] == "wechat"
        assert channels[0]["n"] == channels[1]["n"] >= 4
        built = await asyncio.to_thread(report.build, app.web.db, Scope.last(2), intent_catalog())
        assert {share.label: share.count for share in built.channels} == {"网页": channels[0]["n"], "微信": channels[1]["n"]}


async def test_retries_of_one_message_get_one_answer_and_one_row(tmp_path: Path, db_target) -> None:
    async with serving(tmp_path, db=db_target) as app:  # SQLite, then PostgreSQL
        xml = app.fake.text_xml("oUser-r", "海外仓补贴要什么材料", msg_id=777001)
        first, *retries = await asyncio.gather(*(app.push(xml) for _ in range(4)))  # WeChat's retries, at once
        later = await app.push(xml)  # and after the answer was given
        assert first.text and "海外仓" in first.text
        assert all(r.text == first.text for r in [*retries, later])
        assert len(await app.rows("SELECT id FROM enquiries")) == 1
        assert await app.rows("SELECT message_key, reply IS NOT NULL AS kept FROM wechat_replies") == [
            {"message_key": "msg:777001", "kept": 1}
        ]
        assert app.fake.sent == []  # nothing was sent twice through the API either
        # events have no MsgId: the sender and CreateTime name them
        subscribe = app.fake.event_xml("oUser-r", "subscribe", created=1_790_000_000)
        pushes = [await app.push(subscribe) for _ in range(3)]
        assert len({p.text for p in pushes}) == 1 and "我是跨境电商政策助手" in pushes[0].text
    async with serving(tmp_path, db=db_target) as app:  # a restart: the retry still gets the same reply, not a new answer
        again = await app.push(xml)
        assert again.text == first.text
        assert len(await app.rows("SELECT id FROM enquiries")) == 1


async def test_a_reply_not_ready_in_time_goes_once_as_customer_service_messages(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        app.web.wechat.passive_seconds = 0.0  # as if the answer took longer than WeChat waits
        xml = app.fake.text_xml("oUser-slow", "海外仓补贴怎么申请", msg_id=777002)
        first = await app.push(xml)
        assert (first.status, first.body, first.text) == (200, "success", None)
        [sent] = await app.fake.wait_sent(1, "oUser-slow")
        retries = [await app.push(xml) for _ in range(3)]
        assert [r.body for r in retries] == ["success"] * 3
        await asyncio.sleep(0.3)
        assert len(app.fake.sent) == 1 and "海外仓" in sent.text and NUMBERED.match(sent.text.split("\n")[-1])
        assert len(await app.rows("SELECT id FROM enquiries")) == 1


async def test_when_the_api_refuses_a_late_reply_the_retry_takes_it_passively(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        app.web.wechat.passive_seconds = 0.0
        app.fake.fail("message/custom/send", 48001)  # e.g. an account without the customer-service API
        xml = app.fake.text_xml("oUser-noapi", "海外仓补贴怎么申请", msg_id=777003)
        assert (await app.push(xml)).body == "success"
        for _ in range(100):
            if app.fake.refused and not app.web.wechat.pushes["msg:777003"].via_api:
                break
            await asyncio.sleep(0.05)
        retry = await app.push(xml)  # WeChat's retry, 5 s later
        assert retry.text and "海外仓" in retry.text and app.fake.sent == []
        assert len(await app.rows("SELECT id FROM enquiries")) == 1


async def test_a_long_reply_is_split_the_rest_as_customer_service_messages(tmp_path: Path) -> None:
    async with serving(tmp_path) as app, aiohttp.ClientSession() as client:
        user = app.user("oUser-long")
        [listed] = await user.say("/checklist")
        [first] = await user.press("申报大连高新区首单滞销风险补偿支持（征求意见稿）")
        [rest] = await app.fake.wait_sent(1, "oUser-long")
        assert len(first.text.encode()) <= 2048 and len(rest.text.encode()) <= 2048
        body = {"session": "web-long-session", "button": "cl:apply-first-order"}
        async with client.post(f"{app.base}/api/chat", json=body) as response:
            [web] = (await response.json())["replies"]
        whole = WeChatReply(f"{first.text}\n{rest.text}")
        assert whole.body == web["text"] and whole.labels() == ["其他清单", "返回菜单"]
        assert len(web["text"].encode()) > 2000
        [back] = await user.say(whole.numbers["返回菜单"])  # the numbers in the second part work
        assert back.text.startswith("请选择主题")


async def test_other_message_kinds_get_the_polite_reply(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        for kind in ("image", "voice", "location", "video"):
            pushed = await app.push(app.fake.media_xml("oUser-k", kind))
            assert pushed.text == fullwidth(NOT_TEXT), kind  # as on Telegram and the web
        assert await app.rows("SELECT id FROM enquiries") == []


async def test_menu_clicks_are_the_buttons_of_the_other_channels(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        clicked = await app.push(app.fake.event_xml("oUser-m", "CLICK", key="t:warehouse"))
        assert "「海外仓」常见问题" in clicked.text and "回复1：" in clicked.text
        opened = await app.push(app.fake.event_xml("oUser-m", "VIEW", key="https://example.invalid/"))
        assert (opened.status, opened.body) == (200, "success")
        gone = await app.push(app.fake.event_xml("oUser-m", "unsubscribe"))
        assert (gone.status, gone.body) == (200, "success")


async def test_hand_off_answered_with_the_cli_reaches_the_user_after_a_token_expiry(tmp_path: Path) -> None:
    async with serving(tmp_path) as app:
        user = app.user("oUser-h")
        await user.say("海外仓补贴要什么材料")
        [told] = await user.say("转人工")
        assert "工单编号#1" in told.text and WHERE["wechat"] in told.text
        app.fake.fail("message/custom/send", 40001, 45009)  # the token expired, then a rate limit
        replied = await asyncio.to_thread(
            subprocess.run, [*CBEC_BOT, "handoff", "reply", "1", "请准备费用凭证和合同", "--as", "王老师"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert replied.returncode == 0, replied.stderr
        [sent] = await app.fake.wait_sent(1, "oUser-h")
        assert sent.text == "人工客服回复（工单#1）：\n请准备费用凭证和合同"
        assert [r["errcode"] for r in app.fake.refused] == [40001, 45009]
        assert len(app.fake.tokens) == 2 and sent.token == app.fake.tokens[-1]  # fetched again once
        await asyncio.sleep(1.5)  # another round of the courier: nothing is sent twice
        assert len(app.fake.sent) == 1
        [ticket] = await app.rows("SELECT channel, chat_id, state FROM tickets")
        assert ticket == {"channel": "wechat", "chat_id": "oUser-h", "state": "answered"}


async def test_wechat_menu_sets_the_topics_and_tools(tmp_path: Path) -> None:
    fake = await FakeWeChat().start()
    try:
        env = {"CBEC_WECHAT_TOKEN": TOKEN, "CBEC_WECHAT_APPID": "wx0123456789abcdef", "CBEC_WECHAT_SECRET": SECRET,
               "CBEC_WECHAT_API_URL": fake.url}  # fmt: skip


        done = await asyncio.to_thread(
            subprocess.run, [*CBEC_BOT, "wechat", "menu"], capture_output=True, text=True, timeout=60,
            env={**os.environ, **env},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "menu set: 3 groups" in done.stdout
        [menu] = fake.menus
        names = [[entry["name"] for entry in group["sub_button"]] for group in menu["button"]]
        assert names == [["补贴申报", "税收", "通关", "海外仓", "外汇金融"], ["品牌与知识产权", "选择地区", "使用说明"],
                         ["补贴测算", "办事清单", "转人工"]]  # fmt: skip
        keys = [entry["key"] for group in menu["button"] for entry in group["sub_button"]]
        assert "t:warehouse" in keys and "cmd:human" in keys
        missing = CliRunner().invoke(main, ["wechat", "menu"])  # WeChat off in this environment
        assert missing.exit_code == 2 and "CBEC_WECHAT_SECRET" in missing.output
        shown = CliRunner().invoke(main, ["wechat", "menu", "--show"])
        assert shown.exit_code == 0 and json.loads(shown.output) == menu
    finally:
        await fake.stop()


def test_a_number_presses_its_line_and_any_other_text_is_a_question(tmp_path: Path) -> None:
    """The core on the wechat channel (tests/conversation_driver.py, no server): the buttons
    are lines, "2" presses the second, a number no line has is read as a message."""
    chat = Chat(tmp_path / "cbec.db", channel="wechat", user="oUser-n")
    try:
        [welcome] = chat.say("/start")
        assert welcome.buttons == () and "\n回复1：选择地区\n回复2：补贴申报\n" in welcome.text
        [region] = chat.say("1")
        assert region.text.startswith("请选择企业所在地区") and "回复1：大连高新区" in region.text
        [chosen] = chat.say("1。")
        assert chosen.text.startswith("已设为「大连高新区」")
        [answer] = chat.say("88")  # no line 88: an ordinary message
        assert not answer.text.startswith("已设为")
        assert chat.rows("SELECT text FROM enquiries") == [{"text": "88"}]
    finally:
        chat.close()


async def test_hand_off_answered_from_the_dashboard_reaches_the_user(tmp_path: Path) -> None:
    async with serving(tmp_path) as app, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as staff:
        user = app.user("oUser-d")
        await user.say("海外仓补贴要什么材料")
        await user.say("转人工")
        added = await asyncio.to_thread(
            subprocess.run, [*CBEC_BOT, "staff", "add", "alice", "--role", "staff", "--password-stdin"],
            input="correct horse battery staple\n", capture_output=True, text=True, timeout=60,
            env={**os.environ, "CBEC_DB": str(tmp_path / "cbec.db")},
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        origin = {"origin": app.base}
        form = {"name": "alice", "password": "correct horse battery staple", "next": "/staff"}
        async with staff.post(f"{app.base}/staff/login", data=form, headers=origin, allow_redirects=False) as response:
            assert response.status == 303
        async with staff.get(f"{app.base}/staff/handoffs/1") as response:
            page = await response.text()
            assert "工单#1" in page and "微信" in page and "海外仓补贴要什么材料" in page
        reply = {"text": "请准备仓储合同和费用凭证"}
        async with staff.post(f"{app.base}/staff/handoffs/1/reply", data=reply, headers=origin, allow_redirects=False) as response:
            assert response.status == 303
        [sent] = await app.fake.wait_sent(1, "oUser-d")  # through the customer-service API
        assert sent.text == "人工客服回复（工单#1）：\n请准备仓储合同和费用凭证"
