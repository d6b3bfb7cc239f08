"""Yuan amounts and event counts as people type them in chat, and back to text.

Accepted: 80万, 1.5亿, 三十万元, 五十万, 一万五, 50w, ￥200,000, 12.5万元, 200000元, 8千, 1千万,
人民币30万, 一百二十萬 (traditional), 1.5 million yuan, 80 thousand RMB, 七十多万 / 八十来万 / 两个亿
(read as the round figure). A foreign currency (2万美元, $5000, 3000欧元) is never converted: the caller gets
ForeignCurrencyError and asks for an amount in 人民币. Full-width characters are folded first
(NFKC), so ２０万 and ￥ work too.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_DIGITS |= {"壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
BIG_UNITS = {"万": 10**4, "w": 10**4, "W": 10**4, "亿": 10**8}
FOREIGN = (
    "新加坡元",
    "美元",
    "美金",
    "欧元",
    "日元",
    "日圆",
    "英镑",
    "港币",
    "港元",
    "澳元",
    "加元",
    "韩元",
    "卢布",
)
FOREIGN += ("USD", "US$", "EUR", "GBP", "JPY", "HKD", "AUD", "CAD", "$", "€", "£", "円")
CURRENCY_NAMES = {
    "$": "美元",
    "US$": "美元",
    "USD": "美元",
    "€": "欧元",
    "EUR": "欧元",
    "£": "英镑",
    "GBP": "英镑",
}
CURRENCY_NAMES |= {"JPY": "日元", "円": "日元", "HKD": "港元", "AUD": "澳元", "CAD": "加元"}
YUAN_SUFFIXES = ("元人民币", "块钱", "元整", "元", "块", "人民币", "RMB", "CNY")
YUAN_PREFIXES = ("¥", "人民币", "RMB", "CNY")

ARABIC = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CN_CHARS = "".join(CN_DIGITS) + "十拾百佰千仟万亿"
CN_START = "".join(CN_DIGITS) + "十拾"  # 千万别 / 万一 are words, not amounts
_alternatives = sorted(FOREIGN + YUAN_PREFIXES + YUAN_SUFFIXES, key=len, reverse=True)
CURRENCY = "|".join(re.escape(word) for word in _alternatives)
AMOUNT = re.compile(
    rf"(?P<sign>-)?(?P<prefix>{CURRENCY})?\s*"
    rf"(?P<body>(?:{ARABIC}|[{CN_START}])(?:{ARABIC}|[{CN_CHARS}])*(?:[wWkK](?![A-Za-z]))?)"
    rf"\s*(?P<suffix>{CURRENCY})?"
)
TOKEN = re.compile(rf"{ARABIC}|[{CN_CHARS}wWkK]")
HEDGES = re.compile(r"^(?:约|大约|大概|差不多|将近)|(?:左右|上下|多)$")
# what may follow a bare number in a sentence when it is not money
NOT_MONEY_AFTER = re.compile(
    r"\s*(?:年|月|日|号|场|次|个|件|单|笔|家|人|名|位|条|票|箱|吨|公斤|平|米|天|小时|%|％)"
)
COUNT = re.compile(rf"(?P<body>\d+|[{CN_CHARS}]+)\s*(?:场|次|期|届|个|回)?(?:活动|培训|讲座)?")


CUSTOMS_CODES = frozenset({"9610", "9710", "9810", "1210", "1239", "1039", "0110", "9110"})


class ForeignCurrencyError(ValueError):
    """An amount in a currency other than 人民币; the message asks for yuan."""

    def __init__(self, text: str, currency: str) -> None:
        self.text, self.currency = text, CURRENCY_NAMES.get(currency, currency)
        super().__init__(
            f"「{text}」是外币（{self.currency}）金额，请换算成人民币后再输入，例如 80万 或 800000元"
        )


# traditional forms of the characters amounts are written with (萬, 億, 塊 …)
TRADITIONAL = str.maketrans({"萬": "万", "億": "亿", "塊": "块", "圓": "元", "兩": "两", "貳": "贰", "參": "叁", "陸": "陆"})
# 1.2m / 1.5M RMB: "m" right after a number is a million in how traders write money (not metres:
# no enquiry here measures anything; mm, m2, m³ are left alone)
MILLION = re.compile(r"(\d+(?:\.\d+)?)(?:\s*(?:million|mln)\b|[mM](?![a-zA-Z0-9²³]))", re.IGNORECASE)
THOUSAND = re.compile(r"(\d+(?:\.\d+)?)\s*thousand\b", re.IGNORECASE)
YUAN_WORD = re.compile(r"(?<=\d)\s*(?:yuan|rmb|cny)\b|(?<=[万kK])\s*(?:yuan|rmb|cny)\b", re.IGNORECASE)


def _english(text: str) -> str:
    """1.5 million yuan -> 150万元, 80 thousand RMB -> 80k元 (a currency sign stays and is refused)."""
    text = MILLION.sub(lambda m: f"{Decimal(m[1]) * 100:f}万".replace(".0万", "万"), text)
    text = THOUSAND.sub(lambda m: f"{m[1]}k", text)
    return YUAN_WORD.sub("元", text)


# 七十多万, 八十来万, 十几万, 两个亿: the approximate words between a number and its unit; the
# amount is read as the round figure (a lower bound of what was spent)
APPROXIMATE = re.compile(r"(?<=[\d零〇一二两三四五六七八九十百千])\s*(?:多|来|余|几|个)\s*(?=[万亿千wW])")


# the same words as the user wrote them (两个亿 is exact: 个 is no approximation)
APPROXIMATE_PHRASE = re.compile(r"[\d零〇一二两三四五六七八九十百千.]+\s*(?:多|来|余|几)\s*[万亿千wW]")


def approximate_phrase(text: str) -> str | None:
    """「十几万」 in 展位费加机票十几万: an amount given roughly, read as its round figure, or None."""
    found = APPROXIMATE_PHRASE.search(_plain_digits(text))
    return found[0] if found else None


def _plain_digits(text: str) -> str:
    """Half-width digits and simplified numerals (一百二十萬 -> 一百二十万)."""
    return unicodedata.normalize("NFKC", text).translate(TRADITIONAL)


def _fold(text: str) -> str:
    folded = _plain_digits(text).replace("，", ",")
    return APPROXIMATE.sub("", _english(folded)).strip()


def _number(body: str) -> Decimal | None:
    """Value of a mixed Arabic / Chinese numeral body such as 1千万, 一万五, 12.5万, 三十."""
    big = mid = section = Decimal(0)  # parts above 亿, between 万 and 亿, below 万
    current: Decimal | None = None
    last_unit, zero_seen, previous_was_digit = 0, False, False
    for token in TOKEN.findall(body):
        unit = SMALL_UNITS.get(token) or BIG_UNITS.get(token)
        if unit is None:
            if previous_was_digit and not zero_seen:
                return None  # 二五 or 20 30: two numbers in a row
            current = Decimal(token.replace(",", "")) if token[0].isdigit() else Decimal(CN_DIGITS[token])
            zero_seen = zero_seen or token in ("零", "〇")
            previous_was_digit = True
            continue
        if unit < 10**4:  # 十 alone means 一十
            section += (current if current is not None else 1) * unit
        elif unit == 10**4:  # 万 alone means 一万; 0万 is 0
            mid += (1 if current is None and section == 0 else section + (current or 0)) * unit
            section = Decimal(0)
        else:
            below = mid + section + (current or 0)
            big += (1 if current is None and below == 0 else below) * unit
            mid = section = Decimal(0)
        current, last_unit, zero_seen, previous_was_digit = None, unit, False, False
    if current is not None and last_unit >= 10 and not zero_seen and current < 10 and current == int(current):
        current *= last_unit // 10  # 一万五 = 15000, 三千五 = 3500: a trailing digit after a unit
    total = big + mid + section + (current or 0)
    return total.quantize(Decimal(1)) if total == total.to_integral_value() else total.normalize()


def _currency_check(text: str, match: re.Match[str]) -> None:
    for part in (match["prefix"], match["suffix"]):
        if part and part not in YUAN_PREFIXES + YUAN_SUFFIXES:
            raise ForeignCurrencyError(text.strip(), part)


def parse_amount(text: str) -> Decimal | None:
    """The yuan amount the whole of ``text`` states, or None; raises ForeignCurrencyError."""
    folded = HEDGES.sub("", re.sub(r"\s+", "", _fold(text)))
    match = AMOUNT.fullmatch(folded)
    if match is None:
        currency = next((word for word in FOREIGN if word in folded), None)
        if currency and re.search(r"\d|[" + CN_START + "]", folded):
            raise ForeignCurrencyError(text.strip(), currency)
        return None
    _currency_check(text, match)
    value = _number(match["body"])
    if value is None:
        return None
    return -value if match["sign"] else value


def find_amounts(text: str) -> list[Decimal]:
    """Yuan amounts inside a sentence: 「海外仓去年花了80万，能补多少」 -> [800000].

    A number counts as money when it carries a currency sign or word, a 万/亿/千/w/k unit, or is
    a bare figure of four or more digits not followed by a date or counting word (2025年, 12场).
    """
    folded, amounts = _fold(text), []
    for match in AMOUNT.finditer(folded):
        body, marked = match["body"], match["prefix"] or match["suffix"]
        has_unit = re.search(r"[万亿千仟wWkK]", body) is not None
        digits = len(re.sub(r"\D", "", body.split(".")[0]))
        # 11 digits: a phone number; 9610, 1210 …: customs codes, not money
        is_figure = re.fullmatch(ARABIC, body) is not None and 4 <= digits <= 10 and body not in CUSTOMS_CODES
        if not marked and (NOT_MONEY_AFTER.match(folded, match.end()) or _in_date_or_code(folded, match)):
            continue
        if marked or has_unit or is_figure:
            _currency_check(match[0], match)
            value = _number(body)
            if value is not None:
                amounts.append(value)
    return amounts


def _in_date_or_code(text: str, match: re.Match[str]) -> bool:
    """2025-01-01, 9:30, 12/31, A1234: digits glued to separators or letters are not money."""
    start = match.start() if match["prefix"] else match.start("body")  # "ads 45万": the space parts them
    before = text[start - 1] if start else ""
    after = text[match.end()] if match.end() < len(text) else ""
    return bool(re.fullmatch(r"[-/:A-Za-z_]", before) or re.fullmatch(r"[-/:A-Za-z_]", after))


def parse_count(text: str) -> int | None:
    """A number of events: 「12场」, 「十二次」, 「12」 -> 12; None when it is not a whole count."""
    match = COUNT.fullmatch(re.sub(r"\s+", "", _fold(text)))
    if match is None:
        return None
    value = _number(match["body"])
    if value is None or value != int(value):
        return None
    return int(value)


def _grouped(amount: Decimal) -> str:
    cents = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{cents:,.0f}" if cents == cents.to_integral_value() else f"{cents:,.2f}"


def format_plain(amount: Decimal) -> str:
    """400,000元 (fen shown only when there are any)."""
    return f"{_grouped(amount)}元"


def format_yuan(amount: Decimal) -> str:
    """40万元, 12.5万元, 1.5亿元; below 1万 or with odd fen: 8,000元, 123,456.78元."""
    cents = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    for unit, word in ((Decimal(10**8), "亿"), (Decimal(10**4), "万")):
        scaled = cents / unit
        if abs(cents) >= unit and scaled == scaled.quantize(Decimal("0.01")):
            return f"{scaled.normalize():f}{word}元"
    return format_plain(cents)
