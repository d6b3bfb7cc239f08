"""Staff commands in the staff Telegram chat: /stats [days], /unanswered [days], /top [days],
and /reload (operators only: validate, evaluate and load the edited FAQ).

Pure part: each command is a function of the database returning plain text (the Telegram
adapter escapes it). ``staff_reply`` decides whether a message is a staff command from a
configured staff member in the staff chat and answers it; anything else gives None, so the
router passes the message on. The adapter runs it in a worker thread (it reads SQLite).
"""

from __future__ import annotations

from datetime import date

from bot.conversation.vocabulary import Command, command_named, parse_command
from bot.records import stats as stats
from bot.records.tickets import count_open
from bot.settings import Settings
from bot.storage.sqlite import Database

DEFAULT_DAYS = 7
MAX_DAYS = 365


def parse_days(argument: str | None) -> int:
    """'/stats 30' -> 30; missing or bad -> 7; capped at 365."""
    try:
        days = int((argument or "").split()[0])
    except (ValueError, IndexError):
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


def _period(scope: stats.Scope) -> str:
    return f"{scope.start:%m-%d}—{scope.end:%m-%d}" if scope.start != scope.end else f"{scope.end:%m-%d}"


def stats_text(db: Database, days: int = DEFAULT_DAYS, today: date | None = None) -> str:
    scope = stats.Scope.last(days, today)
    per_day = stats.enquiries_per_day(db, scope)
    total = sum(n for _, n in per_day)
    lines = [f"📊 近{days}天({_period(scope)})咨询 {total} 条"]
    if total:
        kinds = dict(stats.count_by(db, scope, "kind"))
        unanswered = sum(kinds.get(kind, 0) for kind in stats.UNANSWERED_KINDS)
        lines.append(f"未能回答 {unanswered} 条({unanswered / total:.0%}),追问 {kinds.get('clarify', 0)} 条")
        channels = "、".join(f"{channel} {n}" for channel, n in stats.count_by(db, scope, "channel"))
        lines.append(f"渠道:{channels}")
        regions = "、".join(f"{region or '未选'} {n}" for region, n in stats.count_by(db, scope, "region"))
        lines.append(f"地区:{regions}")
    votes = stats.feedback(db, scope)
    ratio = f"(好评率 {votes.ratio:.0%})" if votes.ratio is not None else ""
    lines.append(f"评价:👍 {votes.up} / 👎 {votes.down}{ratio}")
    lines.append(f"待处理转人工:{count_open(db)}")  # tickets waiting for a reply (bot/records/tickets.py)
    if days <= 14 and total:
        lines.append("每日:" + " ".join(f"{day:%m-%d} {n}" for day, n in per_day))
    return "\n".join(lines)


def unanswered_text(db: Database, days: int = DEFAULT_DAYS, limit: int = 10, today: date | None = None) -> str:
    scope = stats.Scope.last(days, today)
    groups = stats.unanswered(db, scope, limit)
    low = stats.low_confidence(db, scope, limit)
    if not groups and not low:
        return f"近{days}天没有未能回答或低置信度的问题。"
    lines = []
    if groups:
        lines.append(f"❓ 近{days}天未能回答的问题:")
        lines += [f"{n}. {g.text}({g.count}次)" for n, g in enumerate(groups, 1)]
    if low:
        lines.append(f"🤔 近{days}天低置信度的问题:")
        lines += [f"{n}. {g.text}({g.count}次,猜测 {g.best_intent or '—'})" for n, g in enumerate(low, 1)]
    return "\n".join(lines)


def top_text(db: Database, days: int = DEFAULT_DAYS, limit: int = 10, today: date | None = None) -> str:
    from bot.records.catalog import intent_catalog

    scope = stats.Scope.last(days, today)
    intents = stats.top_intents(db, scope, limit)
    if not intents:
        return f"近{days}天还没有匹配到问答的咨询。"
    catalog = intent_catalog()
    lines = [f"🔝 近{days}天热门问题:"]
    lines += [f"{n}. {catalog.get(intent, {}).get('title', intent)}({count}次)" for n, (intent, count) in enumerate(intents, 1)]
    demand = stats.calculator_demand(db, scope)
    if demand:
        lines.append("🧮 测算需求:")
        lines += [f"· {d.item}:{d.count}次,测算合计 {d.estimate:,.0f} 元" for d in demand[:limit]]
    return "\n".join(lines)


def is_staff(settings: Settings, user_id: int | str | None) -> bool:
    try:
        return user_id is not None and int(user_id) in settings.staff_ids
    except (TypeError, ValueError):
        return False


def staff_reply(db: Database, settings: Settings, *, user_id: int | str | None, chat_id: int | str | None,
                text: str | None, today: date | None = None) -> str | None:  # fmt: skip
    """The answer to a staff command, or None when the message is not one we answer.

    Only configured staff (CBEC_STAFF_USER_IDS / CBEC_OPERATOR_USER_IDS), and only in the staff
    chat (CBEC_STAFF_CHAT_ID): figures about companies' questions stay among staff.
    """
    parsed = parse_command(text)
    command = command_named(parsed[0], staff=True) if parsed else None
    if parsed is None or command is None:
        return None
    argument = parsed[1]
    if not is_staff(settings, user_id):
        return None
    if settings.staff_chat_id is None or str(chat_id) != str(settings.staff_chat_id):
        return None
    if command == Command.RELOAD:
        return reload_text(db, settings, user_id)
    days = parse_days(argument)
    if command == Command.STATS:
        return stats_text(db, days, today)
    if command == Command.UNANSWERED:
        return unanswered_text(db, days, today=today)
    return top_text(db, days, today=today)


def reload_text(db: Database, settings: Settings, user_id: int | str | None) -> str:
    if int(str(user_id)) not in settings.operator_ids:
        return "只有运维人员(CBEC_OPERATOR_USER_IDS)可以重新加载FAQ。"
    from bot.ops.faq_ops import FaqOperations

    outcome = FaqOperations(db).reload(f"telegram:{user_id}")
    return ("✅ " if outcome.ok else "⛔ ") + outcome.message

