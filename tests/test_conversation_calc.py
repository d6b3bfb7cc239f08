"""/calc in the conversation core: items chosen with buttons, figures typed in any accepted
form, the breakdown with caps and notes, /cancel, and a restart in the middle."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from conversation_driver import Chat

from bot.conversation.core import Conversation


def test_one_item_to_the_figure(chat: Chat) -> None:
    chat.say("/calc")
    assert "请选择要测算的支持项目" in chat.text and "完成" in chat.labels()
    chat.press("海外仓储配套设施建设、使用及运营")
    assert "✓ 海外仓储配套设施建设、使用及运营" in chat.labels()
    chat.press("完成")
    assert "请输入金额" in chat.text and chat.buttons() == []
    chat.say("八十万元")
    assert chat.text.startswith("可补40万元") and "80万元 × 50% = 40万元" in chat.text
    assert "征求意见稿" in chat.text
    assert "查看申报材料清单" in chat.labels()
    rows = chat.rows("SELECT kind, inputs, total FROM calculations")
    assert [(r["kind"], json.loads(r["inputs"]), r["total"]) for r in rows] == [
        ("subsidy", {"claims": {"overseas-warehouse": "800000"}, "events": {}}, 400000.0)
    ]
    chat.say("你好")  # the dialogue is over: text is a question again
    assert chat.rows("SELECT count(*) AS n FROM enquiries") == [{"n": 1}]


def test_several_items_with_training_events_first_order_and_a_cap(chat: Chat) -> None:
    chat.say("/calc")
    for label in ("跨境电商人才培训", "国际展会服务", "首单滞销风险补偿", "跨境电商产业园建设"):
        chat.press(label)
    chat.press("c:pick:exhibition")  # pressed twice: unselected again
    assert "✓ 国际展会服务" not in chat.labels() and "国际展会服务" in chat.labels()
    chat.press("c:pick:exhibition")
    chat.press("完成")
    assert "培训活动有几场" in chat.text
    chat.say("很多")
    assert "请输入培训活动的场次" in chat.text
    chat.say("40场")  # 40 x 1万 = 40万 > 每年最高30万
    assert "国际展会服务" in chat.text
    chat.say("2万美元")
    assert "人民币" in chat.text and "换算" in chat.text
    chat.say("￥1,000,000")  # 50% = 50万 > 每年最高30万
    assert "订单金额" in chat.text
    chat.say("50万、20万")
    assert "第几年" in chat.text and chat.labels() == ["第1年", "第2年", "第3年", "取消测算"]
    chat.press("第1年")
    text = chat.text
    assert "40场" in text and "超过每年最高30万元，按上限计" in text
    assert "100万元 × 50% = 50万元，超过每年最高30万元，按30万元计" in text
    assert "最高400万元" in text  # the industrial park: only a ceiling, shown as such
    assert "首单" in text and "10万元" in text and "6万元" in text  # 50万 -> capped 10万; 20万 x 30% = 6万
    kinds = chat.rows("SELECT kind, total FROM calculations ORDER BY kind")
    assert [r["kind"] for r in kinds] == ["first-order", "subsidy"]
    assert kinds[0]["total"] == 160000.0
    items = chat.rows("SELECT item, estimate FROM calculation_items ORDER BY item")
    assert {r["item"]: r["estimate"] for r in items}["exhibition"] == 300000.0


def test_bad_amounts_are_asked_again_politely(chat: Chat) -> None:
    chat.say("/calc")
    chat.press("海外独立站建设")
    chat.press("完成")
    for bad in ("不知道", "-5万", "0"):
        chat.say(bad)
        assert "没看懂这个金额" in chat.text, bad
    chat.say("去年大概花了12.5万元吧")
    assert "12.5万元" in chat.text and chat.text.startswith("可补5万元")


def test_done_without_items_and_cancel_at_any_time(chat: Chat) -> None:
    chat.say("/calc")
    chat.press("完成")
    assert "请至少选择一个项目" in chat.text
    chat.say("海外仓")
    assert "请点按钮选择项目" in chat.text
    chat.press("国际通道业务")
    chat.press("完成")
    chat.say("/cancel")
    assert "已取消测算" in chat.text
    chat.say("/cancel")
    assert "当前没有进行中的测算" in chat.text
    chat.say("80万")  # no dialogue: an ordinary enquiry
    assert chat.rows("SELECT count(*) AS n FROM calculations") == [{"n": 0}]
    assert chat.rows("SELECT count(*) AS n FROM enquiries") == [{"n": 1}]


def test_a_restart_in_the_middle_carries_on_where_it_stopped(tmp_path: Path) -> None:
    first = Chat(tmp_path / "cbec.db")
    first.say("/calc")
    first.press("海外品牌及产品推广")
    first.press("海外商标注册、专利申请及国际认证")
    first.press("完成")
    assert "海外商标注册" in first.text  # clause 7 comes before clause 8
    first.say("10万")
    assert "海外品牌及产品推广" in first.text
    first.close()  # the process ends here

    second = Chat(tmp_path / "cbec.db")
    try:
        second.say("30万")
        assert "合计" in second.text and "10万元" in second.text and "30万元" in second.text
        assert second.rows("SELECT count(*) AS n FROM calculations") == [{"n": 1}]
    finally:
        second.close()


def test_the_clock_decides_the_policy_date(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "cbec.db")
    try:
        late = Conversation(chat.settings, chat.db, chat.log, clock=lambda: datetime(2029, 3, 1))
        chat.conversation = late
        chat.say("/calc")
        chat.press("国际展会服务")
        chat.press("完成")
        chat.say("10万")
        assert "2028年12月31日" in chat.text and "合计" not in chat.text
    finally:
        chat.close()


# A /calc dialogue as the untyped version stored it (a plain dict in conversation_state), half way:
# the trademark item answered, the promotion item asked.
STORED_BEFORE_THE_STEP_ENUM = {
    "flow": "calc", "step": "amount", "picked": ["overseas-promotion", "ip-certification"],
    "queue": [], "claims": {"ip-certification": "100000"}, "events": {}, "current": "overseas-promotion",
}  # fmt: skip


def test_a_dialogue_stored_as_a_plain_dict_still_loads_and_carries_on(chat: Chat) -> None:
    from bot.conversation.calc.dialogue import CalcDialogue, Step
    from bot.conversation.state import UserState
    from bot.records.pseudonym import pseudonymise

    state = UserState.from_json(json.dumps({"region": "dalian-gxq", "dialogue": STORED_BEFORE_THE_STEP_ENUM}))
    assert isinstance(state.dialogue, CalcDialogue) and state.dialogue.step is Step.AMOUNT
    assert json.loads(state.to_json())["dialogue"] == STORED_BEFORE_THE_STEP_ENUM  # stored as it was

    key = pseudonymise("test-secret", chat.channel, chat.user)
    raw = json.dumps({"dialogue": STORED_BEFORE_THE_STEP_ENUM}, ensure_ascii=False)
    chat.db.execute_write_fn(
        lambda db: db.execute(
            "INSERT INTO conversation_state (user_key, state, updated_at) VALUES (?, ?, '2026-11-01T00:00:00.000Z')",
            [key, raw],
        )
    ).result(10)
    chat.say("30万")
    assert "合计" in chat.text and "10万元" in chat.text and "30万元" in chat.text
    assert chat.rows("SELECT count(*) AS n FROM calculations") == [{"n": 1}]
    assert json.loads(chat.rows("SELECT state FROM conversation_state")[0]["state"])["dialogue"] is None


def test_a_stored_dialogue_of_a_step_that_is_gone_is_dropped(chat: Chat) -> None:
    from bot.conversation.state import UserState

    state = UserState.from_json(json.dumps({"dialogue": {**STORED_BEFORE_THE_STEP_ENUM, "step": "confirm"}}))
    assert state.dialogue is None


def test_the_transition_table_covers_every_step() -> None:
    from bot.conversation.calc.dialogue import STEPS, Step

    assert set(STEPS) == set(Step)
    assert STEPS[Step.ORDERS].then is Step.YEAR  # the policy year follows the first-order amounts
