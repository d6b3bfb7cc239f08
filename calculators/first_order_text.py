"""A FirstOrderResult as a phone reads it: the compensation on line 1 (with the draft status), the
working per order, the caps, the conditions, the reading of 总额度, then the basis in words."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from calculators.amounts import format_yuan
from calculators.items import DOCUMENT
from calculators.subsidy_text import CHECK, DRAFT, EXPIRED, NEXT, expired_headline
from calculators.wording import basis_line, plain_refs, tidy

ZERO = Decimal(0)

if TYPE_CHECKING:
    from calculators.first_order import FirstOrderResult, OrderCompensation

YEAR_NAMES = {1: "首年", 2: "第二年", 3: "第三年"}
CONDITION_LINE = (
    "• 条件：首次出海企业的首单进入指定海外仓后滞销超过6个月；承销首单并实际承受损失的区内经营主体申报，"
    "须经区级主管部门认定"
)
READING_LINE = "• 说明：总额度按每个申报主体每年计，如指全区总额以主管部门解释为准"


def _per_order_cap() -> str:
    from calculators.first_order import ITEM

    return format_yuan(ITEM.per_order_cap or ZERO)


def _working(order: OrderCompensation) -> str:
    from calculators.first_order import ITEM

    line = f"{format_yuan(order.amount)} × {(ITEM.rate or 0) * 100:.0f}% = {format_yuan(order.raw)}"
    if order.raw > order.per_order:
        line += f"，按单笔上限{format_yuan(order.per_order)}计"
    if order.granted == 0 and order.per_order > 0:
        line += "；年度总额度已用完，本笔为0元"
    elif order.granted is not None and order.granted < order.per_order:
        line += f"；年度总额度只剩{format_yuan(order.granted)}，本笔按{format_yuan(order.granted)}计"
    return line


def _headline(result: FirstOrderResult) -> str:
    year = YEAR_NAMES[result.policy_year]
    total = format_yuan(result.total or ZERO)
    if result.year_cap_applied:
        reached = "连同已获补偿已达" if result.already_claimed else "已达"
        verdict = f"{reached}{year}总额度{format_yuan(result.year_cap)}"
    elif len(result.orders) == 1:
        (order,) = result.orders
        capped = order.raw > order.per_order
        verdict = f"已按单笔{_per_order_cap()}上限封顶" if capped else f"未超过单笔{_per_order_cap()}上限"
    else:
        verdict = f"未超过{year}总额度{format_yuan(result.year_cap)}"
    lead = "可补偿" if len(result.orders) == 1 else "合计可补偿"
    return f"{lead}{total}，{verdict}{DRAFT}"


def _caps(result: FirstOrderResult) -> str:
    year = YEAR_NAMES[result.policy_year]
    line = f"• 上限：单笔最高{_per_order_cap()}；{year}总额度不超过{format_yuan(result.year_cap)}"
    if result.already_claimed:
        line += f"，本年度已获补偿{format_yuan(result.already_claimed)}，剩余{format_yuan(result.remaining)}"
    return line


def render(result: FirstOrderResult) -> str:
    from calculators.first_order import ITEM

    refs = [ITEM.source]
    if result.status != "estimate":
        if result.status == "ineligible":
            lines = [f"按您提供的情况不符合申报条件，不测算补偿金额{DRAFT}"]
            lines += [f"• {plain_refs(reason, DOCUMENT)}" for reason in result.reasons]
            refs.append("dalian-gxq-2026:scope")
        elif result.status == "changed":
            lines = ["不测算：该政策已发布新版本，首单补偿标准有调整"] + [f"• {reason}" for reason in result.reasons]
        else:
            lines = [expired_headline(result.today)]
        orders = "、".join(format_yuan(o.amount) for o in result.orders)
        rate = f"{(ITEM.rate or 0) * 100:.0f}%"
        lines.append(
            f"• 规则：按首单交易金额（您的订单：{orders}）的{rate}补偿，单笔订单最高{_per_order_cap()}"
        )
        lines.append(CONDITION_LINE if result.status == "ineligible" else EXPIRED)
    else:
        lines = [_headline(result)]
        if len(result.orders) == 1:
            lines.append(f"• 计算：订单{_working(result.orders[0])}")
        else:
            lines += [f"• 订单{n}：{_working(order)}" for n, order in enumerate(result.orders, 1)]
        lines += [_caps(result), CONDITION_LINE, READING_LINE, CHECK, NEXT]
    refs.append("dalian-gxq-2026:annex")
    lines.append(basis_line(refs))
    return tidy("\n".join(lines))
