"""First-order unsold-risk compensation, dalian-gxq-2026:11.

按首单交易金额给予 30%补偿，单笔订单最高 10 万元。首单滞销风险补偿资金的总额度首年不超过 30 万元，
第二年、第三年分别不超过 50 万元. We read 总额度 as the total one claimant can receive within one
policy year (year 1: 300,000; years 2 and 3: 500,000 each) and say so in every result. Orders
use up the year's remaining total in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from calculators.eligibility import Profile, ineligibility_reasons
from calculators.items import get_item
from calculators.notes import STANDARD_NOTES, expired_message, json_number

ITEM = get_item("first-order")
READING = (
    "“总额度”按每个申报主体每个政策年度的补偿合计理解：首年不超过30万元，第二年、第三年各不超过50万元；"
    "条款原文为“首单滞销风险补偿资金的总额度首年不超过 30 万元，第二年、第三年分别不超过 50 万元”，"
    "如指全区资金总额，以主管部门解释为准（dalian-gxq-2026:11）。"
)
CONDITIONS = (
    "只补偿首次出海企业的首单：出海产品进入指定海外仓后滞销超过6个月（dalian-gxq-2026:11）",
    "申报主体为承销首单、促成首单对接并实际承受损失的服务商、渠道商、销售商等高新区内经营主体",
    "经区级主管部门认定",
)


@dataclass(frozen=True)
class OrderCompensation:
    amount: Decimal
    raw: Decimal  # 30% of the order
    per_order: Decimal  # after the 100,000 per-order cap
    granted: Decimal | None  # after the year's total; None when no amount is given


@dataclass(frozen=True)
class FirstOrderResult:
    orders: tuple[OrderCompensation, ...]
    policy_year: int
    year_cap: Decimal
    already_claimed: Decimal
    total: Decimal | None
    status: str  # estimate | ineligible | expired
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    today: date

    @property
    def remaining(self) -> Decimal:
        return max(self.year_cap - self.already_claimed, Decimal(0))

    @property
    def year_cap_applied(self) -> bool:
        return self.total is not None and self.total < sum((o.per_order for o in self.orders), Decimal(0))

    def text(self) -> str:
        from calculators.first_order_text import render

        return render(self)

    def as_dict(self) -> dict:
        return {
            "document": "dalian-gxq-2026",
            "status": self.status,
            "date": self.today.isoformat(),
            "policy_year": self.policy_year,
            "year_cap": json_number(self.year_cap),
            "already_claimed": json_number(self.already_claimed),
            "remaining": json_number(self.remaining),
            "items": [_order_dict(number, order) for number, order in enumerate(self.orders, 1)],
            "total": json_number(self.total),
            "year_cap_applied": self.year_cap_applied,
            "conditions": list(CONDITIONS),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


def _order_dict(number: int, order: OrderCompensation) -> dict:
    granted = order.granted
    return {
        "item": "first-order",
        "order": number,
        "base": json_number(order.amount),
        "claimed": json_number(order.amount),  # the name bot/records/enquiry_log.py records the base under
        "rate": float(ITEM.rate or 0),
        "cap": json_number(ITEM.per_order_cap),
        "raw": json_number(order.raw if granted is not None else None),
        "per_order": json_number(order.per_order if granted is not None else None),
        "estimate": json_number(granted),
        "source": ITEM.source,
    }


def compensate(
    orders: Sequence[Decimal],
    policy_year: int = 1,
    already_claimed: Decimal = Decimal(0),
    today: date | None = None,
    *,
    profile: Profile | None = None,
) -> FirstOrderResult:
    """Compensation per order and for the policy year; no amounts when ineligible or expired."""
    if policy_year not in (1, 2, 3):
        raise ValueError("policy_year must be 1, 2 or 3 (the clause covers three years)")
    if not orders:
        raise ValueError("no order given")
    amounts = [Decimal(amount) for amount in orders]
    if any(amount < 0 for amount in amounts) or Decimal(already_claimed) < 0:
        raise ValueError("amounts may not be negative")
    today = today or date.today()
    year_cap = ITEM.year_caps[policy_year - 1]
    remaining = max(year_cap - Decimal(already_claimed), Decimal(0))
    computed = []
    for amount in amounts:
        raw = (amount * (ITEM.rate or 0)).quantize(Decimal("0.01"), ROUND_DOWN)
        per_order = min(raw, ITEM.per_order_cap or raw)
        granted = min(per_order, remaining)
        remaining -= granted
        computed.append(OrderCompensation(amount, raw, per_order, granted))
    reasons = ineligibility_reasons(profile or Profile())
    status = "ineligible" if reasons else "estimate"
    from dataclasses import replace

    from calculators.versions import items_on

    version = items_on(today)  # the version in force on the enquiry's date
    if replace(version.items["first-order"], document=ITEM.document) != ITEM:
        # a newer text changed clause 11's figures: this calculator only knows the draft's
        status, reasons = "changed", ("新版本第11条的补偿标准有调整，暂不能自动测算，请查看新版本原文或咨询主管部门。",)
    if version.expired(today):
        status, reasons = "expired", (expired_message(today, version.expired_on, f"{version.document.id}:annex"),)
    warnings = (READING, *STANDARD_NOTES)
    if status != "estimate":
        blank = tuple(OrderCompensation(o.amount, o.raw, o.per_order, None) for o in computed)
        notes = warnings if status == "ineligible" else STANDARD_NOTES[:1]
        return FirstOrderResult(
            blank, policy_year, year_cap, Decimal(already_claimed), None, status, reasons, notes, today
        )
    total = sum((o.granted or Decimal(0) for o in computed), Decimal(0))
    return FirstOrderResult(
        tuple(computed), policy_year, year_cap, Decimal(already_claimed), total, status, (), warnings, today
    )


__all__ = ["CONDITIONS", "FirstOrderResult", "OrderCompensation", "compensate"]
