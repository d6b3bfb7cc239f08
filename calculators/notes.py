"""What every dalian-gxq-2026 estimate must say, and the policy's end date (all from the annex)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from calculators.amounts import format_plain, format_yuan

VALID_UNTIL = date(2028, 12, 31)  # 附则: 有效期至 2028 年 12 月 31 日
TITLE = "大连高新区促进跨境电商产业高质量发展若干政策（征求意见稿）"
ANNEX = "dalian-gxq-2026:annex"

STANDARD_NOTES = (
    "本政策为征求意见稿，比例和金额以正式印发的文本为准，可能调整。",
    "各项支持均须经区级主管部门认定；以上是按条款比例和上限的测算，不是审批结果。",
    "同一项目、同一事项同时符合本政策和高新区其他专项支持政策的，按“从高从优不重复”原则支持（dalian-gxq-2026:annex）。",
    "政策施行年度限额内总额控制，可结合实际适当调整资金支持比例和内容，实际金额可能低于测算（dalian-gxq-2026:annex）。",
    "政策有效期至2028年12月31日（dalian-gxq-2026:annex）。",
)


def is_expired(today: date, valid_until: date | None = VALID_UNTIL) -> bool:
    return valid_until is not None and today > valid_until


def expired_message(today: date, valid_until: date = VALID_UNTIL, annex: str = ANNEX) -> str:
    return (
        f"该政策有效期至{valid_until.year}年{valid_until.month}月{valid_until.day}日（{annex}），"
        f"今天（{today.isoformat()}）已过期，不再测算金额。请关注高新区新出台的政策，或咨询高新区投资促进局。"
    )


def notes_for(doc_id: str, draft: bool, valid_until: date | None) -> tuple[str, ...]:
    """STANDARD_NOTES for the version of the policy a calculation follows: the draft note only
    for a draft, the end date its own."""
    notes = [note.replace(ANNEX, f"{doc_id}:annex") for note in STANDARD_NOTES[1:4]]
    if valid_until:
        notes.append(f"政策有效期至{valid_until.year}年{valid_until.month}月{valid_until.day}日（{doc_id}:annex）。")
    return ((STANDARD_NOTES[0],) if draft else ()) + tuple(notes)


def money(amount: Decimal) -> str:
    """40万元, and the exact figure beside it when the 万 form hides nothing: 40万元（400,000元）."""
    short, plain = format_yuan(amount), format_plain(amount)
    return short if short == plain else f"{short}（{plain}）"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def json_number(amount: Decimal | None) -> int | float | None:
    """Money for JSON: whole yuan as int, otherwise a float rounded to the fen."""
    if amount is None:
        return None
    if amount == amount.to_integral_value():
        return int(amount)
    return float(round(amount, 2))
