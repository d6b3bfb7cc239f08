"""/start, /help, /menu, the topic lists, /region and /checklist: everything chosen from buttons."""

from __future__ import annotations

from bot.conversation.messages import Button, OutMessage
from bot.conversation.turn import (
    HUMAN_BUTTON,
    MENU_BUTTON,
    Turn,
    command_button,
    intent_button,
    message,
    rows,
)
from bot.conversation.vocabulary import REGION_LABELS, Command, Prefix, button_value, help_line

# What the assistant can do, in words; the buttons under it do the same (a region button first).
# The slash commands still work everywhere, but they are for /help, not the welcome.
WELCOME = (
    "您好！我是跨境电商政策助手，按已收录的政策文件回答，每个回答都注明依据的条款。我可以：\n"
    "• 解答政策问题：补贴、税收、通关、海外仓、外汇等，直接输入问题即可；\n"
    "• 测算补贴金额：如「海外仓去年花了80万，高新区能补多少？」（高新区政策为征求意见稿）；\n"
    "• 列出办事清单：申报和办理要准备的材料与步骤；\n"
    "• 转人工：需要时由工作人员回复您。\n"
    "先点「选择地区」，回答会更准确；也可以点下面的主题。"
)
HELP = (
    "使用方法：直接输入您的问题，例如「海外仓去年花了80万，高新区能补多少？」。\n"
    "• 点按钮即可：选择地区、政策主题、补贴测算、办事清单、转人工。\n"
    f"• 也可以发送命令：{help_line()}。\n"
    "• 回答只来自已收录的政策文件；征求意见稿的内容可能调整，正式申报以主管部门通知为准。"
)
REGION_BUTTON = "选择地区"
# menu label -> the FAQ topics it lists (a topic's intents are offered as buttons)
TOPICS = {
    "subsidy": ("补贴申报", ("补贴申报", "人才培训", "园区与平台")),
    "tax": ("税收", ("税收",)),
    "customs": ("通关", ("通关", "物流", "进口", "合规与监管")),
    "warehouse": ("海外仓", ("海外仓",)),
    "forex": ("外汇金融", ("外汇金融",)),
    "ip": ("品牌与知识产权", ("品牌与知识产权",)),
}
TOPIC_LIMIT = 10
# where an intent's jurisdiction applies: a Dalian company is also under the Liaoning plan
APPLIES = {
    "dalian-gxq": {"dalian-gxq", "liaoning", "national", "multi"},
    "liaoning": {"liaoning", "national", "multi"},
    "yingkou": {"yingkou", "liaoning", "national", "multi"},
    "panjin": {"panjin", "liaoning", "national", "multi"},
    "sichuan": {"sichuan", "national", "multi"},
}


def menu_buttons() -> list[list[Button]]:
    topics = [Button(label, button_value(Prefix.TOPIC, key)) for key, (label, _) in TOPICS.items()]
    tools = [command_button("补贴测算", Command.CALC), command_button("办事清单", Command.CHECKLIST), HUMAN_BUTTON]
    return [*rows(topics, 3), tools]


def region_button(turn: Turn) -> Button:
    """「选择地区」, or the place chosen (「地区：四川」) so the user sees what answers assume."""
    chosen = REGION_LABELS.get(turn.state.region or "")
    return command_button(f"地区：{chosen}" if chosen else REGION_BUTTON, Command.REGION)


def welcome_buttons(turn: Turn) -> list[list[Button]]:
    return [[region_button(turn)], *menu_buttons()]


def start(turn: Turn, _: str = "") -> list[OutMessage]:
    turn.state.context = None  # /start begins a new conversation: nothing earlier reads the next message
    return [message(WELCOME, welcome_buttons(turn))]


def show_menu(turn: Turn, _: str = "") -> list[OutMessage]:
    return [message("请选择主题：", menu_buttons())]


def show_help(turn: Turn, _: str = "") -> list[OutMessage]:
    return [message(HELP, welcome_buttons(turn))]


def topic(turn: Turn, key: str) -> list[OutMessage]:
    if key not in TOPICS:
        return show_menu(turn)
    label, faq_topics = TOPICS[key]
    intents = [i for i in turn.services.responder().by_id.values() if i.kind == "policy"]
    chosen = [
        i
        for i in intents
        if i.topic in faq_topics or (key == "subsidy" and (i.action or "").startswith("calc:"))
    ]
    applies = APPLIES.get(turn.region or "")
    if applies:  # the user's region first; others only to fill the list
        chosen.sort(key=lambda i: i.jurisdiction not in applies)
    chosen = chosen[:TOPIC_LIMIT]
    if not chosen:
        return [message(f"「{label}」暂时没有收录的问答，请直接输入您的问题。", [[MENU_BUTTON]])]
    buttons = rows([intent_button(i.id, i.title) for i in chosen])
    return [message(f"「{label}」常见问题，点一个查看解答：", [*buttons, [MENU_BUTTON]])]


def ask_region(turn: Turn, argument: str = "") -> list[OutMessage]:
    if argument.strip() in REGION_LABELS:  # /region sichuan
        return set_region(turn, argument.strip())
    current = REGION_LABELS.get(turn.region or "", "未选择")
    buttons = rows([Button(name, button_value(Prefix.REGION, code)) for code, name in REGION_LABELS.items()], 3)
    return [message(f"请选择企业所在地区（当前：{current}），我会优先按该地区的政策回答：", buttons)]


def set_region(turn: Turn, code: str) -> list[OutMessage]:
    if code not in REGION_LABELS:
        return ask_region(turn)
    turn.state.region = code
    turn.state.context = None  # another place: earlier follow-ups no longer apply
    return [
        message(
            f"已设为「{REGION_LABELS[code]}」。之后的问题会优先按该地区的政策回答。请输入您的问题。",
            menu_buttons(),
        )
    ]


def _checklists() -> list[tuple[str, str]]:
    """(id, title) of every checklist."""
    from calculators.checklists import load_checklists

    return [(checklist.id, checklist.title) for checklist in load_checklists()]


def list_checklists(turn: Turn, argument: str = "") -> list[OutMessage]:
    if argument.strip():  # /checklist export-9810
        return show_checklist(turn, argument.strip())
    listed = _checklists()
    if not listed:
        return [message("办事清单暂时无法提供，请直接输入您要办理的事项。", [[MENU_BUTTON]])]
    buttons = rows([Button(title[:40], button_value(Prefix.CHECKLIST, cid)) for cid, title in listed])
    return [message("请选择要查看的办事清单：", [*buttons, [MENU_BUTTON]])]


def show_checklist(turn: Turn, checklist_id: str) -> list[OutMessage]:
    from intents.respond import checklist_text

    text = checklist_text(checklist_id)
    if text is None:
        return list_checklists(turn)
    return [message(text.strip(), [[command_button("其他清单", Command.CHECKLIST), MENU_BUTTON]])]
