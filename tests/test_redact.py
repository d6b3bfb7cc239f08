"""Personal data never reaches the log: phone numbers, 身份证号, 统一社会信用代码, e-mails, bank cards."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.redact import BANK_CARD, CREDIT_CODE, EMAIL, ID_CARD, PHONE, redact, redact_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话13812345678，请回电", f"我的电话{PHONE}，请回电"),
        ("手机 138 1234 5678", f"手机 {PHONE}"),
        ("手机138-1234-5678", f"手机{PHONE}"),
        ("+86 13812345678", PHONE),
        ("+8613812345678联系", f"{PHONE}联系"),
        ("电话：１３８１２３４５６７８", f"电话：{PHONE}"),
        ("座机0411-87654321", f"座机{PHONE}"),
        ("座机(0411)87654321", f"座机{PHONE}"),
        ("客服400-123-4567", f"客服{PHONE}"),
        ("身份证210203199001011234", f"身份证{ID_CARD}"),
        ("身份证号21020319900101123X。", f"身份证号{ID_CARD}。"),
        ("老身份证210203900101123", f"老身份证{ID_CARD}"),
        ("统一社会信用代码91210200MA0QC1234X", f"统一社会信用代码{CREDIT_CODE}"),
        ("信用代码 91210231MA10ABCD5K 的公司", f"信用代码 {CREDIT_CODE} 的公司"),
        ("小写91210200ma0qc1234x也算", f"小写{CREDIT_CODE}也算"),
        ("邮箱 zhang.san@example.com.cn 谢谢", f"邮箱 {EMAIL} 谢谢"),
        ("发到13812345678@163.com", f"发到{EMAIL}"),
        ("卡号6222021234567890123", f"卡号{BANK_CARD}"),
        ("卡号 6222 0212 3456 7890 123", f"卡号 {BANK_CARD}"),
        ("卡号6222-0212-3456-7890", f"卡号{BANK_CARD}"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "海外仓去年花了80万，高新区能补多少？",
        "2026年1月1日以后的订单",
        "营业收入12,500,000元，按4%核定",
        "9610 和 9810 有什么区别",
        "首单金额 200000 元，第2年",
        "dalian-gxq-2026:5 第五条",
        "1.5亿的出口额",
        "20260101到20261231",
    ],
)
def test_policy_questions_are_untouched(text: str) -> None:
    assert redact(text) == text


def test_nested_values_are_redacted() -> None:
    value = {"note": "电话13812345678", "items": ["a@b.cn", 5], "amount": 800000}
    assert redact_value(value) == {"note": f"电话{PHONE}", "items": [EMAIL, 5], "amount": 800000}


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.text(alphabet="海外仓补贴多少？", max_size=8))
def test_any_mobile_number_inside_chinese_is_redacted(number: str, words: str) -> None:
    assert number not in redact(f"{words}{number}{words}")
