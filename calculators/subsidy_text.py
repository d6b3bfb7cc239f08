"""A SubsidyEstimate as a phone reads it: the conclusion with the figure on line 1 (and the draft
status), then short 「• 」 lines (the working, the cap, the conditions, what to do next), then
the basis in words. Clause ids stay in as_dict(); none appears here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from calculators.amounts import format_yuan
from calculators.items import DOCUMENT
from calculators.wording import basis_line, plain_refs, tidy

ZERO = Decimal(0)

if TYPE_CHECKING:
    from calculators.items import SupportItem
    from calculators.subsidy import ItemEstimate, SubsidyEstimate

APPROVAL = "经区级主管部门认定"
DRAFT = "（征求意见稿，可能调整）"
CHECK = "• 注意：测算不是审批结果；年度总额控制，实际金额可能更低。"
NEXT = "• 下一步：准备材料向区级主管部门申报，可咨询高新区投资促进局。"
EXPIRED = "• 下一步：请关注高新区新出台的政策，或咨询高新区投资促进局。"


def cap_phrase(item: SupportItem) -> str:
    """每年50万元上限 / 一次性5万元上限 / 单笔订单10万元上限."""
    period = {"year": "每年", "once": "一次性", "order": "单笔订单"}[item.cap_period]
    return f"{period}{format_yuan(item.cap)}上限"


def term_words(item: SupportItem) -> str:
    """上限：连续三年，每年最高10万元 / 一次性最高5万元 / 每年最高50万元（条款未写明年限）."""
    if item.term == "one-off":
        return f"一次性最高{format_yuan(item.cap)}"
    if item.term == "consecutive":
        years = {1: "一", 2: "两", 3: "三"}.get(item.years or 0, item.years)
        return f"连续{years}年，{item.cap_words}"
    return f"{item.cap_words}（条款未写明年限）"


def year_caps(item: SupportItem) -> str:
    """；总额度首年不超过30万元，第二年、第三年各不超过50万元 (first-order only)."""
    if not item.year_caps:
        return ""
    first, second, third = item.year_caps
    later = (
        f"第二年、第三年各不超过{format_yuan(second)}"
        if second == third
        else (f"第二年不超过{format_yuan(second)}，第三年不超过{format_yuan(third)}")
    )
    return f"；总额度首年不超过{format_yuan(first)}，{later}"


def working(computed: ItemEstimate) -> str:
    """The calculation in one phrase: 海外仓费用80万元 × 50% = 40万元."""
    item = computed.item
    if item.per_event_cap is not None:
        return f"{computed.events}场 × 每场最高{format_yuan(item.per_event_cap)} = {format_yuan(computed.raw or ZERO)}"
    base = f"{item.base_short or ''}{format_yuan(computed.base or ZERO)}"
    excluded = f"（不含{item.excludes}）" if item.excludes else ""
    return f"{base}{excluded} × {(item.rate or 0) * 100:.0f}% = {format_yuan(computed.raw or ZERO)}"


def conditions(item: SupportItem) -> str:
    specific = [c for c in item.conditions if c != APPROVAL]
    return "；".join([f"{item.claimant}申报", *specific, f"须{APPROVAL}"])


def headline(computed: ItemEstimate) -> str:
    """Line 1 for one item: the figure and where it stands against the cap."""
    item, amount = computed.item, format_yuan(computed.estimate or ZERO)
    if item.per_event_cap is None and item.rate is None:
        return f"最高{amount}：条款只规定上限，不按比例测算{DRAFT}"
    verdict = f"已按{cap_phrase(item)}封顶" if computed.cap_applied else f"未超过{cap_phrase(item)}"
    lead = "最高可补" if computed.upper_bound else "可补"
    return f"{lead}{amount}，{verdict}{DRAFT}"


def _one(computed: ItemEstimate) -> list[str]:
    item = computed.item
    lines = [headline(computed)]
    if item.rate is not None or item.per_event_cap is not None:
        lines.append(f"• 计算：{working(computed)}")
    lines.append(f"• 上限：{term_words(item)}{year_caps(item)}")
    if item.year_caps:  # first-order: the same conditions as calc first-order gives
        from calculators.first_order_text import CONDITION_LINE

        lines.append(CONDITION_LINE)
    else:
        lines.append(f"• 条件：{conditions(item)}")
    return lines


def _many(result: SubsidyEstimate) -> list[str]:
    lead = "合计最高可补" if result.total_is_upper_bound else "合计可补"
    lines = [f"{lead}{format_yuan(result.total or ZERO)}{DRAFT}"]
    for computed in result.items:
        item = computed.item
        if computed.upper_bound and item.per_event_cap is None:
            lines.append(f"• {item.title}：{term_words(item)}（条款只规定上限，以认定为准）")
        else:
            lines.append(f"• {item.title}：{computed.explanation}")
    lines.append(f"• 条件：各项均须{APPROVAL}，申报主体以各条为准")
    return lines


def render(result: SubsidyEstimate) -> str:
    refs = [computed.item.source for computed in result.items]
    if result.status == "ineligible":
        lines = [f"按您提供的情况不符合申报条件，不测算金额{DRAFT}"]
        lines += [f"• {plain_refs(reason, DOCUMENT)}" for reason in result.reasons]
        lines += [f"• {computed.item.title}：{_rule(computed.item)}" for computed in result.items]
        refs += ["dalian-gxq-2026:scope", "dalian-gxq-2026:annex"]
    elif result.status == "expired":
        lines = [expired_headline(result.today, result.valid_until, result.draft)]
        lines += [f"• {computed.item.title}：{_rule(computed.item)}" for computed in result.items]
        lines.append(EXPIRED)
        refs.append("dalian-gxq-2026:annex")
    elif result.status == "changed":  # the new version's figures could not be read: no amount
        lines = ["不测算：该政策已发布新版本，相关条款的支持标准有调整"]
        lines += [f"• {reason}" for reason in result.reasons]
        refs.append("dalian-gxq-2026:annex")
    else:
        lines = _one(result.items[0]) if len(result.items) == 1 else _many(result)
        lines += [CHECK, NEXT]
        refs.append("dalian-gxq-2026:annex")
    return finish(lines, refs, result.document, result.draft)


def finish(lines: list[str], refs: list[str], document: str, draft: bool) -> str:
    """The basis line from the version the figures are from; no 征求意见稿 once a final text applies."""
    refs = [ref.replace(f"{DOCUMENT}:", f"{document}:", 1) if ref.startswith(f"{DOCUMENT}:") else ref for ref in refs]
    if not draft:
        lines = [line.replace(DRAFT, "").replace("（征求意见稿）", "") for line in lines]
    lines.append(basis_line(refs))
    return tidy("\n".join(lines))


def expired_headline(today: date, valid_until: date | None = None, draft: bool = True) -> str:
    day = f"{today.year}年{today.month}月{today.day}日"
    end = valid_until or date(2028, 12, 31)
    status = "（征求意见稿）" if draft else ""
    return f"不再测算：该政策{status}有效期至{end.year}年{end.month}月{end.day}日，今天（{day}）已过期"


def _rule(item: SupportItem) -> str:
    if item.per_event_cap is not None:
        return f"每场活动最高{format_yuan(item.per_event_cap)}，{item.cap_words}"
    if item.rate is None:
        return f"条款只规定{term_words(item)}"
    return f"按{item.base_short or '支出'}的{item.rate * 100:.0f}%支持，{term_words(item)}"
