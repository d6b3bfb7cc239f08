"""Subsidy estimate for the support items of dalian-gxq-2026, clause by clause.

``claims`` maps an item id to its base in yuan (the spending the clause names). Three kinds:
- items with a rate: estimate = min(base x rate, cap);
- industrial-park and anchor-enterprise set no rate: the estimate is the cap, flagged as an
  upper bound (the amount given, if any, is shown but does not change it);
- training is paid per qualifying event (每场最高1万元, 每年最高30万元): it takes a number of
  events, passed as ``events={"training": 12}``, never as an amount in ``claims``.
first-order in ``claims`` is one order; several orders and the yearly totals are first_order.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from calculators.amounts import format_yuan
from calculators.eligibility import Profile, ineligibility_reasons
from calculators.items import SupportItem, UnknownItemError, get_item, load_items
from calculators.notes import expired_message, json_number, notes_for, percent
from calculators.versions import items_on

CENT = Decimal("0.01")  # estimates round down to the fen: never above rate x base


@dataclass(frozen=True)
class ItemEstimate:
    item: SupportItem
    base: Decimal | None
    events: int | None
    raw: Decimal | None  # before the cap
    estimate: Decimal | None  # None when the policy has expired or the applicant may not apply
    cap_applied: bool
    upper_bound: bool
    explanation: str

    def as_dict(self) -> dict:
        item = self.item
        return {
            "item": item.id,
            "title": item.title,
            "source": item.source,
            "claimant": item.claimant,
            "base": json_number(self.base),
            "claimed": json_number(self.base),  # the name bot/records/enquiry_log.py records the base under
            "base_counts": item.base,
            "base_excludes": item.excludes,
            "events": self.events,
            "rate": float(item.rate) if item.rate is not None else None,
            "per_event_cap": json_number(item.per_event_cap),
            "cap": json_number(item.cap),
            "cap_period": item.cap_period,
            "raw": json_number(self.raw),
            "estimate": json_number(self.estimate),
            "cap_applied": self.cap_applied,
            "upper_bound": self.upper_bound,
            "term": item.term,
            "years": item.years,
            "explanation": self.explanation,
            "conditions": list(item.conditions),
        }


def rule(item: SupportItem) -> str:
    """The clause's rule in one line, without any figure of the applicant's."""
    cap = f"{item.cap_label}{format_yuan(item.cap)}"
    if item.per_event_cap is not None:
        return f"每场活动最高{format_yuan(item.per_event_cap)}，{cap}"
    if item.rate is None:
        return f"条款未规定支持比例，{cap}"
    return f"{item.base}：按{percent(item.rate)}支持，{cap}"


def _compute(item: SupportItem, base: Decimal | None, events: int | None) -> ItemEstimate:
    cap = f"{item.cap_label}{format_yuan(item.cap)}"
    if item.per_event_cap is not None:
        raw = item.per_event_cap * (events or 0)
        verdict = f"超过{cap}，按上限计" if raw > item.cap else f"未超过{cap}"
        line = f"{events}场 × 每场最高{format_yuan(item.per_event_cap)} = {format_yuan(raw)}，{verdict}；这是上限"
        return ItemEstimate(item, None, events, raw, min(raw, item.cap), raw > item.cap, True, line)
    if item.rate is None:
        line = f"条款未规定支持比例，只规定{cap}；这是上限，不是测算额"
        return ItemEstimate(item, base, None, None, item.cap, False, True, line)
    assert base is not None
    raw = (base * item.rate).quantize(CENT, ROUND_DOWN)
    verdict = f"超过{cap}，按{format_yuan(item.cap)}计" if raw > item.cap else f"未超过{cap}"
    excluded = f"（不含{item.excludes}）" if item.excludes else ""
    line = f"{format_yuan(base)}{excluded} × {percent(item.rate)} = {format_yuan(raw)}，{verdict}"
    return ItemEstimate(item, base, None, raw, min(raw, item.cap), raw > item.cap, False, line)


def _validated(claims: Mapping[str, Decimal], events: Mapping[str, int]) -> None:
    if not claims and not events:
        raise ValueError("no support item given")
    for item_id, amount in claims.items():
        get_item(item_id)  # raises UnknownItemError
        if item_id == "training":
            raise ValueError("training is paid per event: give the number of events, not an amount")
        if amount is None and get_item(item_id).rate is not None:
            raise ValueError(f"{item_id}: give the amount the clause takes as its base")
        if amount is not None and Decimal(amount) < 0:
            raise ValueError(f"{item_id}: the amount may not be negative")
    for item_id, count in events.items():
        if get_item(item_id).per_event_cap is None:
            raise ValueError(f"{item_id} is not paid per event; give an amount")
        if int(count) != count or count < 0:
            raise ValueError(f"{item_id}: the number of events must be a whole number, 0 or more")


@dataclass(frozen=True)
class SubsidyEstimate:
    items: tuple[ItemEstimate, ...]
    status: str  # estimate | ineligible | expired
    total: Decimal | None
    total_is_upper_bound: bool
    reasons: tuple[str, ...]  # why there is no amount (ineligible, expired or changed)
    warnings: tuple[str, ...]
    today: date
    document: str = "dalian-gxq-2026"  # the version of the policy in force on ``today``
    draft: bool = True
    valid_until: date | None = None

    def text(self) -> str:
        from calculators.subsidy_text import render

        return render(self)

    def as_dict(self) -> dict:
        return {
            "document": self.document,
            "status": self.status,
            "date": self.today.isoformat(),
            "items": [item.as_dict() for item in self.items],
            "total": json_number(self.total),
            "total_is_upper_bound": self.total_is_upper_bound,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


def estimate(
    claims: Mapping[str, Decimal],
    today: date | None = None,
    profile: Profile | None = None,
    *,
    events: Mapping[str, int] | None = None,
) -> SubsidyEstimate:
    """Per-item and total estimate; no amounts when the profile may not apply or after 2028-12-31."""
    events = dict(events or {})
    _validated(claims, events)
    today = today or date.today()
    version = items_on(today)  # the text in force on the enquiry's date (a final replacing the draft)
    doc = version.document
    version_fields = {"document": doc.id, "draft": doc.status == "draft", "valid_until": version.expired_on}
    standard = notes_for(doc.id, doc.status == "draft", version.expired_on)
    order = list(load_items())
    wanted = sorted({*claims, *events}, key=order.index)
    computed = [
        _compute(version.items[i], None if claims.get(i) is None else Decimal(claims[i]), events.get(i))
        for i in wanted
    ]
    reasons = ineligibility_reasons(profile or Profile())
    status = "ineligible" if reasons else "estimate"
    changed = tuple(version.unavailable[i] for i in wanted if i in version.unavailable)
    if changed:
        status, reasons = "changed", changed
    if version.expired(today):
        status, reasons = "expired", (expired_message(today, version.expired_on, f"{doc.id}:annex"),)
    warnings = [w for item in computed for w in _item_warnings(item)]
    if status != "estimate":  # no figure at all, only the rule of each item
        computed = [
            ItemEstimate(c.item, c.base, c.events, None, None, False, c.upper_bound, rule(c.item))
            for c in computed
        ]
        notes = standard if status == "ineligible" else standard[:1]
        return SubsidyEstimate(tuple(computed), status, None, False, reasons, notes, today, **version_fields)
    total = sum((c.estimate for c in computed if c.estimate is not None), Decimal(0))
    upper = any(c.upper_bound for c in computed)
    return SubsidyEstimate(tuple(computed), status, total, upper, (), (*warnings, *standard), today, **version_fields)


def _item_warnings(computed: ItemEstimate) -> list[str]:
    item, out = computed.item, []
    if computed.upper_bound:
        out.append(f"{item.title}：金额为条款规定的最高额，实际以认定结果为准（{item.source}）。")
    if item.excludes:
        out.append(f"{item.title}：{item.excludes}不计入基数（{item.source}）。")
    if item.id == "first-order":
        out.append(
            "首单补偿只适用于首单产品进入指定海外仓后滞销超过6个月的情形；此处按一笔订单计算，"
            "多笔订单和年度总额度请用 calc first-order（dalian-gxq-2026:11）。"
        )
    return out


__all__ = ["ItemEstimate", "SubsidyEstimate", "UnknownItemError", "estimate"]
