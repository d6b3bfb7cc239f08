"""Enterprise income tax under 核定征收 for 综试区 retail exporters (the 4% deemed-profit rule).

Every figure comes from policy_faq/documents/regulations.md and the clauses that point to it
(liaoning-2026:15, sichuan-2024:16): 应税所得率 4% (国家税务总局公告2019年第36号), the standard rate
25%, and the 小型微利企业 preference (财政部 税务总局公告2023年第12号): 25% of taxable income counted,
taxed at 20%, while annual taxable income is at most RMB 3 million. Nothing here is a tax ruling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from calculators.amounts import format_yuan
from calculators.notes import json_number, money
from calculators.wording import basis_line, tidy

DEEMED_PROFIT_RATE = Decimal("0.04")  # 国家税务总局公告2019年第36号
STANDARD_RATE = Decimal("0.25")  # regulations.md: standard enterprise income tax rate
SMALL_PROFIT_COUNTED = Decimal("0.25")  # 财政部 税务总局公告2023年第12号: 25% counted ...
SMALL_PROFIT_RATE = Decimal("0.20")  # ... and taxed at 20%
SMALL_PROFIT_INCOME_LIMIT = Decimal("3000000")  # annual taxable income <= RMB 3 million
SMALL_PROFIT_UNTIL = date(2027, 12, 31)  # 财政部 税务总局公告2023年第12号: 执行至2027年12月31日
SMALL_PROFIT_RULE = "mof-sat-2023-12"


def small_profit_until() -> date:
    """The end of the small-low-profit relief: the valid_until of its rule in the corpus (the one
    place a document's end date is kept), else 2027-12-31."""
    from policy_faq.corpus import documents_by_id

    doc = documents_by_id().get(SMALL_PROFIT_RULE)
    return date.fromisoformat(doc.valid_until) if doc is not None and doc.valid_until else SMALL_PROFIT_UNTIL
SOURCES = ("liaoning-2026:15", "sichuan-2024:16")
CENT = Decimal("0.01")

DEEMED_PROFIT_CONDITIONS = (
    "企业在综试区内注册，并在当地跨境电商线上综合服务平台登记每笔出口货物的日期、名称、计量单位、数量、单价和金额"
    "（财税〔2018〕103号、国家税务总局公告2019年第36号）；",
    "货物在综试区所在地海关办理跨境电商零售出口申报手续；",
    "出口货物不属于财政部、税务总局明确取消出口退（免）税的货物；",
    "出口货物未取得有效进货凭证、适用增值税和消费税免税政策（即“无票免税”）；",
    "自2020年1月1日起施行，须经主管税务机关鉴定后才按4%应税所得率核定征收。",
)
SMALL_PROFIT_CONDITIONS = (
    "年应纳税所得额不超过300万元、从业人数不超过300人、资产总额不超过5000万元，"
    "且从事国家非限制和禁止行业（财政部 税务总局公告2023年第12号，执行至2027年12月31日）；"
    "核定征收企业也可享受（国家税务总局公告2023年第6号）。"
)
UNCONFIRMED = (
    "2026年出口退税规定已整合（国家税务总局公告2026年第5号），出口增值税与新增值税法衔接"
    "（财政部 税务总局公告2026年第11号），其废止了哪些旧文件尚未核实：以税务机关最新规定为准。"
)
CONTACT = "具体以主管税务机关鉴定和最新规定为准，可咨询12366纳税服务热线。"
DEEMED_PROFIT_SHORT = "综试区内零售出口、适用无票免税，经税务机关鉴定后按4%核定"
SMALL_PROFIT_SHORT = (
    "应纳税所得额≤300万元、从业人数≤300人、资产总额≤5000万元、非限制禁止行业，至2027年12月31日"
)


class NegativeRevenueError(ValueError):
    """Revenue below zero has no meaning here."""


@dataclass(frozen=True)
class EitResult:
    revenue: Decimal
    taxable_income: Decimal
    rate: Decimal  # effective rate on taxable income: 25%, or 5% with the preference
    tax: Decimal
    small_low_profit_requested: bool
    small_low_profit_applied: bool
    warnings: tuple[str, ...]
    conditions: tuple[str, ...] = DEEMED_PROFIT_CONDITIONS
    sources: tuple[str, ...] = SOURCES

    def text(self) -> str:
        """Phone layout: the tax on line 1, the working, what matters, the basis in words."""
        taxable, tax = format_yuan(self.taxable_income), format_yuan(self.tax)
        if self.small_low_profit_applied:
            how = "小型微利企业，实际税负5%"
            if self.revenue:
                share = (self.tax / self.revenue * 100).quantize(CENT, ROUND_HALF_UP).normalize()
                how = f"小型微利企业，约为收入的{share:f}%"
            step = f"{taxable} × 25% × 20% = {tax}"
        else:
            how = "按收入4%核定应税所得率、25%税率"
            step = f"{taxable} × 25% = {tax}"
        lines = [
            f"应纳企业所得税约{tax}（{how}）",
            f"• 应纳税所得额：收入{format_yuan(self.revenue)} × 4% = {taxable}",
            f"• 税额：{step}",
        ]
        if self.small_low_profit_applied:
            lines.append(f"• 小型微利：{SMALL_PROFIT_SHORT}")
        elif self.small_low_profit_requested and "已过期" in self.warnings[0]:
            lines.append("• 小型微利企业优惠执行至2027年12月31日，已过期，此处按25%计算；是否延续请咨询12366")
        elif self.small_low_profit_requested:
            lines.append(f"• 应纳税所得额{taxable}超过300万元，不适用小型微利企业优惠，按25%计算")
        lines.append(f"• 条件：{DEEMED_PROFIT_SHORT}")
        lines.append("• 下一步：向主管税务机关申请鉴定，或拨打12366。")
        rules = ["sat-2019-36:main"] + (
            ["mof-sat-2023-12:main", "sat-2023-6:main"] if self.small_low_profit_requested else []
        )
        return tidy("\n".join([*lines, basis_line(rules)]))

    def as_dict(self) -> dict:
        return {
            "revenue": json_number(self.revenue),
            "deemed_profit_rate": float(DEEMED_PROFIT_RATE),
            "taxable_income": json_number(self.taxable_income),
            "rate": float(self.rate),
            "tax": json_number(self.tax),
            "small_low_profit_requested": self.small_low_profit_requested,
            "small_low_profit_applied": self.small_low_profit_applied,
            "conditions": list(self.conditions),
            "sources": list(self.sources),
            "regulations": ["国家税务总局公告2019年第36号"]
            + (["财政部 税务总局公告2023年第12号"] if self.small_low_profit_requested else []),
            "warnings": list(self.warnings),
        }


def deemed_profit_tax(revenue: Decimal, small_low_profit: bool = False, on: date | None = None) -> EitResult:
    """Tax on revenue x 4%; at 5% in effect when the small-low-profit preference is asked and fits.

    ``on`` (default today) matters only for the preference, which regulations.md gives until
    2027-12-31; after that no rate is known here, so 25% is used and the user is sent to 12366.
    """
    if revenue < 0:
        raise NegativeRevenueError(f"收入不能为负数：{revenue}")
    today = on or date.today()
    taxable = (revenue * DEEMED_PROFIT_RATE).quantize(CENT, ROUND_HALF_UP)
    warnings: list[str] = []
    applied = False
    if small_low_profit and today > small_profit_until():
        warnings.append(
            f"小型微利企业优惠按财政部 税务总局公告2023年第12号执行至2027年12月31日，"
            f"今天（{today.isoformat()}）已过期；之后是否延续请咨询12366，此处按25%计算。"
        )
    elif small_low_profit and taxable <= SMALL_PROFIT_INCOME_LIMIT:
        applied = True
        warnings.append("小型微利企业须同时满足：" + SMALL_PROFIT_CONDITIONS)
    elif small_low_profit:
        warnings.append(
            f"应纳税所得额{money(taxable)}超过300万元，不符合小型微利企业条件"
            "（财政部 税务总局公告2023年第12号），按25%计算。"
        )
    rate = SMALL_PROFIT_COUNTED * SMALL_PROFIT_RATE if applied else STANDARD_RATE
    tax = (taxable * rate).quantize(CENT, ROUND_HALF_UP)
    warnings.append(UNCONFIRMED)
    return EitResult(revenue, taxable, rate, tax, small_low_profit, applied, tuple(warnings))
