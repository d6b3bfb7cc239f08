"""Amount parsing for chat: yuan as people type them; foreign currencies are refused, not guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.amounts import (
    ForeignCurrencyError,
    approximate_phrase,
    find_amounts,
    format_plain,
    format_yuan,
    parse_amount,
    parse_count,
)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("80万", "800000"),
        ("1.5亿", "150000000"),
        ("三十万元", "300000"),
        ("五十万", "500000"),
        ("50w", "500000"),
        ("50W", "500000"),
        ("￥200,000", "200000"),
        ("¥200,000", "200000"),
        ("12.5万元", "125000"),
        ("200000元", "200000"),
        ("200,000", "200000"),
        ("8千", "8000"),
        ("1千万", "10000000"),
        ("一万五", "15000"),
        ("1万5", "15000"),
        ("三千五", "3500"),
        ("一百零五", "105"),
        ("十五万", "150000"),
        ("两百万", "2000000"),
        ("1亿2千万", "120000000"),
        ("壹拾万元", "100000"),
        ("人民币30万", "300000"),
        ("RMB 5000", "5000"),
        ("30万人民币", "300000"),
        ("10万元人民币", "100000"),
        ("约80万", "800000"),
        ("80万左右", "800000"),
        ("２０万", "200000"),  # full-width digits
        ("80 万 元", "800000"),
        ("5000块", "5000"),
        ("0", "0"),
        ("123,456.78元", "123456.78"),
        ("-5万", "-50000"),
    ],
)
def test_parse_amount(text: str, yuan: str) -> None:
    assert parse_amount(text) == Decimal(yuan)


@pytest.mark.parametrize(
    "text", ["", "abc", "万一", "千万别", "二五", "1,0000", "80万万万元元", "八十块一个"]
)
def test_unreadable_amounts_give_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("2万美元", "美元"),
        ("$5000", "美元"),
        ("USD 300", "美元"),
        ("US$20", "美元"),
        ("3000欧元", "欧元"),
        ("€3000", "欧元"),
        ("5万日元", "日元"),
        ("1000英镑", "英镑"),
        ("10万港币", "港币"),
        ("2万美金", "美金"),
    ],
)
def test_foreign_currency_asks_for_renminbi(text: str, currency: str) -> None:
    with pytest.raises(ForeignCurrencyError) as caught:
        parse_amount(text)
    assert caught.value.currency == currency
    assert "人民币" in str(caught.value) and text in str(caught.value)


@pytest.mark.parametrize(
    ("sentence", "amounts"),
    [
        ("海外仓去年花了80万，能补多少", ["800000"]),
        ("2025年办了12场培训，花了3万5，另外推广费200000", ["35000", "200000"]),
        ("独立站一次性投入了十万元，人工费两万", ["100000", "20000"]),
        ("首单50万和20万各一笔", ["500000", "200000"]),
        ("我们有5个海外仓，30人", []),
        ("千万别说，万一呢，第二年再看", []),
        ("物流费用￥12,000", ["12000"]),
        ("联系电话13812345678，2025-01-01前申报，9:30到", []),
        ("补贴比例50%，12.5%也行", []),
    ],
)
def test_find_amounts_in_a_sentence(sentence: str, amounts: list[str]) -> None:
    assert find_amounts(sentence) == [Decimal(a) for a in amounts]


def test_find_amounts_refuses_a_foreign_currency() -> None:
    with pytest.raises(ForeignCurrencyError):
        find_amounts("海外仓花了2万美元，能补多少")


@pytest.mark.parametrize(
    ("text", "count"),
    [("12场", 12), ("十二次", 12), ("12", 12), ("十二场活动", 12), ("30 场", 30), ("0场", 0), ("两场", 2)],
)
def test_parse_count(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["12.5场", "很多场", "", "12万"])
def test_parse_count_refuses_non_counts(text: str) -> None:
    assert parse_count(text) is None


@pytest.mark.parametrize(
    ("yuan", "short", "plain"),
    [
        ("400000", "40万元", "400,000元"),
        ("125000", "12.5万元", "125,000元"),
        ("123456", "123,456元", "123,456元"),
        ("8000", "8,000元", "8,000元"),
        ("150000000", "1.5亿元", "150,000,000元"),
        ("120500000", "12050万元", "120,500,000元"),
        ("123456.78", "123,456.78元", "123,456.78元"),
        ("0", "0元", "0元"),
    ],
)
def test_formatting(yuan: str, short: str, plain: str) -> None:
    assert format_yuan(Decimal(yuan)) == short
    assert format_plain(Decimal(yuan)) == plain


money = st.decimals(
    min_value=0, max_value=Decimal("99999999999.99"), places=2, allow_nan=False, allow_infinity=False
)


@given(money)
def test_formatted_amounts_parse_back(amount: Decimal) -> None:
    assert parse_amount(format_yuan(amount)) == amount
    assert parse_amount(format_plain(amount)) == amount


@given(st.integers(min_value=0, max_value=10**6))
def test_wan_amounts(count: int) -> None:
    assert parse_amount(f"{count}万") == count * 10_000
    assert parse_amount(f"{count}w") == count * 10_000
    assert find_amounts(f"去年花了{count}万元，能补多少") == [count * 10_000]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("去年仓租加尾程派送一共七十多万", [Decimal("700000")]),
        ("首单货值八十来万", [Decimal("800000")]),
        ("我们计划投两个亿，年交易额大概5个亿", [Decimal("200000000"), Decimal("500000000")]),
        ("去年亞馬遜站內廣告花了70萬", [Decimal("700000")]),
        ("一百二十萬", [Decimal("1200000")]),
        ("we spent around 1.5 million yuan last year", [Decimal("1500000")]),
        ("about 80 thousand RMB", [Decimal("80000")]),
        ("去年头程物流1.2m", [Decimal("1200000")]),
        ("we spent about 1.5m RMB last year", [Decimal("1500000")]),
        ("仓库面积300m2，层高5m²", []),  # square metres are no money
        ("Google Ads 45万", [Decimal("450000")]),
        ("综保区能不能做1210保税备货", []),  # a customs code is no money
        ("9610和9710有什么区别", []),
        ("花了9610元", [Decimal("9610")]),  # with a currency word it is
        ("一个人", []),
    ],
)
def test_amounts_as_chat_users_write_them(text: str, expected: list) -> None:
    assert find_amounts(text) == expected


@pytest.mark.parametrize(("text", "phrase"), [("展位费加机票十几万", "十几万"), ("去年仓租七十多万", "七十多万"), ("八十来万吧", "八十来万")])
def test_an_amount_given_roughly_is_found_as_written(text: str, phrase: str) -> None:
    assert approximate_phrase(text) == phrase


@pytest.mark.parametrize("text", ["两个亿", "80万", "花了120万元"])
def test_an_exact_amount_is_no_rough_one(text: str) -> None:
    assert approximate_phrase(text) is None


def test_a_rough_amount_is_named_in_the_estimate() -> None:
    from intents.respond import get_responder

    reply = get_responder().respond("我们公司去参加法兰克福展 展位费加机票十几万 高新区能给补吗")
    assert reply.kind == "calculation"
    assert reply.answer.splitlines()[1] == "• 您说的「十几万」按10万元估算；告诉我准确金额，可以重新测算。"
