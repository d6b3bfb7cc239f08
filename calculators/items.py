"""The support items of dalian-gxq-2026 as data (items.yaml), loaded into frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType

import yaml

from calculators.amounts import format_yuan

DOCUMENT = "dalian-gxq-2026"
TERMS = {"consecutive", "one-off", "annual"}
CAP_PERIODS = {"year": "每年最高", "once": "一次性最高", "order": "单笔订单最高"}
CN_YEARS = {1: "一", 2: "两", 3: "三"}


class UnknownItemError(ValueError):
    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        known = ", ".join(load_items())
        super().__init__(f"unknown support item {item_id!r}; known items: {known}")


@dataclass(frozen=True)
class SupportItem:
    id: str
    clause: int
    title: str
    claimant: str
    base: str
    excludes: str | None
    rate: Decimal | None  # None: the clause sets only a ceiling
    cap: Decimal
    cap_period: str
    term: str
    years: int | None  # None: 每年 without a number of years in the clause
    conditions: tuple[str, ...]
    quote: str
    per_event_cap: Decimal | None = None
    per_order_cap: Decimal | None = None
    year_caps: tuple[Decimal, ...] = ()
    base_short: str | None = None  # the base in a few words, for the working line
    document: str = DOCUMENT  # the version of the policy the figures are from (calculators/versions.py)

    @property
    def cap_words(self) -> str:
        """The ceiling as a phrase: 每年最高50万元 / 一次性最高5万元 / 单笔订单最高10万元."""
        return f"{self.cap_label}{format_yuan(self.cap)}"

    @property
    def source(self) -> str:
        return f"{self.document}:{self.clause}"

    @property
    def cap_label(self) -> str:
        return CAP_PERIODS[self.cap_period]

    @property
    def term_label(self) -> str:
        if self.term == "one-off":
            return "一次性"
        if self.term == "consecutive":
            return f"连续{CN_YEARS.get(self.years or 0, self.years)}年，每年分别计算"
        return "按年度计算（条款未写明年限）"


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _item(row: dict) -> SupportItem:
    if row["term"] not in TERMS or row["cap_period"] not in CAP_PERIODS:
        raise ValueError(f"items.yaml: bad term or cap_period in {row['id']}")
    return SupportItem(
        id=row["id"],
        clause=int(row["clause"]),
        title=row["title"],
        claimant=row["claimant"],
        base=row["base"],
        excludes=row.get("excludes"),
        rate=_decimal(row.get("rate")),
        cap=Decimal(str(row["cap"])),
        cap_period=row["cap_period"],
        term=row["term"],
        years=row.get("years"),
        conditions=tuple(row.get("conditions") or ()),
        quote=row["quote"],
        per_event_cap=_decimal(row.get("per_event_cap")),
        per_order_cap=_decimal(row.get("per_order_cap")),
        year_caps=tuple(Decimal(str(cap)) for cap in row.get("year_caps") or ()),
        base_short=row.get("base_short"),
    )


@cache
def load_items() -> MappingProxyType[str, SupportItem]:
    """Item id -> SupportItem, in clause order."""
    text = resources.files("calculators").joinpath("items.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    items = [_item(row) for row in data["items"]]
    return MappingProxyType({item.id: item for item in sorted(items, key=lambda item: item.clause)})


def get_item(item_id: str) -> SupportItem:
    try:
        return load_items()[item_id]
    except KeyError:
        raise UnknownItemError(item_id) from None
