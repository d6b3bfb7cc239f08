"""Hand-off to a person: the user's recent messages go to the staff chat; a staff member's
reply to that message comes back to the user on the channel they wrote from. Staff commands
(/stats, /unanswered, /top, /reload) are answered in the staff chat only, for staff only."""

from __future__ import annotations

import uuid

from bot.conversation import InboundEvent, OutMessage
from bot.flows.turn import REGION_NAMES, Services, Turn, message
from bot.state import Handoff

CHANNEL_NAMES = {"telegram": "Telegram", "web": "网页聊天", "cli": "终端"}
# Whom to ask when nobody is on duty: the offices the FAQ itself refers companies to.
CONTACTS = {
    "dalian-gxq": "高新区投资促进局",
    "liaoning": "所在市商务局或省商务厅",
    "yingkou": "营口市商务局或省商务厅",
    "panjin": "盘锦市商务局或省商务厅",
    "sichuan": "四川省商务厅或所在市(州)商务局",
}
OPEN_SECONDS = 2 * 3600  # how long what the user adds after a hand-off still goes to the staff
NO_STAFF = (
    "抱歉,目前没有配置人工客服通道,我无法把您的问题转给工作人员。"
    "请直接联系{contact}咨询;税务问题可拨打12366,海关问题可拨打12360。"
)


def staff_reachable(settings) -> bool:
    """A staff chat is configured and a Telegram bot runs to deliver to it (without a token the
    message would be dropped while the user waits for an answer that never comes)."""
    return settings.staff_chat_id is not None and settings.telegram_token is not None


def open_handoff(turn: Turn, _: str = "") -> list[OutMessage]:
    settings, event = turn.services.settings, turn.event
    if not staff_reachable(settings):
        contact = CONTACTS.get(turn.region or "", "所在地的商务主管部门")
        return [message(NO_STAFF.format(contact=contact))]
    if _active(turn):
        return [message("已经为您转接人工,请稍候。您补充的内容也会转给工作人员。")]
    handoff_id = uuid.uuid4().hex
    recent = turn.state.recent or ["(没有文字消息)"]
    summary = "\n".join(recent)
    lines = [
        f"【转人工】编号 {handoff_id[:8]}",
        f"渠道: {CHANNEL_NAMES.get(event.channel, event.channel)}",
        f"地区: {REGION_NAMES.get(turn.region or '', '未选择')}",
    ]
    if event.user_name:
        lines.append(f"用户: {event.user_name}")
    lines += ["最近的消息:", *(f"{i}. {text}" for i, text in enumerate(recent, 1))]
    lines.append("请直接回复(引用)本条消息,回复会转给该用户。")
    turn.services.store.open_handoff(Handoff(handoff_id, event.channel, event.chat_id))
    turn.services.recorder.handoff_opened(
        channel=event.channel, user_id=event.user_id, handoff_id=handoff_id, summary=summary
    )
    to_staff = OutMessage(
        text="\n".join(lines), chat_id=str(settings.staff_chat_id), channel="telegram", relay_key=handoff_id
    )
    turn.state.handoff = handoff_id
    turn.state.handoff_until = turn.services.now().timestamp() + OPEN_SECONDS
    told = message("已为您转接人工。服务中心工作人员会在这里回复您,请稍候;您也可以继续补充问题。")
    return [to_staff, told]


def _active(turn: Turn) -> bool:
    return bool(turn.state.handoff) and turn.services.now().timestamp() < turn.state.handoff_until


def addition(turn: Turn) -> list[OutMessage]:
    """What the user writes while a hand-off is open, for the staff chat (redacted, as stored)."""
    staff_chat = turn.services.settings.staff_chat_id
    if not staff_reachable(turn.services.settings) or not _active(turn):
        return []
    handoff_id, channel = turn.state.handoff or "", turn.event.channel
    text = f"【补充】编号 {handoff_id[:8]} ({CHANNEL_NAMES.get(channel, channel)})\n{turn.state.recent[-1]}"
    return [OutMessage(text=text, chat_id=str(staff_chat), channel="telegram", relay_key=handoff_id)]


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
        from bot.staff_commands import staff_reply

        answer = staff_reply(
            services.db, services.settings, user_id=event.user_id, chat_id=event.chat_id, text=text,
            today=services.today(),
        )  # fmt: skip
        return [message(answer)] if answer else []
    return []


def _relay(services: Services, event: InboundEvent, handoff: Handoff, text: str) -> list[OutMessage]:
    if event.kind != "text" or not text:
        return [message("只能转发文字回复,请用文字回复这条转人工消息。")]
    services.store.mark_answered(handoff.id)
    staff = event.user_name or f"telegram:{event.user_id}"
    services.recorder.handoff_answered(handoff_id=handoff.id, staff=staff)
    to_user = OutMessage(text=f"人工客服回复：\n{text}", chat_id=handoff.chat_id, channel=handoff.channel)
    return [to_user, message(f"已转给用户(编号 {handoff.id[:8]})。")]


def forwarded(services: Services, relay_key: str, message_id: str) -> None:
    services.store.add_staff_message(relay_key, str(message_id))
