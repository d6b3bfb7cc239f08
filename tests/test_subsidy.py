"""Subsidy estimates for dalian-gxq-2026: every rate and cap against the clause text."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.eligibility import Profile
from calculators.items import UnknownItemError, get_item, load_items
from calculators.subsidy import estimate
from policy_faq.corpus import get_clause

TODAY = date(2026, 11, 23)
D = Decimal

# Figures copied by hand from policy_faq/documents/dalian-gxq-2026.md, independent of items.yaml.
RATE_ITEMS = [
    # id, clause, rate, cap, term, years
    ("service-center", 3, "0.5", 3_000_000, "consecutive", 3),
    ("overseas-warehouse", 5, "0.5", 500_000, "annual", None),
    ("intl-logistics", 6, "0.2", 100_000, "consecutive", 3),
    ("ip-certification", 7, "0.5", 50_000, "annual", None),
    ("overseas-promotion", 8, "0.5", 300_000, "annual", None),
    ("independent-site", 9, "0.5", 50_000, "one-off", 1),
    ("exhibition", 10, "0.5", 300_000, "consecutive", 3),
    ("first-order", 11, "0.3", 100_000, "consecutive", 3),
]
CEILING_ITEMS = [
    ("industrial-park", 1, 4_000_000, "consecutive", 3),
    ("anchor-enterprise", 2, 1_000_000, "one-off", 1),
]
CLAUSES = {
    "industrial-park": 1,
    "anchor-enterprise": 2,
    "service-center": 3,
    "training": 4,
    "overseas-warehouse": 5,
    "intl-logistics": 6,
    "ip-certification": 7,
    "overseas-promotion": 8,
    "independent-site": 9,
    "exhibition": 10,
    "first-order": 11,
}


def test_the_eleven_items_and_their_clauses() -> None:
    assert {item.id: item.clause for item in load_items().values()} == CLAUSES
    assert list(load_items()) == list(CLAUSES)  # clause order


@pytest.mark.parametrize("item_id", list(CLAUSES))
def test_item_figures_are_in_the_clause_text(item_id: str) -> None:
    item = get_item(item_id)
    clause = get_clause(item.source).text
    assert item.quote in clause
    wan = item.cap / 10_000
    cap_word = {"year": "每年最高", "once": "最高", "order": "单笔订单最高"}[item.cap_period]
    assert re.search(rf"{cap_word}\s*{wan:f}\s*万元", item.quote), (item_id, wan)
    if item.rate is not None:
        assert re.search(rf"{item.rate * 100:.0f}\s*%", item.quote)
    if item.term == "consecutive":
        assert re.search(r"连续\s*(三|3)\s*年|首年", item.quote)
    if item.term == "one-off":
        assert "一次性" in item.quote
    if item.term == "annual":
        assert "每年最高" in item.quote and "连续" not in clause


def test_claimants_follow_the_clauses() -> None:
    assert "产业园" in get_item("industrial-park").claimant
    assert get_item("service-center").claimant.startswith("出海产业发展中心")
    assert get_item("exhibition").claimant == "出海产业发展中心"
    assert get_item("training").claimant == "跨境电商产业园或出海产业发展中心"
    assert "服务商、渠道商、销售商" in get_item("first-order").claimant
    assert get_item("overseas-warehouse").claimant == "跨境电商企业"


def test_independent_site_excludes_labour() -> None:
    item = get_item("independent-site")
    assert item.excludes == "人工费" and "不含人工费" in get_clause(item.source).text
    result = estimate({"independent-site": D(80_000)}, TODAY)
    assert "不含人工费" in result.items[0].explanation
    assert "建站费用8万元（不含人工费） × 50% = 4万元" in result.text()


@pytest.mark.parametrize(("item_id", "clause", "rate", "cap", "term", "years"), RATE_ITEMS)
def test_rate_item_rule(item_id: str, clause: int, rate: str, cap: int, term: str, years: int | None) -> None:
    item = get_item(item_id)
    assert (item.clause, item.rate, item.cap, item.term, item.years) == (clause, D(rate), D(cap), term, years)


@pytest.mark.parametrize(("item_id", "clause", "rate", "cap", "term", "years"), RATE_ITEMS)
@pytest.mark.parametrize("where", ["zero", "below", "at", "above"])
def test_rate_item_at_zero_below_at_and_above_the_cap(
    item_id: str, clause: int, rate: str, cap: int, term: str, years: int | None, where: str
) -> None:
    at_cap = (D(cap) / D(rate)).quantize(D("0.01"), ROUND_UP)  # smallest base that reaches the cap
    base = {"zero": D(0), "below": D(cap), "at": at_cap, "above": at_cap * 3}[where]
    expected = {"zero": D(0), "below": D(cap) * D(rate), "at": D(cap), "above": D(cap)}[where]
    result = estimate({item_id: base}, TODAY)
    (computed,) = result.items
    assert computed.estimate == expected
    assert computed.cap_applied is (where == "above")
    assert computed.raw == (base * D(rate)).quantize(D("0.01"), ROUND_DOWN)
    assert not computed.upper_bound
    assert result.total == expected and result.status == "estimate"
    assert computed.item.source == f"dalian-gxq-2026:{clause}"


@pytest.mark.parametrize(("item_id", "clause", "cap", "term", "years"), CEILING_ITEMS)
@pytest.mark.parametrize("given_amount", [None, D(0), D(50_000_000)])
def test_items_without_a_rate_give_the_cap_as_an_upper_bound(
    item_id: str, clause: int, cap: int, term: str, years: int, given_amount: Decimal | None
) -> None:
    result = estimate({item_id: given_amount}, TODAY)
    (computed,) = result.items
    assert computed.item.rate is None and (computed.item.term, computed.item.years) == (term, years)
    assert computed.estimate == cap and computed.upper_bound
    assert result.total_is_upper_bound
    assert "这是上限，不是测算额" in computed.explanation
    text = result.text()
    assert (
        text.splitlines()[0]
        == f"最高{cap // 10_000}万元：条款只规定上限，不按比例测算（征求意见稿，可能调整）"
    )
    assert text.splitlines()[-1].endswith(f"（征求意见稿）第{clause}条、附则")
    assert "dalian-gxq-2026" not in text


@pytest.mark.parametrize(
    ("events", "expected", "capped"),
    [(0, 0, False), (12, 120_000, False), (30, 300_000, False), (31, 300_000, True)],
)
def test_training_is_paid_per_event(events: int, expected: int, capped: bool) -> None:
    item = get_item("training")
    assert (item.per_event_cap, item.cap, item.rate) == (D(10_000), D(300_000), None)
    result = estimate({}, TODAY, events={"training": events})
    (computed,) = result.items
    assert computed.estimate == expected and computed.cap_applied is capped
    assert computed.events == events and computed.upper_bound
    assert f"{events}场 × 每场最高1万元" in computed.explanation


def test_training_takes_events_not_an_amount() -> None:
    with pytest.raises(ValueError, match="per event"):
        estimate({"training": D(120_000)}, TODAY)
    with pytest.raises(ValueError, match="not paid per event"):
        estimate({}, TODAY, events={"overseas-warehouse": 3})


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"no-such-item": D(1)}, "unknown support item"),
        ({"exhibition": D(-1)}, "negative"),
        ({}, "no support item"),
    ],
)
def test_bad_claims_are_refused(claims: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        estimate(claims, TODAY)


def test_unknown_item_error_names_the_known_ids() -> None:
    with pytest.raises(UnknownItemError, match="overseas-warehouse"):
        estimate({"warehouse": D(1)}, TODAY)


def test_eighty_wan_overseas_warehouse() -> None:
    result = estimate({"overseas-warehouse": D(800_000)}, TODAY)
    assert result.total == 400_000
    text = result.text()
    lines = text.splitlines()
    assert lines[0] == "可补40万元，未超过每年50万元上限（征求意见稿，可能调整）"
    assert "• 计算：海外仓费用80万元 × 50% = 40万元" in lines
    assert "• 上限：每年最高50万元（条款未写明年限）" in lines
    assert all(line.startswith("• ") for line in lines[1:-1])
    for note in ("经区级主管部门认定", "年度总额控制", "下一步", "高新区投资促进局"):
        assert note in text
    assert lines[-1] == "依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第5条、附则"
    assert "dalian-gxq-2026" not in text and "合计" not in text
    # the FAQ's own text is not repeated (issue 13: 「例如80万」 came twice)
    assert "例如" not in text and len(lines) <= 10 and len(text) <= 300


def test_one_hundred_and_twenty_wan_is_capped_on_line_one() -> None:
    text = estimate({"overseas-warehouse": D(1_200_000)}, TODAY).text()
    assert text.splitlines()[0] == "可补50万元，已按每年50万元上限封顶（征求意见稿，可能调整）"
    assert "• 计算：海外仓费用120万元 × 50% = 60万元" in text


def test_a_combination_adds_up_in_clause_order() -> None:
    claims = {"overseas-promotion": D(1_000_000), "overseas-warehouse": D(800_000), "anchor-enterprise": None}
    result = estimate(claims, TODAY, events={"training": 5})
    assert [c.item.id for c in result.items] == [
        "anchor-enterprise",
        "training",
        "overseas-warehouse",
        "overseas-promotion",
    ]
    assert [c.estimate for c in result.items] == [1_000_000, 50_000, 400_000, 300_000]
    assert result.total == 1_750_000 and result.total_is_upper_bound
    text = result.text()
    assert text.splitlines()[0] == "合计最高可补175万元（征求意见稿，可能调整）"
    assert "• 海外品牌及产品推广：100万元 × 50% = 50万元，超过每年最高30万元，按30万元计" in text
    assert "• 跨境电商规模型（头部）企业集聚：一次性最高100万元（条款只规定上限，以认定为准）" in text
    assert text.splitlines()[-1].endswith("（征求意见稿）第2条、第4条、第5条、第8条、附则")


def test_as_dict_is_json_with_the_promised_keys() -> None:
    data = json.loads(json.dumps(estimate({"overseas-warehouse": D("800000.50")}, TODAY).as_dict()))
    (item,) = data["items"]
    assert {"item", "base", "rate", "cap", "estimate", "source"} <= set(item)
    assert (item["item"], item["base"], item["rate"], item["cap"], item["estimate"]) == (
        "overseas-warehouse",
        800000.5,
        0.5,
        500000,
        400000.25,
    )
    assert item["source"] == "dalian-gxq-2026:5" and data["total"] == 400000.25
    assert any("征求意见稿" in w for w in data["warnings"])


INELIGIBLE = [
    (Profile(in_zone=False), "不在高新区依法经营", "scope"),
    (Profile(entity="other"), "独立法人资格或独立经营资质", "scope"),
    (Profile(cbec_business=False), "跨境电商", "scope"),
    (Profile(dishonest=True), "失信惩戒", "annex"),
    (Profile(major_violation=True), "重大违法违规", "annex"),
    (Profile(owes_fiscal_funds=True), "拖欠应缴还财政资金", "annex"),
    (Profile(shell=True), "空壳企业", "annex"),
    (Profile(no_staff=True), "无用工", "annex"),
    (Profile(no_premises=True), "无固定生产经营场所", "annex"),
    (Profile(tax_dishonest=True), "未诚信纳税", "annex"),
]


@pytest.mark.parametrize(("profile", "reason", "clause"), INELIGIBLE)
def test_an_ineligible_profile_gets_reasons_not_a_number(profile: Profile, reason: str, clause: str) -> None:
    result = estimate({"overseas-warehouse": D(800_000)}, TODAY, profile)
    assert result.status == "ineligible" and result.total is None
    assert all(c.estimate is None and c.raw is None for c in result.items)
    assert any(reason in r and f"dalian-gxq-2026:{clause}" in r for r in result.reasons)
    text = result.text()
    assert text.splitlines()[0] == "按您提供的情况不符合申报条件，不测算金额（征求意见稿，可能调整）"
    assert reason in text and {"scope": "适用范围", "annex": "附则"}[clause] in text
    assert "40万" not in text and "合计" not in text and "dalian-gxq-2026" not in text
    assert result.as_dict()["items"][0]["estimate"] is None


def test_a_branch_with_its_own_qualification_may_apply() -> None:
    result = estimate({"overseas-warehouse": D(800_000)}, TODAY, Profile(entity="branch"))
    assert result.status == "estimate" and result.total == 400_000


def test_unknown_entity_is_refused() -> None:
    with pytest.raises(ValueError, match="entity"):
        Profile(entity="sole-trader")


@pytest.mark.parametrize(("day", "expired"), [(date(2028, 12, 31), False), (date(2029, 1, 1), True)])
def test_the_policy_expires_after_2028(day: date, expired: bool) -> None:
    result = estimate({"overseas-warehouse": D(800_000)}, day)
    assert (result.status == "expired") is expired
    text = result.text()
    if expired:
        assert result.total is None and result.items[0].estimate is None
        assert text.splitlines()[0] == (
            "不再测算：该政策（征求意见稿）有效期至2028年12月31日，今天（2029年1月1日）已过期"
        )
        assert "40万" not in text
    else:
        assert result.total == 400_000 and "已过期" not in text


rate_item_ids = st.sampled_from([row[0] for row in RATE_ITEMS])
bases = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(rate_item_ids, bases, bases)
def test_estimate_is_capped_and_grows_with_the_base(item_id: str, base: Decimal, more: Decimal) -> None:
    item = get_item(item_id)
    assert item.rate is not None
    low = estimate({item_id: base}, TODAY).items[0].estimate
    high = estimate({item_id: base + more}, TODAY).items[0].estimate
    assert low is not None and high is not None
    assert low <= item.cap and low <= base * item.rate
    assert low <= high
