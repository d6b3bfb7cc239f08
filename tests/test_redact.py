"""Personal data never reaches the log: phone numbers, 身份证号, 统一社会信用代码, e-mails, bank cards."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.records.redact import BANK_CARD, CREDIT_CODE, EMAIL, ID_CARD, PHONE, redact, redact_value


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
        "9610 9710 9810 1210 怎么选",  # four customs modes, in the shape of a bank card
        "9610-9710-9810-1210有啥区别",
    ],
)
def test_policy_questions_are_untouched(text: str) -> None:
    assert redact(text) == text


def test_four_customs_modes_in_a_row_are_matched_not_redacted() -> None:
    from intents.respond import get_responder

    reply = get_responder().respond("9610 9710 9810 1210 怎么选")
    assert (reply.kind, reply.intent) == ("answer", "reg-customs-modes")


def test_nested_values_are_redacted() -> None:
    value = {"note": "电话13812345678", "items": ["a@b.cn", 5], "amount": 800000}
    assert redact_value(value) == {"note": f"电话{PHONE}", "items": [EMAIL, 5], "amount": 800000}


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.text(alphabet="海外仓补贴多少？", max_size=8))
def test_any_mobile_number_inside_chinese_is_redacted(number: str, words: str) -> None:
    assert number not in redact(f"{words}{number}{words}")


# -- phone numbers however they are written (issue 15) ------------------------------------------
DIGIT_FORMS = {
    "ascii": "0123456789",
    "full width": "０１２３４５６７８９",
    "numerals": "〇一二三四五六七八九",
    "numerals with 零 and 幺": "零幺二三四五六七八九",
    "capital numerals": "零壹贰叁肆伍陆柒捌玖",
}


@st.composite
def written_phone(draw: st.DrawFn) -> tuple[str, str]:
    """(the number's 11 digits, how a user wrote it): any digit form (mixed too), a separator
    between the usual groups or between any two digits, optionally +86 / 0086 / (+86) in front."""
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    mixed = draw(st.booleans())
    form = draw(st.sampled_from(sorted(DIGIT_FORMS)))
    digits = [DIGIT_FORMS[draw(st.sampled_from(sorted(DIGIT_FORMS))) if mixed else form][int(d)] for d in number]
    separator = draw(st.sampled_from(["", " ", "-", "－", "　", "—", "."]))
    if draw(st.booleans()):  # 138 1234 5678
        written = separator.join(["".join(digits[:3]), "".join(digits[3:7]), "".join(digits[7:])])
    else:  # 1 3 8 1 2 3 4 5 6 7 8
        written = separator.join(digits)
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "(+86)", "（+86）", "86-", "＋８６ "]))
    return number, prefix + written


CONTEXT_BEFORE = ["", "电话", "我的手机号是", "联系方式：", "请打", "手机 ", "回电到"]
CONTEXT_AFTER = ["", "，谢谢", "。", " 找张经理", "，海外仓补贴多少？", "（微信同号）"]


def _digits(text: str) -> str:
    table = {ord(c): str(i) for form in DIGIT_FORMS.values() for i, c in enumerate(form)}
    return "".join(c for c in text.translate(table) if c.isdigit())


@given(written_phone(), st.sampled_from(CONTEXT_BEFORE), st.sampled_from(CONTEXT_AFTER))
def test_a_phone_number_however_written_is_redacted(phone: tuple[str, str], before: str, after: str) -> None:
    number, written = phone
    redacted = redact(f"{before}{written}{after}")
    assert PHONE in redacted
    assert number[3:] not in _digits(redacted), redacted  # not even the last 8 digits are left
    assert redacted.startswith(before.rstrip() if before.endswith(" ") else before)


def test_0086_and_a_mobile_number_is_a_phone_number_not_an_old_id_number() -> None:
    # 15 digits, like an old 身份证号, which never starts with 0 (found by the property test)
    assert redact("008613000101000") == PHONE
    assert redact("110105710923002") == "[身份证号]"


@pytest.mark.parametrize(
    "text",
    ["第一条第二款", "一百二十万元", "第三十五条", "一二三四五", "二〇二六年一月一日", "补贴五十万，首单一百万", "九六一〇和九八一〇"],
)
def test_chinese_numerals_in_policy_questions_are_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\u202eb\u202c", "ab"), ("\u2066海外仓\u2069", "海外仓"), ("海\u200b外\u200c仓\u200d\ufeff", "海外仓"),
        ("\u200e\u200f\u061c", ""), ("a\ud800b", "ab"), ("tab\tand\nline", "tab\tand\nline"), ("\x1b[31m红", "\x1b[31m红"),
    ],
)  # fmt: skip
def test_invisible_and_reordering_characters_are_removed(text: str, expected: str) -> None:
    assert redact(text) == expected
