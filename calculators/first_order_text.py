"""Plain-Chinese rendering of a FirstOrderResult: short lines that read on a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calculators.amounts import format_yuan
from calculators.notes import money

if TYPE_CHECKING:
    from calculators.first_order import FirstOrderResult

YEAR_NAMES = {1: "首年", 2: "第二年", 3: "第三年"}


def render(result: FirstOrderResult) -> str:
    from calculators.first_order import CONDITIONS, ITEM, order_line

    year = YEAR_NAMES[result.policy_year]
    lines = [
        "首单滞销风险补偿测算（dalian-gxq-2026:11，征求意见稿）",
        f"政策第{result.policy_year}年（{year}），年度总额度不超过{format_yuan(result.year_cap)}",
    ]
    if result.already_claimed:
        lines.append(
            f"本年度已获补偿{format_yuan(result.already_claimed)}，剩余额度{format_yuan(result.remaining)}"
        )
    if result.status != "estimate":
        head = (
            "按您提供的情况，不符合申报条件，不测算金额："
            if result.status == "ineligible"
            else "政策已过期："
        )
        lines += [head, *(f"· {reason}" for reason in result.reasons)]
        lines += [f"{n}. 订单{format_yuan(o.amount)}" for n, o in enumerate(result.orders, 1)]
        rate, cap = ITEM.rate or 0, format_yuan(ITEM.per_order_cap or 0)
        lines.append(f"规则：按首单交易金额的{rate:.0%}补偿，单笔订单最高{cap}")
    else:
        for number, order in enumerate(result.orders, 1):
            lines.append(f"{number}. {order_line(order)}")
            if order.granted is not None and order.granted < order.per_order:
                lines.append(
                    f"   年度总额度只剩{format_yuan(order.granted)}，本笔按{format_yuan(order.granted)}计"
                )
        assert result.total is not None
        reached = "连同已获补偿，已达" if result.already_claimed else "已达"
        verdict = f"{reached}{year}总额度" if result.year_cap_applied else f"未超过{year}总额度"
        lines.append(f"合计：{money(result.total)}，{verdict}{format_yuan(result.year_cap)}")
    lines.append("条件：")
    lines += [f"· {condition}" for condition in CONDITIONS]
    lines.append("注意：")
    lines += [f"· {warning}" for warning in result.warnings]
    return "\n".join(lines)
