"""Which text of the 高新区 policy a calculation follows: the version in force on the enquiry's date.

items.yaml holds the items of dalian-gxq-2026 (the draft). When a newer document supersedes it
(``policy add … --supersedes dalian-gxq-2026``), an enquiry on or after the new text's effective
date is computed from the new clauses. An item's figures are taken from the new clause: the
figures of the old and the new clause are paired in order, and each of the item's numbers (rate,
caps) takes the value its figure has in the new text. When the figures cannot be paired (the
clause gained or lost one), the item gives no amount rather than a guessed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from calculators.items import DOCUMENT, SupportItem, load_items
from policy_faq.corpus import Document, documents_by_id

FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元|万|%|％)")


@dataclass(frozen=True)
class Version:
    document: Document
    items: dict[str, SupportItem]
    unavailable: dict[str, str]  # item id -> why the new clause gives no amount (in words)

    @property
    def expired_on(self):
        return date.fromisoformat(self.document.valid_until) if self.document.valid_until else None

    def expired(self, day: date) -> bool:
        return self.expired_on is not None and day > self.expired_on


def _values(text: str) -> list[Decimal]:
    """The amounts and rates of a clause in order: 50万元 -> 500000, 50% -> 0.5."""
    out = []
    for number, unit in FIGURE.findall(text):
        value = Decimal(number)
        out.append(value * 10000 if unit.startswith("万") else value / 100 if unit in "%％" else value)
    return out


def _carried(item: SupportItem, old_text: str, new_text: str, doc_id: str) -> SupportItem | None:
    old, new = _values(old_text), _values(new_text)
    if old == new:
        return replace(item, document=doc_id)
    if len(old) != len(new):
        return None
    pairs: dict[Decimal, Decimal] = {}
    for before, after in zip(old, new, strict=True):
        if pairs.setdefault(before, after) != after:
            return None  # one old figure became two different ones: no safe reading

    def moved(value: Decimal | None) -> Decimal | None:
        return None if value is None else pairs.get(value, value)

    return replace(
        item, document=doc_id, rate=moved(item.rate), cap=moved(item.cap) or item.cap,
        per_event_cap=moved(item.per_event_cap), per_order_cap=moved(item.per_order_cap),
        year_caps=tuple(moved(cap) or cap for cap in item.year_caps),
    )  # fmt: skip


def items_on(day: date) -> Version:
    from policy_faq.citation import clause_label
    from policy_faq.supersession import version_on

    docs = documents_by_id()
    doc = version_on(DOCUMENT, day)
    base = load_items()
    if doc.id == DOCUMENT:
        return Version(docs[DOCUMENT], dict(base), {})
    old = {c.clause: c.text for c in docs[DOCUMENT].clauses}
    new = {c.clause: c.text for c in doc.clauses}
    items, unavailable = {}, {}
    for item_id, item in base.items():
        clause = str(item.clause)
        carried = _carried(item, old[clause], new[clause], doc.id) if clause in new else None
        if carried is None:
            unavailable[item_id] = f"新版本{clause_label(clause)}的支持标准有调整，暂不能自动测算，请查看新版本原文或咨询主管部门。"
            items[item_id] = replace(item, document=doc.id)
        else:
            items[item_id] = carried
    return Version(doc, items, unavailable)
