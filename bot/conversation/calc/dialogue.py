"""/calc: a subsidy estimate step by step. Choose items with buttons (several, then 完成),
give each item its figure (an amount; a number of events for training; order amounts and the
policy year for first-order), see the breakdown. The dialogue lives in UserState.dialogue, so
it carries on after a restart; /cancel ends it at any time."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.conversation.messages import Button, OutMessage
from bot.conversation.turn import MENU_BUTTON, Turn, command_button, message, rows
from bot.conversation.vocabulary import Command, Prefix, button_value

UNAVAILABLE = "补贴测算暂时不可用,请直接输入问题,例如「海外仓费用80万能补多少」。"
PICK = "补贴测算(大连高新区,征求意见稿):请选择要测算的支持项目,可以多选,选好后点「完成」。"
BAD_AMOUNT = "没看懂这个金额。请输入人民币金额,例如 80万、12.5万元、200000元;或发送 /cancel 取消测算。"
FOREIGN = "补贴按人民币计算,请把金额换算成人民币再输入(例如 80万元);或发送 /cancel 取消测算。"
BAD_COUNT = "请输入培训活动的场次(整数),例如 12;或发送 /cancel 取消测算。"
CANCEL_ROW = [Button("取消测算", button_value(Prefix.CALC, "cancel"))]
# Questions that want a typed figure carry no buttons: in the terminal chat a typed "1" would
# otherwise pick button 1 instead of saying 1 event.
CANCEL_HINT = "(发送 /cancel 取消测算)"
YEARS = [Button(f"第{n}年", button_value(Prefix.CALC, "year", n)) for n in (1, 2, 3)]


def _items() -> dict[str, Any] | None:
    try:
        from calculators.items import load_items
    except ImportError:
        return None
    return dict(load_items())


def begin(turn: Turn, _: str = "") -> list[OutMessage]:
    if _items() is None:
        return [message(UNAVAILABLE)]
    turn.state.dialogue = {
        "flow": "calc",
        "step": "pick",
        "picked": [],
        "queue": [],
        "claims": {},
        "events": {},
    }
    return [_pick_message(turn)]


def cancel(turn: Turn, _: str = "") -> list[OutMessage]:
    if not turn.state.dialogue:
        return [message("当前没有进行中的测算。", [[MENU_BUTTON]])]
    turn.state.dialogue = None
    return [message("已取消测算。", [[command_button("重新测算", Command.CALC), MENU_BUTTON]])]


def _pick_message(turn: Turn, lead: str = PICK) -> OutMessage:
    items, picked = _items() or {}, turn.state.dialogue["picked"]
    buttons = [
        Button(("✓ " if i in picked else "") + item.title[:30], button_value(Prefix.CALC, "pick", i)) for i, item in items.items()
    ]
    chosen = "、".join(items[i].title for i in picked if i in items) or "(还没有选择)"
    return message(f"{lead}\n已选:{chosen}", [*rows(buttons), [Button("完成", button_value(Prefix.CALC, "done")), *CANCEL_ROW]])


def on_button(turn: Turn, argument: str) -> list[OutMessage]:
    dialogue = turn.state.dialogue
    action, _, value = argument.partition(":")
    if action == "cancel":
        return cancel(turn)
    if not dialogue or dialogue.get("flow") != "calc":
        return [message("这个测算已结束。", [[command_button("重新测算", Command.CALC), MENU_BUTTON]])]
    if action == "pick" and dialogue["step"] == "pick" and value in (_items() or {}):
        picked = dialogue["picked"]
        if value in picked:
            picked.remove(value)
        else:
            picked.append(value)
        return [_pick_message(turn, "可以继续选择,选好后点「完成」。")]
    if action == "done" and dialogue["step"] == "pick":
        if not dialogue["picked"]:
            return [_pick_message(turn, "请至少选择一个项目,再点「完成」。")]
        order = list(_items() or {})
        dialogue["queue"] = sorted(dialogue["picked"], key=order.index)
        return _next_question(turn)
    if action == "year" and dialogue["step"] == "year" and value in ("1", "2", "3"):
        dialogue["year"] = int(value)
        return _next_question(turn)
    return [_question(turn)]  # a stale button: ask the current question again


def on_text(turn: Turn, _: str = "") -> list[OutMessage]:
    """Text while a calculation is under way: the figure asked for."""
    from calculators import amounts

    dialogue, text = turn.state.dialogue, turn.text
    step, item = dialogue["step"], dialogue.get("current")
    if step == "pick":
        return [_pick_message(turn, "请点按钮选择项目,选好后点「完成」;或发送 /cancel 取消测算。")]
    if step == "events":
        count = amounts.parse_count(text)
        if count is None or not 0 <= count <= 10_000:
            return [message(BAD_COUNT)]
        dialogue["events"][item] = count
        return _next_question(turn)
    if step == "year":
        year = amounts.parse_count(text.removeprefix("第").removesuffix("年"))
        if year not in (1, 2, 3):
            return [message("请选择政策年度(第1、2或3年):", [YEARS, CANCEL_ROW])]
        dialogue["year"] = year
        return _next_question(turn)
    try:
        found = amounts.find_amounts(text) if step == "orders" else _one_amount(amounts, text)
    except amounts.ForeignCurrencyError:
        return [message(FOREIGN)]
    if not found or any(a <= 0 for a in found):
        return [message(BAD_AMOUNT)]
    if step == "orders":
        dialogue["orders"] = [str(a) for a in found]
    else:
        dialogue["claims"][item] = str(found[0])
    return _next_question(turn)


def _one_amount(amounts: Any, text: str) -> list[Decimal]:
    whole = amounts.parse_amount(text)
    if whole is not None:
        return [whole]
    found = amounts.find_amounts(text)
    return found if len(found) == 1 else []


def _next_question(turn: Turn) -> list[OutMessage]:
    """Move on to the next item that needs a figure; the result once none is left."""
    dialogue, items = turn.state.dialogue, _items() or {}
    if dialogue.get("step") == "orders":
        dialogue["step"] = "year"
        return [_question(turn)]
    while dialogue["queue"]:
        item_id = dialogue["queue"].pop(0)
        item = items[item_id]
        dialogue["current"] = item_id
        if item_id == "first-order":
            dialogue["step"] = "orders"
        elif item.per_event_cap is not None:
            dialogue["step"] = "events"
        elif item.rate is None:  # the clause sets only a ceiling: no figure to ask for
            dialogue["claims"][item_id] = None
            continue
        else:
            dialogue["step"] = "amount"
        return [_question(turn)]
    from bot.conversation.calc.result import finish

    return finish(turn)


def _question(turn: Turn) -> OutMessage:
    dialogue = turn.state.dialogue
    item = (_items() or {}).get(dialogue.get("current") or "")
    step = dialogue["step"]
    if step == "pick" or item is None:
        return _pick_message(turn)
    if step == "events":
        return message(f"「{item.title}」:一年内符合条件的培训活动有几场?请输入场次,例如 12。{CANCEL_HINT}")
    if step == "orders":
        return message(
            f"「{item.title}」:请输入滞销首单的订单金额(人民币),多笔用逗号分开,例如 50万, 30万。{CANCEL_HINT}"
        )
    if step == "year":
        return message(
            "这是政策实施的第几年?(首单滞销风险补偿的年度总额度,首年与第二、三年不同)", [YEARS, CANCEL_ROW]
        )
    return message(f"「{item.title}」:请输入金额(人民币),例如 80万。{CANCEL_HINT}\n计算基数:{item.base}。")
