"""Subscriptions to policy updates: /subscribe and /unsubscribe on both Telegram runtimes, the web
chat's 订阅更新 button, one digest a day at most, collected by the web page on its next visit, and
a broadcast to 500 Telegram subscribers through the fake Bot API while it answers 429s."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import test_faq_ops
from telegram_harness import USER, running

from bot.channels.digest_delivery import broadcast
from bot.conversation.subscriptions import Subscriptions
from bot.records.policy_changes import detect
from bot.records.pseudonym import pseudonymise
from policy_faq.faq import load_faq

dashboard, faq_copy = test_faq_ops.dashboard, test_faq_ops.faq_copy
WAREHOUSE = "gxq-overseas-warehouse-subsidy"  # topic 补贴申报, region dalian-gxq


def edited(intents: list, intent_id: str, answer_end: str) -> list:
    """The intents with one answer edited, as after an operator's change."""
    return [i.model_copy(update={"answer": i.answer + answer_end}) if i.id == intent_id else i for i in intents]


def intents() -> list:
    return [item.intent for item in load_faq().intents]


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_subscribe_and_unsubscribe_in_telegram(runtime: str, tmp_path: Path) -> None:
    async with running(runtime, tmp_path) as bot:
        [offer] = await bot.say("/subscribe")
        assert offer.text.startswith("订阅政策更新") and ("海外仓", "sub:t:warehouse") in offer.buttons()
        assert ("四川（地区）", "sub:r:sichuan") in offer.buttons()
        [done] = await bot.press("sub:t:warehouse")
        assert done.text.startswith("已订阅「海外仓」的政策更新") and ("退订全部", "sub:off") in done.buttons()
        [named] = await bot.say("/subscribe 四川")
        assert named.text.startswith("已订阅「四川（地区）」")
        rows = bot.rows("SELECT user_key, channel, topic FROM subscriptions ORDER BY topic")
        assert [(r["channel"], r["topic"]) for r in rows] == [("telegram", "r:sichuan"), ("telegram", "t:warehouse")]
        secret = bot.settings.secret.get_secret_value()
        assert {r["user_key"] for r in rows} == {pseudonymise(secret, "telegram", str(USER))}
        [route] = bot.rows("SELECT * FROM subscriber_routes")
        assert str(USER) not in json.dumps(route)  # the chat id only encrypted
        [gone] = await bot.say("/unsubscribe")
        assert gone.text == "已退订全部政策更新，不会再收到摘要。"
        assert bot.rows("SELECT * FROM subscriptions") == [] and bot.rows("SELECT * FROM subscriber_routes") == []


def test_web_subscribe_digest_on_next_visit_once_a_day(dashboard, faq_copy) -> None:
    client, settings = dashboard
    session = "websession-0001"
    offer = client.post("/api/chat", json={"session": session, "button": "sub:menu"}).json()["replies"][0]
    assert offer["text"].startswith("订阅政策更新") and {"label": "补贴申报", "value": "sub:t:subsidy"} in offer["buttons"]
    done = client.post("/api/chat", json={"session": session, "button": "sub:t:subsidy"}).json()["replies"][0]
    assert done["text"].startswith("已订阅「补贴申报」")
    web = client.app.state.web
    today = date.today()
    detect(web.db, intents(), today)  # the courier's first look (already done at start-up: no news)
    detect(web.db, edited(intents(), WAREHOUSE, "\n• 新增说明。"), today)
    assert web.subscriptions.make_digests(today) == 1
    [digest] = client.post("/api/chat/poll", json={"session": session}).json()["replies"]
    assert digest["text"].startswith("【政策更新】您订阅的「补贴申报」有变化")
    assert "• 高新区海外仓补贴：答复已更新。" in digest["text"] and "dalian-gxq" not in digest["text"]
    assert {"label": "查看：高新区海外仓补贴", "value": f"i:{WAREHOUSE}"} in digest["buttons"]
    assert {"label": "退订", "value": "sub:off"} in digest["buttons"]
    assert client.post("/api/chat/poll", json={"session": session}).json()["replies"] == []  # shown once
    # a second change the same day waits for tomorrow's digest
    detect(web.db, edited(intents(), WAREHOUSE, "\n• 再次说明。"), today)
    assert web.subscriptions.make_digests(today) == 0
    assert web.subscriptions.make_digests(today + timedelta(days=1)) == 1
    newer = client.post("/api/chat", json={"session": session, "text": "你好"}).json()["replies"]
    assert any(r["text"].startswith("【政策更新】") for r in newer)  # also on the next message
    # the dashboard counts subscribers per topic; one tap unsubscribes
    test_faq_ops._login(client, "sam", "st-pass-123")
    page = client.get("/staff/policies").text
    assert '<tr data-topic="t:subsidy"><td>补贴申报</td><td class="n">0</td><td class="n">1</td></tr>' in page
    off = client.post("/api/chat", json={"session": session, "button": "sub:off"}).json()["replies"][0]
    assert off["text"] == "已退订全部政策更新，不会再收到摘要。"
    assert web.db.query("SELECT COUNT(*) AS n FROM subscriptions")[0]["n"] == 0


SUBSCRIBERS = 500


async def test_broadcast_to_500_subscribers_within_the_limit(tmp_path: Path) -> None:
    async with running("aiogram", tmp_path) as bot:
        settings = bot.settings
        subs = Subscriptions(bot.db, settings.secret.get_secret_value())
        for n in range(SUBSCRIBERS):
            chat = 500_000 + n
            subs.subscribe(pseudonymise(settings.secret.get_secret_value(), "telegram", str(chat)), "telegram", "t:subsidy", str(chat))
        today = date.today()
        detect(bot.db, intents(), today)
        detect(bot.db, edited(intents(), WAREHOUSE, "\n• 新增说明。"), today)
        assert subs.make_digests(today) == SUBSCRIBERS
        bot.api.limit_rate("sendMessage", 30, retry_after=1)  # Telegram's broadcast limit
        bot.api.fail_every("sendMessage", 100, retry_after=1)  # and some 429s regardless
        started = time.monotonic()
        result = await broadcast(subs, bot.bot.send_digest, settings.broadcast_rate)
        seconds = time.monotonic() - started
        delivered = bot.api.delivered()
        per_chat = {}
        for call in delivered:
            per_chat[call.chat_id] = per_chat.get(call.chat_id, 0) + 1
        times = sorted(call.at for call in delivered)
        busiest = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
        rate = len(delivered) / (times[-1] - times[0])
        print(f"\nbroadcast: {len(delivered)} digests to {len(per_chat)} chats in {seconds:.1f}s, "
              f"{rate:.1f} msg/s, at most {busiest} in any second, {bot.api.too_many.get('sendMessage', 0)} answered 429")  # fmt: skip
        assert result.sent == SUBSCRIBERS and result.failed == 0
        assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}  # 0 lost, each once
        assert busiest <= 30 and rate <= 30
        assert bot.api.too_many["sendMessage"] >= SUBSCRIBERS // 100  # the 429s were retried
        assert bot.rows("SELECT COUNT(*) AS n FROM digests WHERE sent_at IS NULL")[0]["n"] == 0
        assert "【政策更新】您订阅的「补贴申报」有变化" in delivered[0].text
        assert ("退订", "sub:off") in delivered[0].buttons()
        # a second round finds nothing left to send
        again = await broadcast(subs, bot.bot.send_digest, settings.broadcast_rate)
        assert again.sent == 0 and len(bot.api.delivered()) == SUBSCRIBERS


def test_a_new_document_a_supersession_and_an_expiry_are_changes(tmp_path: Path, db_target) -> None:
    """What the courier records: the final 高新区 text is a new document and a supersession for
    exactly the intents citing its changed clause; the calendar passing valid-until is an expiry."""
    import shutil
    from importlib import resources

    from test_supersession import TITLE, final_text

    from bot.storage import open_database
    from intents.respond import use_faq_dir
    from policy_faq.documents_ops import add_document
    from policy_faq.ingest import Metadata
    from policy_faq.supersession import review_flags

    db = open_database(db_target)  # SQLite, then PostgreSQL
    faq = tmp_path / "faq"
    shutil.copytree(resources.files("policy_faq").joinpath("faq"), faq, ignore=shutil.ignore_patterns("documents"))
    use_faq_dir(faq)
    try:
        today = date(2027, 1, 20)
        assert detect(db, intents(), today) == []  # the first look only records
        source = tmp_path / "final.md"
        source.write_text(final_text(), encoding="utf-8")
        meta = Metadata("dalian-gxq-2027", TITLE, "大连高新技术产业园区管理委员会", "2027-01-15", "大连高新区", "in-force",
                        valid_until="2028-12-31", supersedes="dalian-gxq-2026", effective="2027-03-01")  # fmt: skip
        assert add_document(source, meta).ok
        changes = detect(db, intents(), today)
        kinds = {}
        for change in changes:
            kinds.setdefault(change["kind"], set()).add(change["intent"] or change["document"])
        assert kinds["document"] == {"dalian-gxq-2027"}
        assert kinds["supersession"] == {flag.intent for flag in review_flags(intents())}
        assert set(kinds) == {"document", "supersession"}
        expired = detect(db, intents(), date(2029, 1, 1))
        assert {c["kind"] for c in expired} == {"expiry"}
        assert any(c["intent"] == "ln-overseas-warehouse" for c in expired)  # liaoning-2026 ended 2028-12-31
        assert all("已过有效期" in c["what"] for c in expired)
    finally:
        use_faq_dir(None)
        db.close()
