"""The conversation core on a real SQLite file with the real responder, FAQ and enquiry log:
menus, region, answers with sources, clarify buttons, 👍/👎, and every enquiry in the log."""

from __future__ import annotations

import re

import pytest
from conversation_driver import Chat

from bot.conversation.messages import Button, InboundEvent, OutMessage

RAW_ID = re.compile(r"[a-z]+(?:-[a-z]+)*-\d{4}:[\w.]+")  # dalian-gxq-2026:5, a clause id

TOPICS = [
    "补贴申报",
    "税收",
    "通关",
    "海外仓",
    "外汇金融",
    "品牌与知识产权",
    "补贴测算",
    "办事清单",
    "转人工",
]
WELCOME_BUTTONS = ["选择地区", *TOPICS]


def test_types_are_frozen_and_button_values_fit_telegram() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Button("长", "x" * 65)
    message = OutMessage("hi")
    assert (message.buttons, message.chat_id, message.channel, message.relay_key) == ((), None, None, None)
    event = InboundEvent("web", "u", "u", text="hi")
    assert event.kind == "text" and event.button is None
    with pytest.raises(AttributeError):
        event.text = "changed"  # type: ignore[misc]


def test_start_shows_what_it_can_do_and_the_topic_menu(chat: Chat) -> None:
    chat.say("/start")
    assert "政策助手" in chat.text and "转人工" in chat.text and "/calc" not in chat.text
    assert chat.labels() == WELCOME_BUTTONS
    chat.say("/menu")
    assert chat.labels() == TOPICS
    chat.say("/help")
    assert "/region" in chat.text and "/checklist" in chat.text and chat.labels() == WELCOME_BUTTONS


def test_a_topic_button_lists_its_questions_and_one_answers(chat: Chat) -> None:
    chat.say("/start")
    chat.press("外汇金融")
    assert "外汇金融" in chat.text
    questions = [b for b in chat.buttons() if b.value.startswith("i:")]
    assert 1 <= len(questions) <= 10
    chat.press(questions[0].label)
    assert "依据" in chat.text and not RAW_ID.search(chat.text)  # the basis in words, no clause ids
    assert any(label.startswith("👍") for label in chat.labels())
    assert chat.rows("SELECT intent FROM enquiries")[0]["intent"] == questions[0].value[2:]


def test_every_button_value_fits_telegram_callback_data(chat: Chat) -> None:
    chat.say("/start")
    seen = list(chat.buttons())
    for topic in TOPICS[:6]:
        chat.say("/start")
        chat.press(topic)
        seen += chat.buttons()
    chat.say("/calc")
    seen += chat.buttons()
    assert len(seen) > 30
    assert all(0 < len(b.value.encode()) <= 64 for b in seen)


def test_region_is_remembered_and_changes_the_answer(chat: Chat) -> None:
    chat.say("/region")
    assert chat.labels() == ["大连高新区", "辽宁其他地区", "营口", "盘锦", "四川", "其他"]
    assert [b.value for b in chat.buttons()] == [
        "r:dalian-gxq",
        "r:liaoning",
        "r:yingkou",
        "r:panjin",
        "r:sichuan",
        "r:other",
    ]
    chat.press("辽宁其他地区")
    assert "辽宁其他地区" in chat.text
    chat.say("海外仓有什么支持")
    liaoning = chat.text
    assert "辽宁" in liaoning and "四川" not in liaoning
    chat.say("/region")
    assert "当前：辽宁其他地区" in chat.text
    chat.press("四川")
    chat.say("海外仓有什么支持")
    assert "四川" in chat.text and chat.text != liaoning
    rows = chat.rows("SELECT region, intent FROM enquiries ORDER BY time")
    assert [r["region"] for r in rows] == ["liaoning", "sichuan"]
    assert rows[0]["intent"].startswith("ln-") and rows[1]["intent"].startswith("sc-")


def test_answer_shows_sources_related_questions_and_feedback(chat: Chat) -> None:
    chat.say("/region")
    chat.press("大连高新区")
    chat.say("海外仓花了80万能补多少")
    assert "40万元" in chat.text  # the figure at once
    assert "依据：《大连高新区" in chat.text and "征求意见稿" in chat.text
    assert "dalian-gxq-2026" not in chat.text  # ids stay in the log and the JSON sources
    thumbs_up = chat.button("👍 有帮助")
    enquiry_id = chat.rows("SELECT id FROM enquiries")[0]["id"]
    assert thumbs_up.value == f"fb:+:{enquiry_id}"
    chat.press("👍 有帮助")
    assert "谢谢" in chat.text
    calc = chat.rows("SELECT kind, total FROM calculations")
    assert calc == [{"kind": "subsidy", "total": 400000.0}]
    assert chat.rows("SELECT enquiry_id, value FROM feedback") == [{"enquiry_id": enquiry_id, "value": 1}]


def test_clarify_offers_suggestions_as_buttons_and_by_number(chat: Chat) -> None:
    chat.say("品牌补贴")  # 高新区 has two items on brands, and the summary across places: which is meant?
    assert chat.text.startswith("您问的是「") and "还是「" in chat.text and "1." not in chat.text
    suggestions = [b for b in chat.buttons() if b.value.startswith("i:")]
    assert len(suggestions) >= 2
    assert "都不是，转人工" in chat.labels()
    chat.press(suggestions[1].label)
    second = chat.text
    assert "依据" in second
    chat.say("/start")  # a new conversation: the choice just made no longer reads the question
    chat.say("品牌补贴")
    chat.say("2")  # the second button, by its number
    assert chat.text == second
    chat.press("👎 没帮助")
    assert "改进" in chat.text and "转人工" in chat.labels()
    feedback = chat.rows("SELECT value FROM feedback")
    assert feedback == [{"value": -1}]
    intents = [r["intent"] for r in chat.rows("SELECT intent FROM enquiries ORDER BY time")]
    assert intents[1] == suggestions[1].value[2:] == intents[3]


def test_every_enquiry_is_logged_with_latency_channel_and_pseudonym(chat: Chat) -> None:
    questions = ["跨境电商出口怎么退税", "9610是什么", "你好", "今天天气怎么样"]
    for question in questions:
        chat.say(question)
    rows = chat.rows(
        "SELECT channel, user_key, text, kind, latency_ms, faq_version FROM enquiries ORDER BY time"
    )
    assert [r["text"] for r in rows] == questions
    assert {r["channel"] for r in rows} == {"web"}
    assert all(r["latency_ms"] > 0 and r["faq_version"] for r in rows)
    assert all(r["user_key"] != "user-1" and len(r["user_key"]) >= 32 for r in rows)
    assert rows[-1]["kind"] == "fallback"


def test_small_talk_leads_back_to_the_menu(chat: Chat) -> None:
    chat.say("你好")
    assert "政策" in chat.text and chat.labels() == ["返回菜单"]
    assert chat.rows("SELECT kind FROM enquiries") == [{"kind": "smalltalk"}]


def test_a_fallback_offers_a_person_and_the_menu(chat: Chat) -> None:
    chat.say("今天天气怎么样")
    assert chat.labels() == ["转人工", "返回菜单"]
    chat.press("返回菜单")
    assert chat.labels() == TOPICS


def test_unknown_command_and_stale_buttons_get_a_plain_reply(chat: Chat) -> None:
    chat.say("/foo")
    assert "没有这个命令" in chat.text
    chat.send(InboundEvent("web", "user-1", "user-1", button="i:no-such-intent", kind="button"))
    assert "不在问答库" in chat.text
    chat.send(InboundEvent("web", "user-1", "user-1", button="fb:+:not-an-id", kind="button"))
    assert "失效" in chat.text
    chat.send(InboundEvent("web", "user-1", "user-1", button="zz:whatever", kind="button"))
    assert chat.labels() == TOPICS
    assert chat.rows("SELECT count(*) AS n FROM feedback") == [{"n": 0}]


def test_checklist_buttons_send_the_checklist(chat: Chat) -> None:
    checklists = pytest.importorskip("calculators.checklists")
    chat.say("/checklist")
    listed = [b for b in chat.buttons() if b.value.startswith("cl:")]
    assert len(listed) >= 8 and "cl:export-9810" in [b.value for b in listed]
    chat.press("cl:export-9810")
    assert chat.text == checklists.get_checklist("export-9810").text().strip()
    assert "其他清单" in chat.labels()
    chat.press("其他清单")
    assert len([b for b in chat.buttons() if b.value.startswith("cl:")]) == len(listed)
    chat.say("/checklist apply-overseas-warehouse")
    assert chat.text == checklists.get_checklist("apply-overseas-warehouse").text().strip()


def test_checklist_menu_button_and_the_material_list_after_a_calculation(chat: Chat) -> None:
    pytest.importorskip("calculators.checklists")
    chat.say("/start")
    chat.press("办事清单")
    assert "请选择要查看的办事清单" in chat.text
    chat.say("/calc")
    chat.press("c:pick:exhibition")
    chat.press("完成")
    chat.say("20万")
    chat.press("查看申报材料清单")
    assert "展会" in chat.text and "请选择要查看的办事清单" not in chat.text
