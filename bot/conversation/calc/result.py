"""The end of /calc: run the calculators on what the user gave, show the breakdown (caps and
notes included, as the calculators render it) and record the calculation."""

from __future__ import annotations

from decimal import Decimal

from bot.conversation.messages import Button, OutMessage
from bot.conversation.turn import MENU_BUTTON, Turn, command_button, message
from bot.conversation.vocabulary import Command, Prefix, button_value


def finish(turn: Turn) -> list[OutMessage]:
    dialogue = turn.state.dialogue
    turn.state.dialogue = None  # done (or failed): the next message is a new question
    parts: list[str] = []
    try:
        claims = {k: None if v is None else Decimal(v) for k, v in dialogue.claims.items()}
        events = {k: int(v) for k, v in dialogue.events.items()}
        if claims or events:
            parts.append(_subsidy(turn, claims, events))
        if dialogue.orders:
            parts.append(_first_order(turn, [Decimal(a) for a in dialogue.orders], int(dialogue.year or 1)))
    except ValueError as error:  # the calculators refuse input they cannot price
        return [message(f"无法完成测算:{error}", [[command_button("重新测算", Command.CALC), MENU_BUTTON]])]
    buttons = [[command_button("再算一次", Command.CALC), MENU_BUTTON]]
    first = (dialogue.picked or [None])[0]
    if first:
        buttons.insert(0, [Button("查看申报材料清单", button_value(Prefix.CHECKLIST, f"apply-{first}"))])
    return [message("\n\n".join(parts), buttons)]


def _subsidy(turn: Turn, claims: dict, events: dict) -> str:
    from calculators.subsidy import estimate

    result = estimate(claims, today=turn.services.today(), events=events)
    inputs = {"claims": {k: None if v is None else str(v) for k, v in claims.items()}, "events": events}
    _record(turn, "subsidy", inputs, result.as_dict())
    return result.text().strip()


def _first_order(turn: Turn, orders: list[Decimal], year: int) -> str:
    from calculators.first_order import compensate

    result = compensate(orders, policy_year=year, today=turn.services.today())
    _record(turn, "first-order", {"orders": [str(a) for a in orders], "policy_year": year}, result.as_dict())
    return result.text().strip()


def _record(turn: Turn, kind: str, inputs: dict, result: dict) -> None:
    turn.services.recorder.calculation(
        channel=turn.event.channel, user_id=turn.event.user_id, kind=kind, inputs=inputs, result=result
    )
