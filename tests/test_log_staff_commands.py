"""/stats, /unanswered and /top for staff in the staff chat, computed from the log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.conversation.flows.staff import parse_days, staff_reply
from bot.records import tickets
from bot.records.enquiry_log import EnquiryLog
from bot.records.stats import today_in_china
from bot.settings import load_settings
from bot.storage.sqlite import Database

STAFF, STRANGER, STAFF_CHAT = 111, 999, -100123


@dataclass(frozen=True)
class Reply:
    kind: str
    intent: str | None
    confidence: float
    faq_version: str = "v"


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "cmd.db")
    log = EnquiryLog(database, "k")
    for text, reply in [
        ("海外仓补贴", Reply("answer", "gxq-overseas-warehouse-subsidy", 0.95)),
        ("海外仓补贴多少", Reply("answer", "gxq-overseas-warehouse-subsidy", 0.9)),
        ("火星跨境电商", Reply("fallback", None, 0.0)),
        ("火星跨境电商", Reply("fallback", None, 0.0)),
        ("补贴", Reply("clarify", "gxq-overseas-warehouse-subsidy", 0.4)),
    ]:
        log.enquiry(channel="telegram", user_id="7", region="dalian-gxq", text=text, reply=reply, latency_ms=1)
    log.feedback(channel="telegram", user_id="7", enquiry_id="x", value=-1)
    log.handoff_opened(channel="telegram", user_id="7", handoff_id="h", summary="人工")
    tickets.open_ticket(database, handoff_id="h", channel="telegram", chat_id="7", user_key="k", region="dalian-gxq",
                        intents=[], transcript=[{"who": "user", "text": "人工"}])  # fmt: skip
    log.flush()
    yield database
    log.close()
    database.close()


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CBEC_STAFF_USER_IDS", str(STAFF))
    monkeypatch.setenv("CBEC_STAFF_CHAT_ID", str(STAFF_CHAT))
    return load_settings()


def ask(db, settings, text, user_id=STAFF, chat_id=STAFF_CHAT):
    return staff_reply(db, settings, user_id=user_id, chat_id=chat_id, text=text, today=today_in_china())


def test_stats(db, settings) -> None:
    text = ask(db, settings, "/stats")
    assert "近7天" in text and "咨询 5 条" in text and "未能回答 2 条(40%)" in text
    assert "👍 0 / 👎 1" in text and "待处理转人工:1" in text
    assert "近30天" in ask(db, settings, "/stats@cbec_bot 30")


def test_unanswered_groups_questions(db, settings) -> None:
    text = ask(db, settings, "/unanswered")
    assert "1. 火星跨境电商(2次)" in text and "补贴(1次" in text


def test_top(db, settings) -> None:
    assert "1. 高新区海外仓补贴(3次)" in ask(db, settings, "/top")


def test_only_staff_in_the_staff_chat(db, settings) -> None:
    assert ask(db, settings, "/stats", user_id=STRANGER) is None
    assert ask(db, settings, "/stats", chat_id=STAFF) is None  # private chat: not the staff chat
    assert ask(db, settings, "海外仓补贴") is None
    assert ask(db, settings, "/start") is None


@pytest.mark.parametrize(("argument", "days"), [(None, 7), ("", 7), ("30", 30), ("abc", 7), ("0", 1), ("9999", 365)])
def test_parse_days(argument, days) -> None:
    assert parse_days(argument) == days


def test_reload_is_for_operators_only(db, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "只有运维人员" in ask(db, settings, "/reload")  # staff, but not an operator
    monkeypatch.setenv("CBEC_OPERATOR_USER_IDS", "222")
    operators = load_settings()
    assert ask(db, operators, "/reload", user_id=STRANGER) is None
    text = ask(db, operators, "/reload", user_id=222)
    assert text.startswith(("✅", "⛔")) and "FAQ" in text
    rows = db.query("SELECT user, action FROM faq_audit")
    assert rows == [{"user": "telegram:222", "action": "reload"}]
