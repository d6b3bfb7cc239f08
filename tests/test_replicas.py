"""Two `cbec-bot serve` replicas on one PostgreSQL behave as one assistant (issue 17).

Both run as real processes on the session's throwaway PostgreSQL server, with the Telegram bot
in webhook mode against the fake Bot API. A web session alternates between them mid-dialogue;
a hand-off opened on one is answered from the dashboard of the other and reaches the user
polling the first; an FAQ edit an operator makes on one is answering on the other seconds
later; one Telegram update posted to both webhooks is answered once; and every enquiry is in
the log exactly once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fake_bot_api import TOKEN, FakeBotApi

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.web.passwords import hash_password
from bot.storage import open_database
from policy_faq.faq import FAQ_DIR

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]
HOOK_SECRET = "hook-secret-for-replicas"
OPERATOR, PASSWORD = "olga", "op-pass-2026"
NEW_QUESTION = "蓝鲸七号计划具体是什么"  # no intent answers it before the edit
FLOOD = 12  # web chat messages per session per minute
pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as above:  # the webhook listens one port above
            try:
                above.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


async def _start(env: dict[str, str], workdir: Path) -> tuple[asyncio.subprocess.Process, str, int]:
    port = _free_port()
    workdir.mkdir()
    log = open(workdir / "serve.log", "w")  # noqa: SIM115 - the process writes it until it ends
    process = await asyncio.create_subprocess_exec(
        *CLI, "serve", env={**env, "CBEC_PORT": str(port)}, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        deadline = time.monotonic() + 90
        while True:
            assert process.returncode is None, (workdir / "serve.log").read_text()[-3000:]
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return process, base, port
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "replica did not come up"
            await asyncio.sleep(0.2)


async def _say(client: httpx.AsyncClient, session: str, text: str | None = None, button: str | None = None) -> list[dict]:
    body = {"session": session, **({"text": text} if text is not None else {"button": button})}
    response = await client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


async def test_two_replicas_on_one_postgresql_are_one_assistant(pg_url: str, tmp_path: Path) -> None:
    faq = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, faq)
    api = await FakeBotApi().start()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CBEC_")}
    env.update(
        CBEC_DB=pg_url, CBEC_SECRET="replica-secret-of-more-than-32-bytes", PYTHONPATH=str(ROOT), CBEC_LOG_LEVEL="WARNING",
        CBEC_FAQ_DIR=str(faq), CBEC_SPOOL_DIR=str(tmp_path / "spool"),
        CBEC_STAFF_USERS=f"{OPERATOR}:operator:{hash_password(PASSWORD, iterations=1000)}",
        CBEC_TELEGRAM_TOKEN=TOKEN, CBEC_TELEGRAM_API_URL=api.url, CBEC_TELEGRAM_MODE="webhook",
        CBEC_WEBHOOK_SECRET=HOOK_SECRET, CBEC_FLOOD_LIMIT=str(FLOOD),
    )  # fmt: skip
    a_process, a_url, a_port = await _start(env, tmp_path / "a")
    b_process, b_url, b_port = await _start(env, tmp_path / "b")
    said: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=a_url, timeout=60) as a, httpx.AsyncClient(base_url=b_url, timeout=60) as b:
            # 1. one web session, alternating replicas in the middle of the /calc dialogue
            session = "replica-session-1"
            replies = await _say(a, session, button="cmd:calc")
            assert "请选择要测算的支持项目" in replies[0]["text"]
            replies = await _say(b, session, button="c:pick:industrial-park")
            assert "已选：跨境电商产业园建设" in replies[0]["text"]
            replies = await _say(a, session, button="c:pick:training")
            assert "已选：跨境电商产业园建设、跨境电商人才培训" in replies[0]["text"]
            await _say(b, session, button="c:cancel")

            # 2. a hand-off opened on A, answered from B's dashboard, reaches the user polling A
            user = "replica-session-2"
            said.append("转人工")
            replies = await _say(a, user, text="转人工")
            assert any("已为您转人工，工单编号#1。" in reply["text"] for reply in replies)
            login = await b.post("/staff/login", data={"name": OPERATOR, "password": PASSWORD, "next": "/staff"})
            assert login.status_code == 303, login.text
            answered = await b.post("/staff/handoffs/1/reply", data={"text": "您好，补贴请带发票到高新区商务局。"})
            assert answered.status_code in (200, 303), answered.text
            polled = (await a.post("/api/chat/poll", json={"session": user})).json()["replies"]
            assert ["您好，补贴请带发票到高新区商务局。" in reply["text"] for reply in polled] == [True]
            assert (await b.post("/api/chat/poll", json={"session": user})).json()["replies"] == []  # once only

            # 3. an operator's FAQ edit on A answers on B within seconds (B reloads through its own gate)
            said.append(NEW_QUESTION)
            await _say(b, "replica-session-3", text=NEW_QUESTION)
            login = await a.post("/staff/login", data={"name": OPERATOR, "password": PASSWORD, "next": "/staff"})
            assert login.status_code == 303
            edit = await a.post("/staff/faq/question",
                                data={"intent": "gxq-overseas-warehouse-subsidy", "question": NEW_QUESTION})  # fmt: skip
            assert edit.status_code == 200 and f"已生效：把问法「{NEW_QUESTION}」" in edit.text, edit.text[-2000:]
            published = _rows(pg_url, "SELECT version FROM faq_published ORDER BY id DESC LIMIT 1")[0]["version"]
            assert (await a.get("/healthz")).json()["faq_version"] == published
            started = time.monotonic()
            while (await b.get("/healthz")).json()["faq_version"] != published:
                assert time.monotonic() - started < 60, "replica B never loaded the published FAQ"
                await asyncio.sleep(0.2)
            reload_seconds = time.monotonic() - started
            said.append(NEW_QUESTION)
            await _say(b, "replica-session-3", text=NEW_QUESTION)

            # 4. one Telegram update posted to both replicas' webhooks is answered once
            update = {"update_id": 9_000_001, "message": {
                "message_id": 77, "date": int(time.time()), "chat": {"id": 5005, "type": "private"},
                "from": {"id": 5005, "is_bot": False, "first_name": "李经理", "language_code": "zh-hans"},
                "text": "海外仓补贴怎么申请"}}  # fmt: skip
            said.append("海外仓补贴怎么申请")
            hooks = [f"http://127.0.0.1:{port + 1}/telegram/webhook" for port in (a_port, b_port)]
            async with httpx.AsyncClient(timeout=30) as telegram:
                posted = await asyncio.gather(*[
                    telegram.post(hook, json=update, headers={SECRET_HEADER: HOOK_SECRET}) for hook in hooks * 2])  # fmt: skip
            assert [response.status_code for response in posted] == [200] * 4
            await api.wait_for(1, chat=5005, timeout=30)
            await asyncio.sleep(1.0)  # time for a second (wrong) answer to arrive
            assert len(api.sent(5005)) == 1

            # 5. rate limits and login throttling count both replicas together
            flooded = "replica-flood"
            for n in range(FLOOD):
                said.append(f"刷屏{n}")
                await _say(a if n % 2 else b, flooded, text=f"刷屏{n}")
            slowed = await (a if FLOOD % 2 else b).post("/api/chat", json={"session": flooded, "text": "再来一条"})
            assert slowed.status_code == 429 and "稍等" in slowed.json()["replies"][0]["text"]
            guesses = [await (a if n % 2 else b).post("/staff/login", data={"name": OPERATOR, "password": f"wrong{n}"})
                       for n in range(11)]  # fmt: skip
            assert [g.status_code for g in guesses] == [401] * 10 + [429]

            # 6. every web and Telegram enquiry is in the log exactly once
            for n in range(10):
                text = f"第{n}个问题：海外仓补贴"
                said.append(text)
                await _say(a if n % 2 else b, f"replica-session-{n + 10}", text=text)
    finally:
        for process in (a_process, b_process):
            if process.returncode is None:
                process.terminate()
        for process in (a_process, b_process):
            assert await asyncio.wait_for(process.wait(), 30) == 0
        await api.stop()
    answers = _rows(pg_url, "SELECT intent, faq_version FROM enquiries WHERE text = ? ORDER BY time", (NEW_QUESTION,))
    assert answers[0]["intent"] is None and answers[0]["faq_version"] != published  # before the edit: no answer
    assert answers[-1] == {"intent": "gxq-overseas-warehouse-subsidy", "faq_version": published}
    logged = _rows(pg_url, "SELECT text, count(*) AS n FROM enquiries GROUP BY text")
    assert {row["text"]: row["n"] for row in logged} == {text: said.count(text) for text in said}
    assert _rows(pg_url, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM enquiries")[0]["n"] == len(said)
    print(f"FAQ reload reached replica B in {reload_seconds:.1f} s")


def _rows(url: str, sql: str, params: tuple = ()) -> list[dict]:
    db = open_database(url)
    try:
        return db.query(sql, params)
    finally:
        db.close()
