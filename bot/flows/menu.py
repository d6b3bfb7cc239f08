"""/start, /help, /menu, the topic lists, /region and /checklist: everything chosen from buttons."""

from __future__ import annotations

from bot.conversation import Button, OutMessage
from bot.flows.turn import MENU_BUTTON, REGION_NAMES, Turn, intent_button, message, rows

WELCOME = (
    "您好!我是跨境电商政策助手。我可以:\n"
    "1. 解答补贴、税收、通关、海外仓、外汇等政策问题,每个回答都注明依据的条款;\n"
    "2. 测算大连高新区的补贴金额(/calc);\n"
    "3. 提供申报和办事材料清单(/checklist);\n"
    '4. 需要时转人工(/human 或发送"转人工")。\n'
    "先用 /region 选择企业所在地区,答案会更准确。请直接输入问题,或点下面的主题。"
)
HELP = (
    "使用方法:直接输入您的问题,例如「海外仓费用80万能补多少」。\n"
    "/menu 主题菜单  /region 选择地区  /calc 补贴测算  /checklist 办事清单\n"
    "/human 转人工  /cancel 取消正在进行的测算  /help 本说明\n"
    "回答只来自已收录的政策文件,征求意见稿的内容可能调整,正式申报以主管部门通知为准。"
)
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
    topics = [Button(label, f"t:{key}") for key, (label, _) in TOPICS.items()]
    tools = [
        Button("计算器", "cmd:calc"),
        Button("办事清单", "cmd:checklist"),
        Button("人工咨询", "cmd:human"),
    ]
    return [*rows(topics, 3), tools]


def start(turn: Turn, _: str = "") -> list[OutMessage]:
    turn.state.context = None  # /start begins a new conversation: nothing earlier reads the next message
    return [message(WELCOME, menu_buttons())]


def show_menu(turn: Turn, _: str = "") -> list[OutMessage]:
    return [message("请选择主题:", menu_buttons())]


def show_help(turn: Turn, _: str = "") -> list[OutMessage]:
    return [message(HELP, menu_buttons())]


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
        return [message(f"「{label}」暂时没有收录的问答,请直接输入您的问题。", [[MENU_BUTTON]])]
    buttons = rows([intent_button(i.id, i.title) for i in chosen])
    return [message(f"「{label}」常见问题,点一个查看解答:", [*buttons, [MENU_BUTTON]])]


def ask_region(turn: Turn, argument: str = "") -> list[OutMessage]:
    if argument.strip() in REGION_NAMES:  # /region sichuan
        return set_region(turn, argument.strip())
    current = REGION_NAMES.get(turn.region or "", "未选择")
    buttons = rows([Button(name, f"r:{code}") for code, name in REGION_NAMES.items()], 3)
    return [message(f"请选择企业所在地区(当前:{current}),我会优先按该地区的政策回答:", buttons)]


def set_region(turn: Turn, code: str) -> list[OutMessage]:
    if code not in REGION_NAMES:
        return ask_region(turn)
    turn.state.region = code
    turn.state.context = None  # another place: earlier follow-ups no longer apply
    return [
        message(
            f"已设为「{REGION_NAMES[code]}」。之后的问题会优先按该地区的政策回答。请输入您的问题。",
            menu_buttons(),
        )
    ]


def _checklists() -> list[tuple[str, str]]:
    """(id, title) of every checklist; empty while calculators/checklists.py is not there."""
    try:
        from calculators.checklists import load_checklists
    except ImportError:
        return []
    loaded = load_checklists()
    pairs = loaded.items() if hasattr(loaded, "items") else ((c.id, c) for c in loaded)
    return [(str(cid), str(getattr(c, "title", cid))) for cid, c in pairs]


def list_checklists(turn: Turn, argument: str = "") -> list[OutMessage]:
    if argument.strip():  # /checklist export-9810
        return show_checklist(turn, argument.strip())
    listed = _checklists()
    if not listed:
        return [message("办事清单暂时无法提供,请直接输入您要办理的事项。", [[MENU_BUTTON]])]
    buttons = rows([Button(title[:40], f"cl:{cid}") for cid, title in listed])
    return [message("请选择要查看的办事清单:", [*buttons, [MENU_BUTTON]])]


def show_checklist(turn: Turn, checklist_id: str) -> list[OutMessage]:
    from intents.respond import checklist_text

    text = checklist_text(checklist_id)
    if text is None:
        return list_checklists(turn)
    return [message(text.strip(), [[Button("其他清单", "cmd:checklist"), MENU_BUTTON]])]
