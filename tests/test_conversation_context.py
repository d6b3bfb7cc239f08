"""Follow-ups in the conversation core that every channel uses, on a real SQLite file: what the
user sees (answers, 「您可能还想问」, other places), and the context surviving a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conversation_driver import Chat


def test_the_issue_dialogue_as_the_user_sees_it(chat: Chat) -> None:
    chat.say("高新区海外仓补贴怎么算")
    assert "每年最高50万元" in chat.text and not chat.text.startswith("您问的是")
    assert "您可能还想问" in chat.text
    more = [b for b in chat.buttons() if b.value.startswith("i:")]
    assert 1 <= len(more) <= 3 and all(b.value != "i:gxq-overseas-warehouse-subsidy" for b in more)
    chat.say("那上限是多少？")
    assert "每年最高50万元" in chat.text
    chat.say("我们去年花了120万")
    assert "60万元" in chat.text and "50万元" in chat.text  # 120万 × 50%, capped at 50万
    assert chat.rows("SELECT total FROM calculations") == [{"total": 500000.0}]
    chat.say("四川呢")
    assert "四川" in chat.text and "征求意见稿" in chat.text
    rows = chat.rows("SELECT text, intent, kind FROM enquiries ORDER BY time")
    assert [r["intent"] for r in rows] == ["gxq-overseas-warehouse-subsidy"] * 3 + ["sc-overseas-warehouse"]
    assert [r["kind"] for r in rows] == ["answer", "answer", "calculation", "answer"]


def test_the_context_survives_a_restart(tmp_path: Path) -> None:
    first = Chat(tmp_path / "cbec.db")
    first.say("高新区海外仓补贴怎么算")
    first.close()
    again = Chat(tmp_path / "cbec.db")  # a new process on the same database
    try:
        again.say("我们去年花了80万")
        assert "40万元" in again.text
    finally:
        again.close()


def test_other_places_are_one_tap_away_when_no_place_is_known(chat: Chat) -> None:
    chat.say("海外仓补贴最高多少")
    places = [b for b in chat.buttons() if b.value.startswith("rg:")]
    assert [b.label for b in places] == ["辽宁呢", "四川呢", "营口呢", "盘锦呢"]  # the answer is 高新区's
    chat.press("四川呢")
    assert "四川" in chat.text and "征求意见稿" in chat.text
    assert not [b for b in chat.buttons() if b.value.startswith("rg:")]  # a place is now known
    assert chat.rows("SELECT intent FROM enquiries ORDER BY time")[-1]["intent"] == "sc-overseas-warehouse"


def test_no_place_buttons_once_a_region_is_chosen(chat: Chat) -> None:
    chat.say("/region")
    chat.press("大连高新区")
    chat.say("海外仓补贴最高多少")
    assert not [b for b in chat.buttons() if b.value.startswith("rg:")]


def test_the_context_expires_after_thirty_idle_minutes(tmp_path: Path) -> None:
    clock = [datetime(2026, 11, 30, 9, 0, tzinfo=UTC)]
    chat = Chat(tmp_path / "cbec.db")
    chat.conversation.services.now = lambda: clock[0]
    try:
        chat.say("高新区海外仓补贴怎么算")
        clock[0] += timedelta(minutes=10)
        chat.say("那国际物流呢")
        assert "国际通道" in chat.text or "国际物流" in chat.text
        clock[0] += timedelta(minutes=31)
        chat.say("我们去年花了80万")
        assert chat.text.startswith("这笔金额是哪一项费用")  # the item is no longer known
        assert len([b for b in chat.buttons() if b.value.startswith("i:")]) >= 2
    finally:
        chat.close()


def test_traditional_characters_in_the_answer_and_its_buttons(chat: Chat) -> None:
    chat.say("高新區海外倉補貼怎麼算")
    assert "萬元" in chat.text and "您可能還想問" in chat.text
    labels = chat.labels()
    assert "👍 有幫助" in labels and "👎 沒幫助" in labels
    assert any("區" in label for label in labels)
