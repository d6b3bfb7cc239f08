"""Free text to the responder, and what comes back as the user sees it: the answer with its
sources, related questions and 👍/👎, or a clarify reply's suggestions as buttons."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation.messages import Button, OutMessage
from bot.conversation.reading import MORE, paged, source_buttons
from bot.conversation.turn import (
    HUMAN_BUTTON,
    MENU_BUTTON,
    Turn,
    command_button,
    intent_button,
    message,
    rows,
)
from bot.conversation.vocabulary import PLACE_WORDS, Command, Prefix, button_value
from bot.records.redact import redact
from intents.context import REGION_WORDS
from intents.matcher import detect_region
from intents.normalize import canonical
from intents.script import convert as convert_script

ANSWERED = ("answer", "calculation", "checklist", "excerpt")
HANDOFF_WORDS = frozenset({"转人工", "人工", "人工客服", "人工服务", "找人工", "转人工客服"})
NUMBER = re.compile(r"^\s*([1-9])\s*[.。、]?\s*$")


def free_text(turn: Turn, _: str = "") -> list[OutMessage]:
    text = turn.text
    picked = NUMBER.match(text)
    if picked and turn.state.suggestions:  # "2" after a clarify reply numbered its suggestions
        index = int(picked.group(1)) - 1
        if index < len(turn.state.suggestions):
            return answer_intent(turn, turn.state.suggestions[index])
    turn.state.last_text = redact(text)  # kept in the state database: no phone numbers there
    reply, enquiry_id = turn.ask(text)
    if text in HANDOFF_WORDS or reply.kind == "handoff":
        from bot.conversation.flows.handoff import open_handoff

        return open_handoff(turn)
    return render(turn, reply, enquiry_id)


def answer_intent(turn: Turn, intent_id: str) -> list[OutMessage]:
    """A suggestion or related-question button: that intent's answer. The enquiry that led to
    the suggestion goes with it, so an amount in it still gets its figure."""
    responder = turn.services.responder()
    intent = responder.by_id.get(intent_id)
    if intent is None:
        return [message("这个问题已不在问答库中，请直接输入您的问题。", [[MENU_BUTTON]])]
    if intent.kind == "handoff":
        from bot.conversation.flows.handoff import open_handoff

        return open_handoff(turn)
    original = turn.state.last_text if intent_id in turn.state.suggestions else ""
    turn.state.remember(f"[点选] {intent.title}")
    reply, enquiry_id = turn.ask(original or intent.title, intent=intent_id)
    return render(turn, reply, enquiry_id)


def render(turn: Turn, reply, enquiry_id: str) -> list[OutMessage]:
    """The Reply as a message: an answer with 「您可能还想问」 (the matcher's runners-up, then
    related questions), other places where the answer depends on the place, and 👍/👎; a
    question back with one button per reading. Remembers a question back's options for "1", "2"."""
    turn.state.suggestions = [s.intent for s in reply.suggestions] if reply.kind == "clarify" else []
    if reply.kind == "calculation" and reply.calculation:
        _record_calculation(turn, reply)
    text, more_button = paged(turn, reply.answer.strip(), localise(MORE, reply))
    buttons: list[list[Button]] = [more_button]
    if reply.kind == "clarify":
        buttons += rows(intent_button(s.intent, s.title) for s in reply.suggestions)
        by_id = turn.services.responder().by_id
        if not any(getattr(by_id.get(s.intent), "kind", "") == "handoff" for s in reply.suggestions):
            buttons.append([command_button(localise("都不是，转人工", reply), Command.HUMAN)])
    elif reply.kind in ANSWERED:
        more = also_asked(reply)
        if more:
            text += "\n" + localise(ALSO_ASKED, reply)
            buttons += rows(intent_button(intent, title) for intent, title in more)
        places = other_places(turn, reply)
        if places:
            buttons.append(places)
        buttons.append([replace(b, label=localise(b.label, reply)) for b in source_buttons(reply.sources)])
        if enquiry_id:
            buttons.append(
                [
                    Button(localise("👍 有帮助", reply), button_value(Prefix.FEEDBACK, "+", enquiry_id)),
                    Button(localise("👎 没帮助", reply), button_value(Prefix.FEEDBACK, "-", enquiry_id)),
                ]
            )
    elif reply.kind == "smalltalk":  # 你好 / 我能做什么: the topics are the next step
        buttons.append([MENU_BUTTON])
    elif reply.kind == "fallback":
        buttons.append([command_button(localise("转人工", reply), Command.HUMAN), MENU_BUTTON])
    return [message(text, buttons)]


ALSO_ASKED = "您可能还想问："
MORE_LIMIT = 3


def also_asked(reply) -> list[tuple[str, str]]:
    """Up to three other questions: the runners-up of the match first (a wrong first pick is one
    tap from the right one), then the answer's related questions."""
    seen, more = {reply.intent}, []
    for intent, title in [(s.intent, s.title) for s in reply.suggestions] + list(reply.related):
        if intent not in seen and len(more) < MORE_LIMIT:
            seen.add(intent)
            more.append((intent, title))
    return more


def other_places(turn: Turn, reply) -> list[Button]:
    """Buttons for the same question in the other places, when the answer is one place's (or a
    comparison of places) and the user has named no place: asked as 「四川呢」 would be."""
    if turn.region is not None or reply.followup is not None:
        return []  # a place chosen, or one the conversation is already about
    intent = turn.services.responder().by_id.get(reply.intent or "")
    if intent is None or intent.jurisdiction not in PLACE_WORDS and intent.jurisdiction != "multi":
        return []
    if detect_region(canonical(turn.text)) is not None:
        return []
    return [
        Button(localise(f"{label}呢", reply), button_value(Prefix.PLACE, region))
        for region, label in PLACE_WORDS.items()
        if region != intent.jurisdiction
    ]


def other_place(turn: Turn, region: str) -> list[OutMessage]:
    """A place button under an answer: the same question there, as if the user typed 「四川呢」."""
    if region not in PLACE_WORDS:
        return [message("这个按钮已失效，请直接输入您的问题。")]
    turn.event = replace(turn.event, text=f"{REGION_WORDS[region]}呢", kind="text")
    return free_text(turn)


def localise(text: str, reply) -> str:
    return convert_script(text, getattr(reply, "script", "hans"))


def _record_calculation(turn: Turn, reply) -> None:
    item = (reply.action or "calc:").split(":", 1)[1]
    kind = item if item in ("first-order", "eit") else "subsidy"
    turn.services.recorder.calculation(
        channel=turn.event.channel, user_id=turn.event.user_id, kind=kind,
        inputs={"item": item, "from": "question"}, result=reply.calculation,
    )  # fmt: skip


def feedback(turn: Turn, argument: str) -> list[OutMessage]:
    sign, _, enquiry_id = argument.partition(":")
    if sign not in ("+", "-") or not re.fullmatch(r"[0-9a-f]{8,64}", enquiry_id):
        return [message("这个按钮已失效，请直接输入您的问题。")]
    value = 1 if sign == "+" else -1
    turn.services.recorder.feedback(
        channel=turn.event.channel, user_id=turn.event.user_id, enquiry_id=enquiry_id, value=value
    )
    if value > 0:
        turn.state.downvotes = 0
        return [message("谢谢您的反馈！还有问题请直接输入。")]
    turn.state.downvotes += 1
    if turn.state.downvotes >= 2:  # two in a row: offer a person, do not force one
        return [
            message(
                "抱歉，连续两条回答都没帮到您。要不要把问题转给服务中心的工作人员？"
                "他们会看到我们的对话，并在这里回复您。您也可以换个说法继续问我。",
                [[HUMAN_BUTTON], [MENU_BUTTON]],
            )
        ]
    return [
        message(
            "谢谢反馈，我们会改进这条回答。需要人工帮助可以点「转人工」。", [[HUMAN_BUTTON]]
        )
    ]
