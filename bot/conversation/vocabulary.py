"""The assistant's words for things, defined once: the labels of enquiry kinds, regions and
channels, the slash commands (with their menu descriptions and the /help line), the prefixes of
button values, and the one parser of a command.

A leaf like messages.py: it imports nothing of the project, so every layer may read it (the
staff pages and the demand report name regions and channels with these labels too;
tests/test_layers.py keeps it a leaf, and keeps these labels from being defined anywhere else).
Adding a command means adding it here: the ``Command`` member, its entry in ``COMMANDS`` and in
``HELP_ORDER``, and its handler in ``bot/conversation/core.py``'s ``HANDLERS``
(tests/test_vocabulary.py fails until the two agree)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# -- what an enquiry got (intents.respond.Reply.kind), as the staff read it ----------------------
KIND_LABELS = {
    "answer": "解答", "clarify": "追问", "excerpt": "条款摘录", "calculation": "测算", "checklist": "清单",
    "handoff": "转人工", "smalltalk": "寒暄", "fallback": "未能回答",
}  # fmt: skip

# -- regions (intents.matcher.REGIONS, the --region values) --------------------------------------
# What a user chooses from: 「辽宁其他地区」 says that Yingkou and Panjin have buttons of their own.
REGION_LABELS = {
    "dalian-gxq": "大连高新区", "liaoning": "辽宁其他地区", "yingkou": "营口", "panjin": "盘锦", "sichuan": "四川",
    "other": "其他",
}  # fmt: skip
# The same codes in the staff pages' columns and filters and in the demand report: short.
REGION_SHORT_LABELS = {
    "dalian-gxq": "大连高新区", "liaoning": "辽宁", "yingkou": "营口", "panjin": "盘锦", "sichuan": "四川",
    "other": "其他地区",
}  # fmt: skip
# A place as said in a follow-up, 「四川呢」: the buttons under an answer that depends on the place.
PLACE_WORDS = {"dalian-gxq": "高新区", "liaoning": "辽宁", "sichuan": "四川", "yingkou": "营口", "panjin": "盘锦"}

# -- channels (InboundEvent.channel) --------------------------------------------------------------
# In a table or a filter (staff pages, the demand report).
CHANNEL_LABELS = {"web": "网页", "telegram": "Telegram", "wechat": "微信", "cli": "终端"}
# In a sentence to the staff: where the user wrote from (the hand-off message in the staff chat).
CHANNEL_NAMES = {"telegram": "Telegram", "web": "网页聊天", "cli": "终端", "wechat": "微信公众号"}


# -- slash commands -------------------------------------------------------------------------------
class Command(StrEnum):
    START = "start"
    HELP = "help"
    MENU = "menu"
    REGION = "region"
    CALC = "calc"
    CHECKLIST = "checklist"
    CANCEL = "cancel"
    HUMAN = "human"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    # staff commands, answered in the staff chat only (bot/conversation/flows/staff.py)
    STATS = "stats"
    UNANSWERED = "unanswered"
    TOP = "top"
    RELOAD = "reload"


@dataclass(frozen=True)
class CommandInfo:
    command: Command
    menu: str  # its line in Telegram's command menu (setMyCommands)
    help: str = ""  # how the /help text names it (user commands)
    staff: bool = False  # staff chat only


# In the order of Telegram's command menu.
COMMANDS = (
    CommandInfo(Command.START, "开始：功能介绍和主题菜单"),
    CommandInfo(Command.HELP, "使用说明", "本说明"),
    CommandInfo(Command.MENU, "主题菜单", "主题菜单"),
    CommandInfo(Command.REGION, "选择企业所在地区", "选择地区"),
    CommandInfo(Command.CALC, "补贴测算", "补贴测算"),
    CommandInfo(Command.CHECKLIST, "办事清单", "办事清单"),
    CommandInfo(Command.CANCEL, "取消正在进行的测算", "取消测算"),
    CommandInfo(Command.HUMAN, "转人工", "转人工"),
    CommandInfo(Command.SUBSCRIBE, "订阅政策更新", "订阅政策更新"),
    CommandInfo(Command.UNSUBSCRIBE, "退订政策更新", "退订"),
    CommandInfo(Command.STATS, "咨询统计 [天数]", staff=True),
    CommandInfo(Command.UNANSWERED, "未能回答和低置信度的问题 [天数]", staff=True),
    CommandInfo(Command.TOP, "热门问题和测算需求 [天数]", staff=True),
    CommandInfo(Command.RELOAD, "重新加载FAQ（运维人员）", staff=True),
)
USER_COMMANDS = tuple(info for info in COMMANDS if not info.staff)
STAFF_COMMANDS = tuple(info for info in COMMANDS if info.staff)
# The /help line names the commands in the order a user needs them; /start is the welcome itself.
HELP_ORDER = (
    Command.REGION, Command.MENU, Command.CALC, Command.CHECKLIST, Command.HUMAN, Command.CANCEL,
    Command.SUBSCRIBE, Command.UNSUBSCRIBE, Command.HELP,
)  # fmt: skip


def help_line() -> str:
    """「/region 选择地区，/menu 主题菜单，…，/help 本说明」 for the /help text."""
    described = {info.command: info.help for info in USER_COMMANDS}
    return "，".join(f"/{command} {described[command]}" for command in HELP_ORDER)


def parse_command(text: str | None) -> tuple[str, str] | None:
    """'/Stats@cbec_bot 30' -> ('stats', '30'): the command's name, lower case and without the bot
    a group chat addresses, and the rest of the line. None when the text is not a command."""
    text = (text or "").strip()
    if not text.startswith("/"):
        return None
    head, _, argument = text.partition(" ")
    return head[1:].split("@", 1)[0].lower(), argument


def command_named(name: str, *, staff: bool = False) -> Command | None:
    """The user command (or, with ``staff``, the staff command) called ``name``; None otherwise."""
    for info in COMMANDS:
        if info.command == name and info.staff == staff:
            return info.command
    return None


# -- button values: "<prefix>:<argument>" ---------------------------------------------------------
class Prefix(StrEnum):
    MENU = "menu"  # the whole value: back to the topic menu
    TOPIC = "t"  # t:<menu topic key>
    INTENT = "i"  # i:<intent id>
    REGION = "r"  # r:<region code>, chosen as the user's region
    PLACE = "rg"  # rg:<region code>, the same question asked there (「四川呢」)
    FEEDBACK = "fb"  # fb:+:<enquiry id> or fb:-:<enquiry id>
    CALC = "c"  # c:pick:<item>, c:done, c:year:<n>, c:cancel (the /calc dialogue)
    CHECKLIST = "cl"  # cl:<checklist id>
    MORE = "more"  # more:<key>, the rest of a long reply
    SOURCE = "src"  # src:<clause ref>, 查看原文
    TICKET = "tk"  # tk:phone, tk:nophone (a hand-off's call-back number)
    SUBSCRIBE = "sub"  # sub:menu, sub:off, sub:t:<topic>, sub:r:<region>
    COMMAND = "cmd"  # cmd:<command>, a command pressed as a button


def button_value(prefix: Prefix, *parts: object) -> str:
    """button_value(Prefix.FEEDBACK, "+", enquiry_id) -> 'fb:+:<enquiry id>'."""
    return ":".join([prefix.value, *(str(part) for part in parts)])


def parse_button(value: str | None) -> tuple[str, str]:
    """'fb:+:abc' -> ('fb', '+:abc'): the prefix and its argument."""
    prefix, _, argument = (value or "").partition(":")
    return prefix, argument


def has_prefix(value: str, prefix: Prefix) -> bool:
    return parse_button(value)[0] == prefix.value
