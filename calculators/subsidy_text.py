"""Plain-Chinese rendering of a SubsidyEstimate: short lines that read on a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calculators.notes import TITLE, money

APPROVAL = "经区级主管部门认定"

if TYPE_CHECKING:
    from calculators.subsidy import SubsidyEstimate


def render(result: SubsidyEstimate) -> str:
    lines = [f"{TITLE} 补贴测算"]
    if result.status != "estimate":
        head = (
            "按您提供的情况，不符合申报条件，不测算金额："
            if result.status == "ineligible"
            else "政策已过期："
        )
        lines += [head, *(f"· {reason}" for reason in result.reasons)]
    for number, computed in enumerate(result.items, 1):
        item = computed.item
        lines.append(f"{number}. {item.title}（{item.source}）")
        lines.append(f"   {computed.explanation}")
        if computed.estimate is not None:
            label = "最高" if computed.upper_bound else "测算"
            lines.append(f"   {label}：{money(computed.estimate)}；{item.term_label}")
        lines.append(f"   申报主体：{item.claimant}")
        specific = [c for c in item.conditions if c != APPROVAL]  # 认定 is in every item and in the notes
        if specific:
            lines.append(f"   条件：{'；'.join(specific)}")
    if result.total is not None:
        label = "合计（含上限项，为最高额）" if result.total_is_upper_bound else "合计"
        lines.append(f"{label}：{money(result.total)}")
    lines.append("注意：")
    lines += [f"· {warning}" for warning in result.warnings]
    return "\n".join(lines)
