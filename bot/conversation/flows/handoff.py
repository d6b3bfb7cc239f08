"""Hand-off to a person: every 转人工 (typed, /human, the 都不是 and 转人工 buttons) opens a
ticket (bot/records/tickets.py) that staff answer from the dashboard, the CLI or the Telegram staff
chat; the reply comes back on the channel the user wrote from. The user is told only what the
configuration makes true: when to expect an answer (CBEC_HANDOFF_HOURS), whom to call
(CBEC_HANDOFF_CONTACT), and where the answer will show. They may leave a call-back number,
which goes into the ticket only. Staff commands (/stats, /unanswered, /top, /reload) are
answered in the staff chat only, for staff only."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from bot.conversation.messages import Button, InboundEvent, OutMessage
from bot.conversation.service_hours import DAY_NAMES, ServiceHours, clock
from bot.conversation.state import Handoff
from bot.conversation.turn import HUMAN_BUTTON, MENU_BUTTON, Services, Turn, message
from bot.conversation.vocabulary import CHANNEL_NAMES, REGION_LABELS, Prefix, button_value
from bot.records import tickets

# Whom to ask when it is urgent and no contact is configured: the offices the FAQ itself refers companies to.
CONTACTS = {
    "dalian-gxq": "高新区投资促进局",
    "liaoning": "所在市商务局或省商务厅",
    "yingkou": "营口市商务局或省商务厅",
    "panjin": "盘锦市商务局或省商务厅",
    "sichuan": "四川省商务厅或所在市(州)商务局",
}
OPEN_SECONDS = 2 * 3600  # how long what the user adds after a hand-off still goes to the ticket
WHERE = {
    "web": "回复会显示在这个聊天页面；关掉页面也没关系，用同一浏览器再打开本页就能看到。",
    "telegram": "回复会由本机器人发给您。",
    "cli": "回复会显示在这个终端对话里。",
    "wechat": "回复会由本公众号发给您。",
}
PHONE, NO_PHONE = "phone", "nophone"  # the arguments of the tk: buttons
PHONE_BUTTON = Button("留下电话，请工作人员回电", button_value(Prefix.TICKET, PHONE))
PHONE_ASK = (
    "请直接输入您的手机号或座机号（例如13800000000或0411-12345678）。"
    "号码只保存在工单里，只有工作人员能看到，工单关闭30天后删除。"
)
PHONE_TEXT = re.compile(r"(?<!\d)(?:1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}[ \-]?\d{7,8}|[48]00[ \-]?\d{3}[ \-]?\d{4})(?!\d)")


def staff_reachable(settings) -> bool:
    """A staff chat is configured and a Telegram bot runs to deliver to it (without a token the
    message would be dropped)."""
    return settings.staff_chat_id is not None and settings.telegram_token is not None


def when_answered(hours: ServiceHours | None, now: datetime) -> str:
    """What the user may expect, true for the configuration."""
    if hours is None:
        return "工作人员看到后会在这里回复您（服务中心没有设定固定的服务时间，暂时无法告诉您确切的回复时间）。"
    if hours.is_open(now):
        closing = hours.closing_today(now)
        return f"现在是服务时间（{hours.label()}），工作人员一般会在今天{clock(closing)}前回复您。"
    opening = hours.next_opening(now)
    day = f"{opening.month}月{opening.day}日（{DAY_NAMES[opening.weekday()]}）"
    return (
        f"现在不是服务时间（{hours.label()}）。您的问题已经登记，"
        f"工作人员会在{day}{clock(opening)}上班后处理并回复您。"
    )


def contact_line(settings, region: str | None) -> str:
    if settings.handoff_contact:
        return f"急事可以直接联系：{settings.handoff_contact}。"
    office = CONTACTS.get(region or "", "所在地的商务主管部门")
    return f"急事可以直接联系{office}；税务问题可拨打12366，海关问题可拨打12360。"


def open_handoff(turn: Turn, _: str = "") -> list[OutMessage]:
    services, event = turn.services, turn.event
    settings, now = services.settings, services.now()
    turn.state.downvotes = 0
    active = tickets.active_for(services.db, event.channel, event.chat_id)
    if active is not None and active.state == "open":
        turn.state.handoff = active.handoff_id
        turn.state.handoff_until = now.timestamp() + OPEN_SECONDS
        text = (
            f"您的问题已经转给工作人员（工单#{active.id}），请稍候；您补充的内容也会转给工作人员。"
            + when_answered(settings.service_hours, now)
        )
        return [message(text, _ticket_buttons(active))]
    handoff_id = uuid.uuid4().hex
    transcript = turn.state.transcript or [{"who": "user", "text": t} for t in turn.state.recent]
    ticket = tickets.open_ticket(
        services.db, handoff_id=handoff_id, channel=event.channel, chat_id=str(event.chat_id),
        user_key=turn.user_key, region=turn.region, intents=turn.state.asked, transcript=transcript, now=now,
    )  # fmt: skip
    recent = turn.state.recent or ["(没有文字消息)"]
    services.store.open_handoff(Handoff(handoff_id, event.channel, event.chat_id))
    services.recorder.handoff_opened(
        channel=event.channel, user_id=event.user_id, handoff_id=handoff_id, summary="\n".join(recent)
    )
    turn.state.handoff = handoff_id
    turn.state.handoff_until = now.timestamp() + OPEN_SECONDS
    told = message(
        f"已为您转人工，工单编号#{ticket.id}。{when_answered(settings.service_hours, now)}"
        f"{WHERE.get(event.channel, '')}{contact_line(settings, turn.region)}",
        _ticket_buttons(ticket),
    )
    if not staff_reachable(settings):
        return [told]
    lines = [
        f"【转人工】工单#{ticket.id}(编号 {handoff_id[:8]})",
        f"渠道: {CHANNEL_NAMES.get(event.channel, event.channel)}",
        f"地区: {REGION_LABELS.get(turn.region or '', '未选择')}",
    ]
    if event.user_name:
        lines.append(f"用户: {event.user_name}")
    lines += ["最近的消息:", *(f"{i}. {text}" for i, text in enumerate(recent, 1))]
    lines.append("请直接回复(引用)本条消息,回复会转给该用户;也可以在工作台回复。")
    to_staff = OutMessage(
        text="\n".join(lines), chat_id=str(settings.staff_chat_id), channel="telegram", relay_key=handoff_id
    )
    return [to_staff, told]


def _ticket_buttons(ticket: tickets.Ticket) -> list[list[Button]]:
    return [[PHONE_BUTTON], [MENU_BUTTON]] if not ticket.callback_phone else [[MENU_BUTTON]]


def _active(turn: Turn) -> bool:
    return bool(turn.state.handoff) and turn.services.now().timestamp() < turn.state.handoff_until


def addition(turn: Turn) -> list[OutMessage]:
    """What the user writes while a hand-off is open goes into the ticket (redacted), and to the
    staff chat when there is one."""
    if not _active(turn):
        return []
    handoff_id, channel = turn.state.handoff or "", turn.event.channel
    ticket = tickets.by_handoff(turn.services.db, handoff_id)
    if ticket is None or ticket.state == "closed":
        return []
    tickets.add_user_message(turn.services.db, ticket.id, turn.state.recent[-1], now=turn.services.now(),
                             write=turn.services.store.write)  # fmt: skip
    if not staff_reachable(turn.services.settings):
        return []
    text = f"【补充】工单#{ticket.id}(编号 {handoff_id[:8]}, {CHANNEL_NAMES.get(channel, channel)})\n{turn.state.recent[-1]}"
    staff_chat = str(turn.services.settings.staff_chat_id)
    return [OutMessage(text=text, chat_id=staff_chat, channel="telegram", relay_key=handoff_id)]


# -- the call-back number -------------------------------------------------------------------------
def on_button(turn: Turn, what: str) -> list[OutMessage]:
    """tk:phone (leave a number) or tk:nophone (changed one's mind)."""
    return no_phone(turn) if what == NO_PHONE else ask_phone(turn)


def ask_phone(turn: Turn, _: str = "") -> list[OutMessage]:
    ticket = tickets.active_for(turn.services.db, turn.event.channel, turn.event.chat_id)
    if ticket is None:
        return [message("您现在没有进行中的人工工单。需要人工帮助请点「转人工」。", [[HUMAN_BUTTON]])]
    turn.state.awaiting_phone = ticket.id
    return [message(PHONE_ASK, [[Button("不留电话了", button_value(Prefix.TICKET, NO_PHONE))]])]


def no_phone(turn: Turn, _: str = "") -> list[OutMessage]:
    turn.state.awaiting_phone = None
    return [message("好的，不留电话。工作人员会在这里回复您。", [[MENU_BUTTON]])]


def take_phone(turn: Turn) -> list[OutMessage] | None:
    """The message after 「留下电话」: a number goes into the ticket only (never the enquiry
    log, the state or a log line). Anything else is read as a question (None)."""
    ticket_id, turn.state.awaiting_phone = turn.state.awaiting_phone, None
    found = PHONE_TEXT.search(turn.text)
    if found is None or ticket_id is None:
        return None
    number = re.sub(r"[ \-]", "", found.group(0))
    tickets.set_callback(turn.services.db, ticket_id, number, now=turn.services.now())
    hours = turn.services.settings.service_hours
    when = f"工作人员会在服务时间（{hours.label()}）" if hours else "工作人员会"
    masked = number[:3] + "****" + number[-4:]
    return [message(f"已记下您的电话{masked}（只保存在工单#{ticket_id}里）。{when}给您回电，也会在这里回复您。", [[MENU_BUTTON]])]


# -- the Telegram staff chat -------------------------------------------------------------------
def is_staff_chat(services: Services, event: InboundEvent) -> bool:
    staff_chat = services.settings.staff_chat_id
    return event.channel == "telegram" and staff_chat is not None and str(event.chat_id) == str(staff_chat)


def staff_chat_event(services: Services, event: InboundEvent) -> list[OutMessage]:
    """A message in the staff chat: a reply to a hand-off, a staff command, or staff talking
    among themselves (left alone)."""
    text = (event.text or "").strip()
    if event.reply_to_message_id:
        handoff = services.store.handoff_for_message(str(event.reply_to_message_id))
        if handoff is not None:
            return _relay(services, event, handoff, text)
    if text.startswith("/"):
        from bot.conversation.flows.staff import staff_reply

        answer = staff_reply(
            services.db, services.settings, user_id=event.user_id, chat_id=event.chat_id, text=text,
            today=services.today(),
        )  # fmt: skip
        return [message(answer)] if answer else []
    return []


def _relay(services: Services, event: InboundEvent, handoff: Handoff, text: str) -> list[OutMessage]:
    """A staff reply in the staff chat: into the ticket (the dashboard shows it), and to the
    user: a Telegram user at once, a web or terminal user through their channel's collection."""
    if event.kind != "text" or not text:
        return [message("只能转发文字回复,请用文字回复这条转人工消息。")]
    ticket = tickets.by_handoff(services.db, handoff.id)
    staff = event.user_name or f"telegram:{event.user_id}"
    services.store.mark_answered(handoff.id)
    if ticket is None:  # a hand-off from before tickets existed
        services.recorder.handoff_answered(handoff_id=handoff.id, staff=staff)
        to_user = OutMessage(text=f"人工客服回复：\n{text}", chat_id=handoff.chat_id, channel=handoff.channel)
        return [to_user, message(f"已转给用户(编号 {handoff.id[:8]})。")]
    direct = handoff.channel == "telegram"
    try:
        tickets.reply(services.db, ticket.id, text, staff, via="telegram-staff", delivered=direct, now=services.now())
    except tickets.TicketError as error:
        return [message(str(error))]
    done = message(f"已转给用户(工单#{ticket.id})。")
    if not direct:
        return [done]
    to_user = OutMessage(
        text=f"人工客服回复（工单#{ticket.id}）：\n{text}", chat_id=handoff.chat_id, channel=handoff.channel
    )
    return [to_user, done]


def forwarded(services: Services, relay_key: str, message_id: str) -> None:
    services.store.add_staff_message(relay_key, str(message_id))
