"""/calc: a subsidy estimate step by step. Choose items with buttons (several, then 完成),
give each item its figure (an amount; a number of events for training; order amounts and the
policy year for first-order), see the breakdown. /cancel ends it at any time.

A typed state machine in the manner of python-telegram-bot's ConversationHandler: the steps are
named (``Step``), and ``STEPS`` is the one table of what each step asks, how it reads a typed
answer and which buttons it takes; ``_advance`` is the one place that chooses the next step. What
has been gathered is a ``CalcDialogue``, kept in UserState.dialogue and stored as the plain dict
it has always been stored as, so a dialogue carries on after a restart (and across versions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.conversation.messages import Button, OutMessage
from bot.conversation.turn import MENU_BUTTON, Turn, command_button, message, rows
from bot.conversation.vocabulary import Command, Prefix, button_value

if TYPE_CHECKING:
    from calculators.items import Item

PICK = "补贴测算(大连高新区,征求意见稿):请选择要测算的支持项目,可以多选,选好后点「完成」。"
BAD_AMOUNT = "没看懂这个金额。请输入人民币金额,例如 80万、12.5万元、200000元;或发送 /cancel 取消测算。"
FOREIGN = "补贴按人民币计算,请把金额换算成人民币再输入(例如 80万元);或发送 /cancel 取消测算。"
BAD_COUNT = "请输入培训活动的场次(整数),例如 12;或发送 /cancel 取消测算。"
BAD_YEAR = "请选择政策年度(第1、2或3年):"
USE_BUTTONS = "请点按钮选择项目,选好后点「完成」;或发送 /cancel 取消测算。"
# Questions that want a typed figure carry no buttons: in the terminal chat a typed "1" would
# otherwise pick button 1 instead of saying 1 event.
CANCEL_HINT = "(发送 /cancel 取消测算)"
# the actions of the c: buttons
PICK_ITEM, DONE, YEAR, CANCEL = "pick", "done", "year", "cancel"
CANCEL_ROW = [Button("取消测算", button_value(Prefix.CALC, CANCEL))]
YEARS = [Button(f"第{n}年", button_value(Prefix.CALC, YEAR, n)) for n in (1, 2, 3)]
AGAIN = [[command_button("重新测算", Command.CALC), MENU_BUTTON]]


class Step(StrEnum):
    PICK = "pick"  # choosing items with buttons, then 完成
    AMOUNT = "amount"  # the current item's expenditure
    EVENTS = "events"  # training: the number of events
    ORDERS = "orders"  # first-order: the unsold orders' amounts
    YEAR = "year"  # first-order: the policy year


@dataclass
class CalcDialogue:
    """What /calc has gathered so far. Figures are kept as text (Decimal's), so the stored dict is
    plain JSON."""

    step: Step = Step.PICK
    picked: list[str] = field(default_factory=list)  # the items chosen, in the order pressed
    queue: list[str] = field(default_factory=list)  # the items still to ask about
    claims: dict[str, str | None] = field(default_factory=dict)  # item -> amount (None: a ceiling only)
    events: dict[str, int] = field(default_factory=dict)  # item -> number of training events
    current: str | None = None  # the item being asked about
    orders: list[str] = field(default_factory=list)  # first-order: the order amounts
    year: int | None = None  # first-order: the policy year

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalcDialogue | None:
        """The dict UserState stores (the same keys the untyped dialogue used); None for one that
        is not a /calc dialogue or names a step that no longer exists."""
        step = data.get("step", Step.PICK.value)
        if data.get("flow", "calc") != "calc" or step not in {s.value for s in Step}:
            return None
        return cls(
            step=Step(step), picked=list(data.get("picked") or []),
            queue=list(data.get("queue") or []), claims=dict(data.get("claims") or {}),
            events=dict(data.get("events") or {}), current=data.get("current"),
            orders=list(data.get("orders") or []), year=data.get("year"),
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "flow": "calc", "step": self.step.value, "picked": self.picked, "queue": self.queue,
            "claims": self.claims, "events": self.events,
        }  # fmt: skip
        optional = {"current": self.current, "orders": self.orders or None, "year": self.year}
        return data | {key: value for key, value in optional.items() if value is not None}


# A typed answer is read into the dialogue; what comes back is the complaint when it could not be.
Reader = Callable[[CalcDialogue, str], "OutMessage | None"]
Asker = Callable[[CalcDialogue, "Item"], OutMessage]


@dataclass(frozen=True)
class StepRule:
    ask: Asker  # the question that opens the step
    read: Reader  # a typed answer
    then: Step | None = None  # the step that follows; None: the next item's (``_advance``)


def _items() -> dict[str, Item]:
    from calculators.items import load_items

    return dict(load_items())


# -- starting, cancelling, the item buttons ------------------------------------------------------
def begin(turn: Turn, _: str = "") -> list[OutMessage]:
    turn.state.dialogue = CalcDialogue()
    return [_pick_message(turn.state.dialogue)]


def cancel(turn: Turn, _: str = "") -> list[OutMessage]:
    if not turn.state.dialogue:
        return [message("当前没有进行中的测算。", [[MENU_BUTTON]])]
    turn.state.dialogue = None
    return [message("已取消测算。", AGAIN)]


def _pick_message(dialogue: CalcDialogue, lead: str = PICK) -> OutMessage:
    items = _items()
    buttons = [
        Button(("✓ " if i in dialogue.picked else "") + item.title[:30], button_value(Prefix.CALC, PICK_ITEM, i))
        for i, item in items.items()
    ]
    chosen = "、".join(items[i].title for i in dialogue.picked if i in items) or "(还没有选择)"
    done = Button("完成", button_value(Prefix.CALC, DONE))
    return message(f"{lead}\n已选:{chosen}", [*rows(buttons), [done, *CANCEL_ROW]])


def on_button(turn: Turn, argument: str) -> list[OutMessage]:
    dialogue = turn.state.dialogue
    action, _, value = argument.partition(":")
    if action == CANCEL:
        return cancel(turn)
    if dialogue is None:
        return [message("这个测算已结束。", AGAIN)]
    if action == PICK_ITEM and dialogue.step is Step.PICK and value in _items():
        if value in dialogue.picked:
            dialogue.picked.remove(value)
        else:
            dialogue.picked.append(value)
        return [_pick_message(dialogue, "可以继续选择,选好后点「完成」。")]
    if action == DONE and dialogue.step is Step.PICK:
        if not dialogue.picked:
            return [_pick_message(dialogue, "请至少选择一个项目,再点「完成」。")]
        order = list(_items())
        dialogue.queue = sorted(dialogue.picked, key=order.index)
        return _advance(turn)
    if action == YEAR and dialogue.step is Step.YEAR and value in ("1", "2", "3"):
        dialogue.year = int(value)
        return _advance(turn)
    return [_question(dialogue)]  # a stale button: ask the current question again


# -- typed answers -------------------------------------------------------------------------------
def on_text(turn: Turn, _: str = "") -> list[OutMessage]:
    """Text while a calculation is under way: the figure asked for."""
    dialogue = turn.state.dialogue
    assert dialogue is not None  # the core routes text here only while a dialogue is open
    complaint = STEPS[dialogue.step].read(dialogue, turn.text)
    return [complaint] if complaint is not None else _advance(turn)


def _read_pick(dialogue: CalcDialogue, text: str) -> OutMessage:
    return _pick_message(dialogue, USE_BUTTONS)


def _read_events(dialogue: CalcDialogue, text: str) -> OutMessage | None:
    from calculators import amounts

    count = amounts.parse_count(text)
    if count is None or not 0 <= count <= 10_000:
        return message(BAD_COUNT)
    dialogue.events[dialogue.current or ""] = count
    return None


def _read_year(dialogue: CalcDialogue, text: str) -> OutMessage | None:
    from calculators import amounts

    year = amounts.parse_count(text.removeprefix("第").removesuffix("年"))
    if year not in (1, 2, 3):
        return message(BAD_YEAR, [YEARS, CANCEL_ROW])
    dialogue.year = year
    return None


def _read_amount(dialogue: CalcDialogue, text: str) -> OutMessage | None:
    found, complaint = _amounts(text, several=False)
    if complaint is None:
        dialogue.claims[dialogue.current or ""] = str(found[0])
    return complaint


def _read_orders(dialogue: CalcDialogue, text: str) -> OutMessage | None:
    found, complaint = _amounts(text, several=True)
    if complaint is None:
        dialogue.orders = [str(a) for a in found]
    return complaint


def _amounts(text: str, several: bool) -> tuple[list[Decimal], OutMessage | None]:
    """The amounts in ``text`` (one, or ``several``), or the complaint to send back."""
    from calculators import amounts

    try:
        found = amounts.find_amounts(text) if several else _one_amount(text)
    except amounts.ForeignCurrencyError:
        return [], message(FOREIGN)
    if not found or any(a <= 0 for a in found):
        return [], message(BAD_AMOUNT)
    return found, None


def _one_amount(text: str) -> list[Decimal]:
    from calculators import amounts

    whole = amounts.parse_amount(text)
    if whole is not None:
        return [whole]
    found = amounts.find_amounts(text)
    return found if len(found) == 1 else []


# -- the questions -------------------------------------------------------------------------------
def _ask_pick(dialogue: CalcDialogue, item: Item) -> OutMessage:
    return _pick_message(dialogue)


def _ask_events(dialogue: CalcDialogue, item: Item) -> OutMessage:
    return message(f"「{item.title}」:一年内符合条件的培训活动有几场?请输入场次,例如 12。{CANCEL_HINT}")


def _ask_orders(dialogue: CalcDialogue, item: Item) -> OutMessage:
    return message(f"「{item.title}」:请输入滞销首单的订单金额(人民币),多笔用逗号分开,例如 50万, 30万。{CANCEL_HINT}")


def _ask_year(dialogue: CalcDialogue, item: Item) -> OutMessage:
    return message("这是政策实施的第几年?(首单滞销风险补偿的年度总额度,首年与第二、三年不同)", [YEARS, CANCEL_ROW])


def _ask_amount(dialogue: CalcDialogue, item: Item) -> OutMessage:
    return message(f"「{item.title}」:请输入金额(人民币),例如 80万。{CANCEL_HINT}\n计算基数:{item.base}。")


# The whole dialogue in one table: each step's question, how it reads a typed answer, what follows.
STEPS: dict[Step, StepRule] = {
    Step.PICK: StepRule(ask=_ask_pick, read=_read_pick),
    Step.AMOUNT: StepRule(ask=_ask_amount, read=_read_amount),
    Step.EVENTS: StepRule(ask=_ask_events, read=_read_events),
    Step.ORDERS: StepRule(ask=_ask_orders, read=_read_orders, then=Step.YEAR),
    Step.YEAR: StepRule(ask=_ask_year, read=_read_year),
}


def _step_for(item_id: str, item: Item) -> Step | None:
    """The step that asks for an item's figure; None when the clause sets only a ceiling."""
    if item_id == "first-order":
        return Step.ORDERS
    if item.per_event_cap is not None:
        return Step.EVENTS
    return None if item.rate is None else Step.AMOUNT


def _advance(turn: Turn) -> list[OutMessage]:
    """The next step: the one the table names, else the next queued item's; the result once no
    item is left."""
    dialogue, items = turn.state.dialogue, _items()
    assert dialogue is not None
    following = STEPS[dialogue.step].then
    if following is not None:
        dialogue.step = following
        return [_question(dialogue)]
    while dialogue.queue:
        item_id = dialogue.queue.pop(0)
        dialogue.current = item_id
        step = _step_for(item_id, items[item_id])
        if step is None:  # no figure to ask for: the result shows the ceiling
            dialogue.claims[item_id] = None
            continue
        dialogue.step = step
        return [_question(dialogue)]
    from bot.conversation.calc.result import finish

    return finish(turn)


def _question(dialogue: CalcDialogue) -> OutMessage:
    """The current step's question (the item list while picking, or when the item is gone)."""
    item = _items().get(dialogue.current or "")
    if dialogue.step is Step.PICK or item is None:
        return _pick_message(dialogue)
    return STEPS[dialogue.step].ask(dialogue, item)
