"""First-order unsold-risk compensation, dalian-gxq-2026:11: 30% per order, per-order and yearly caps."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.eligibility import Profile
from calculators.first_order import compensate
from calculators.items import get_item
from policy_faq.corpus import get_clause

TODAY = date(2026, 11, 23)
D = Decimal
WAN = 10_000


def test_the_clause_figures() -> None:
    item = get_item("first-order")
    text = get_clause("dalian-gxq-2026:11").text
    assert (item.rate, item.per_order_cap, item.year_caps) == (
        D("0.3"),
        D(100_000),
        (D(300_000), D(500_000), D(500_000)),
    )
    assert "按首单交易金额给予 30%补偿，单笔订单最高 10 万元" in text
    assert "总额度首年不超过 30 万元，第二年、第三年分别不超过 50 万元" in text
    assert "进入指定海外仓后滞销超 6 个月" in text


def test_twenty_and_fifty_wan_in_year_one() -> None:
    result = compensate([D(20 * WAN), D(50 * WAN)], 1, today=TODAY)
    assert [o.per_order for o in result.orders] == [60_000, 100_000]
    assert [o.granted for o in result.orders] == [60_000, 100_000]
    assert result.total == 160_000 and not result.year_cap_applied
    text = result.text()
    lines = text.splitlines()
    assert lines[0] == "合计可补偿16万元，未超过首年总额度30万元（征求意见稿，可能调整）"
    assert "• 订单1：20万元 × 30% = 6万元" in lines
    assert "• 订单2：50万元 × 30% = 15万元，按单笔上限10万元计" in lines
    assert "• 上限：单笔最高10万元；首年总额度不超过30万元" in lines
    assert lines[-1] == "依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第11条、附则"


@pytest.mark.parametrize(
    ("amount", "first_line", "working"),
    [
        (20, "可补偿6万元，未超过单笔10万元上限（征求意见稿，可能调整）", "• 计算：订单20万元 × 30% = 6万元"),
        (
            50,
            "可补偿10万元，已按单笔10万元上限封顶（征求意见稿，可能调整）",
            "• 计算：订单50万元 × 30% = 15万元，按单笔上限10万元计",
        ),
    ],
)
def test_one_order_gives_the_figure_on_line_one(amount: int, first_line: str, working: str) -> None:
    text = compensate([D(amount * WAN)], 1, today=TODAY).text()
    lines = text.splitlines()
    assert lines[0] == first_line and working in lines
    assert len(lines) <= 10 and len(text) <= 310 and "dalian-gxq-2026" not in text


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, 0),
        (300_000, 90_000),
        (D("333333.33"), D("99999.99")),
        (D("333333.34"), 100_000),
        (1_000_000, 100_000),
    ],
)
def test_per_order_cap(amount: Decimal, expected: int) -> None:
    (order,) = compensate([D(amount)], today=TODAY).orders
    assert order.per_order == expected and order.granted == expected


@pytest.mark.parametrize(
    ("year", "cap", "orders_at_the_cap"), [(1, 300_000, 3), (2, 500_000, 5), (3, 500_000, 5)]
)
def test_yearly_totals(year: int, cap: int, orders_at_the_cap: int) -> None:
    exactly = compensate([D(50 * WAN)] * orders_at_the_cap, year, today=TODAY)
    assert exactly.total == cap and exactly.year_cap == cap and not exactly.year_cap_applied
    over = compensate([D(50 * WAN)] * (orders_at_the_cap + 2), year, today=TODAY)
    assert over.total == cap and over.year_cap_applied
    assert [o.granted for o in over.orders][-2:] == [0, 0]
    year_name = {1: "首年", 2: "第二年", 3: "第三年"}[year]
    assert f"已达{year_name}总额度{cap // WAN}万元" in over.text()


def test_already_claimed_uses_up_the_year() -> None:
    result = compensate([D(50 * WAN), D(50 * WAN)], 1, already_claimed=D(250_000), today=TODAY)
    assert [o.granted for o in result.orders] == [50_000, 0] and result.total == 50_000
    assert result.remaining == 50_000
    text = result.text()
    assert text.splitlines()[0] == "合计可补偿5万元，连同已获补偿已达首年总额度30万元（征求意见稿，可能调整）"
    assert "本年度已获补偿25万元，剩余5万元" in text
    assert "年度总额度只剩5万元，本笔按5万元计" in text
    assert "• 订单2：50万元 × 30% = 15万元，按单笔上限10万元计；年度总额度已用完，本笔为0元" in text
    assert compensate([D(WAN)], 1, already_claimed=D(400_000), today=TODAY).total == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([D(1)], 4), "policy_year"),
        (([D(1)], 0), "policy_year"),
        (([],), "no order"),
        (([D(-1)],), "negative"),
        (([D(1)], 1, D(-1)), "negative"),
    ],
)
def test_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compensate(*args, today=TODAY)


def test_conditions_and_reading_are_stated() -> None:
    result = compensate([D(20 * WAN)], today=TODAY)
    text = result.text()
    assert "指定海外仓后滞销超过6个月" in text
    assert "承销首单并实际承受损失" in text
    assert "总额度按每个申报主体每年计，如指全区总额以主管部门解释为准" in text
    assert "征求意见稿" in text.splitlines()[0] and "经区级主管部门认定" in text
    data = json.loads(json.dumps(result.as_dict()))
    assert any("滞销超过6个月" in c for c in data["conditions"])
    assert any("总额度" in w for w in data["warnings"])
    (item,) = data["items"]
    assert (item["item"], item["base"], item["rate"], item["cap"], item["estimate"], item["source"]) == (
        "first-order",
        200_000,
        0.3,
        100_000,
        60_000,
        "dalian-gxq-2026:11",
    )
    assert data["total"] == 60_000 and data["year_cap"] == 300_000


def test_expired_and_ineligible_give_no_amount() -> None:
    expired = compensate([D(20 * WAN)], today=date(2029, 1, 1))
    assert expired.status == "expired" and expired.total is None and expired.orders[0].granted is None
    assert "已过期" in expired.text().splitlines()[0] and "6万" not in expired.text()
    ineligible = compensate([D(20 * WAN)], today=TODAY, profile=Profile(owes_fiscal_funds=True))
    assert ineligible.status == "ineligible" and ineligible.total is None
    assert "拖欠应缴还财政资金" in ineligible.text() and "6万" not in ineligible.text()
    assert ineligible.text().splitlines()[0].startswith("按您提供的情况不符合申报条件")
    assert "（附则）" in ineligible.text() and "dalian-gxq-2026" not in ineligible.text()
    assert ineligible.as_dict()["items"][0]["estimate"] is None


orders = st.lists(st.decimals(min_value=0, max_value=10**7, places=2), min_size=1, max_size=12)


@given(orders, st.integers(min_value=1, max_value=3), st.decimals(min_value=0, max_value=10**6, places=2))
def test_never_above_the_caps(amounts: list[Decimal], year: int, claimed: Decimal) -> None:
    result = compensate(amounts, year, claimed, today=TODAY)
    assert result.total is not None
    assert result.total <= max(result.year_cap - claimed, D(0))
    for order in result.orders:
        assert order.granted is not None
        assert 0 <= order.granted <= min(D(100_000), order.amount * D("0.3"))
