"""Personal data out of a text: replaced by labels before it is logged (``redact``), taken out
before it is matched (``strip_personal``: a phone number says nothing about the question, and
its digits would otherwise pull the enquiry towards intents about amounts).

Replaced, each by a bracketed Chinese label so staff still see *that* something was given:
mobile and landline phone numbers, 身份证号 (18- and 15-digit), 统一社会信用代码, e-mail addresses
and bank-card numbers (16–19 digits, also written in groups). Full-width digits and letters
(１３８…) are matched too: matching runs on a half-width copy of the text, which has the same
length, so the spans found there are cut out of the original. So are phone numbers written in
Chinese numerals (一三八…, 幺 and 〇 included, also 壹贰叁…), digit by digit with spaces or dashes,
or with +86 / 0086 in front: the half-width copy also maps each numeral to its digit.

``clean`` removes what a reader cannot see but a display obeys: bidi controls (U+202E…),
zero-width characters and other format characters, and lone surrogates. ``redact``
cleans first, so nothing logged or shown can reorder or hide text.
"""

from __future__ import annotations

import re

PHONE = "[手机号]"
ID_CARD = "[身份证号]"
CREDIT_CODE = "[信用代码]"
EMAIL = "[邮箱]"
BANK_CARD = "[银行卡号]"

# Full-width ASCII (U+FF01..U+FF5E) to half-width, the ideographic space, and Chinese numerals to
# digits; 1:1 in length.
_NUMERALS = {"〇": "0", "零": "0", "幺": "1", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
             "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "叁": "3", "肆": "4", "伍": "5", "陆": "6",
             "柒": "7", "捌": "8", "玖": "9"}  # fmt: skip
_HALF_WIDTH = (
    {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    | {0x3000: 0x20, 0x2014: 0x2D, 0x2013: 0x2D, 0x2012: 0x2D}
    | {ord(k): ord(v) for k, v in _NUMERALS.items()}
)

# Bidi controls, zero-width and other format characters (Unicode category Cf), and lone
# surrogates. Control characters stay: the conversation core refuses them with a clear reply.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def clean(text: str) -> str:
    """``text`` without bidi controls, zero-width and other format characters, and lone surrogates."""
    return _INVISIBLE.sub("", text) if text else text


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (it cannot be written as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False

# Not preceded / followed by a character that would make the match part of a longer token.
_NO_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NO_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_NO_DIGIT_BEFORE = r"(?<![0-9])"
_NO_DIGIT_AFTER = r"(?![0-9])"
_SEP = r"[ \-.]?"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # e-mail first: its local part may hold digits that look like a phone number.
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), EMAIL),
    # 身份证号: 6-digit area, birth date 18xx/19xx/20xx, 3-digit sequence, check digit or X.
    (
        re.compile(
            _NO_ALNUM_BEFORE
            + r"\d{6}" + _SEP + r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])" + _SEP + r"\d{3}[0-9Xx]"
            + _NO_ALNUM_AFTER
        ),
        ID_CARD,
    ),
    # 统一社会信用代码 (GB 32100-2015): 18 characters, digits and capitals without I, O, S, V, Z,
    # with the 6-digit administrative division code at positions 3-8. At least one letter is
    # required (after the 身份证号 pattern, which takes 18 digits ending in X), so that an
    # all-digit 身份证号 or card number is not mistaken for one.
    (
        re.compile(
            _NO_ALNUM_BEFORE
            + r"(?=[0-9A-Z]*[A-HJ-NPQRTUWXY])[0-9A-HJ-NPQRTUWXY][0-9]\d{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY]"
            + _NO_ALNUM_AFTER,
            re.IGNORECASE,
        ),
        CREDIT_CODE,
    ),
    # Old 15-digit 身份证号: 6-digit area (its first digit 1-8: no area code starts with 0 or 9, so
    # 0086 and a mobile number, 15 digits too, is a phone number), yymmdd, 3-digit sequence.
    (
        re.compile(
            _NO_DIGIT_BEFORE + r"[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NO_DIGIT_AFTER
        ),
        ID_CARD,
    ),
    # Bank cards: 16-19 digits in one run, or in groups of four separated by spaces or dashes; four
    # customs modes in a row (9610 9710 9810 1210 怎么选) are no card.
    (
        re.compile(
            _NO_DIGIT_BEFORE
            + r"(?:\d{16,19}|(?!(?:(?:9610|9710|9810|1210|1039|0110)[ \-]?){4}(?!\d))\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?)"
            + _NO_DIGIT_AFTER
        ),
        BANK_CARD,
    ),
    # Mobile numbers, optionally with +86 / 0086 / 86 and a space, dash or dot between any digits:
    # 138 1234 5678, 138-1234-5678, 1 3 8 1 2 3 4 5 6 7 8, (+86)138…
    (
        re.compile(
            _NO_DIGIT_BEFORE
            + r"(?:\(?(?:\+|00)?86\)?[ \-]?)?1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9}"
            + _NO_DIGIT_AFTER
        ),
        PHONE,
    ),
    # Landlines with an area code, (0411)8765-4321, 0411-87654321, 024 2345 6789, and 400/800 lines.
    (
        re.compile(
            _NO_DIGIT_BEFORE
            + r"(?:(?:\+|00)?86[ \-]?)?(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ \-])\s?\d{3,4}[ \-]?\d{4}"
            + _NO_DIGIT_AFTER
        ),
        PHONE,
    ),
    (re.compile(_NO_DIGIT_BEFORE + r"[48]00[ \-]?\d{3}[ \-]?\d{4}" + _NO_DIGIT_AFTER), PHONE),
)


# One pass: the alternatives in the order above (at a given position the first that matches wins,
# and an earlier start wins over a later one, so an e-mail swallows the phone number inside it).
_COMBINED = re.compile(
    "|".join(f"(?P<g{index}>{pattern.pattern})" for index, (pattern, _) in enumerate(_PATTERNS)), re.IGNORECASE
)
_LABELS = {f"g{index}": label for index, (_, label) in enumerate(_PATTERNS)}
_CANDIDATE = re.compile("[0-9@０-９＠" + "".join(_NUMERALS) + "]")


def redact(text: str) -> str:
    """Return ``text`` cleaned (``clean``) with personal data replaced by labels such as ``[手机号]``."""
    text = clean(text)
    if not text or not _CANDIDATE.search(text):
        return text  # no digit and no @: nothing to redact (the common case, and cheap)
    probe = text.translate(_HALF_WIDTH)
    parts, last = [], 0
    for match in _COMBINED.finditer(probe):
        parts.append(text[last : match.start()])
        parts.append(_LABELS[match.lastgroup])
        last = match.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def redact_value(value: object) -> object:
    """Redact every string inside a JSON-like value (dicts, lists, strings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


# what introduces the data (我的手机号是…, 邮箱: …): without it the enquiry reads as it would have
# been written without the number
_LEAD_IN = re.compile(
    r"(?:(?:我|我们|本人|公司|单位|企业)的?)?(?:联系)?(?:手机号码|手机号|手机|电话号码|电话|联系方式|微信号?|邮箱地址|邮箱|e-?mail|"
    r"身份证号码|身份证号|身份证|统一社会信用代码|社会信用代码|信用代码|银行卡号|银行卡|卡号)(?:是|为|:|：)?\s*$",
    re.IGNORECASE,
)


def strip_personal(text: str) -> str:
    """``text`` without personal data and the words that introduce it, for matching:
    「我的手机号是13812345678，海外仓补贴最高多少」 -> 「，海外仓补贴最高多少」."""
    if not text or not _CANDIDATE.search(text):
        return text
    probe = text.translate(_HALF_WIDTH)
    parts, last = [], 0
    for match in _COMBINED.finditer(probe):
        before = text[last : match.start()]
        lead = _LEAD_IN.search(before)
        parts.append(before[: lead.start()] if lead else before)
        parts.append(" ")
        last = match.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts).strip()
