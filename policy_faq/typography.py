"""Chinese text set the Chinese way, for everything a user reads: full-width punctuation next to
Chinese characters, no space between two of them, and a check for what breaks the rules (the
validator, the calculators and the tests use it)."""

from __future__ import annotations

import re

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WIDE = (
    CJK + "\u3000-\u303f\uff00-\uffef\u2014\u2026"
)  # CJK and full-width punctuation (not “”: English uses them too)
HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
_HALF_NEAR_WIDE = re.compile(rf"(?<=[{WIDE}])[,:;!?()]|[,:;!?()](?=[{WIDE}])")
_STOP_AFTER_CJK = re.compile(rf"(?<=[{WIDE}])\.(?![\d.])")
_HALF_CLOSE = re.compile(r"（([^（）()\n]*)\)")
_HALF_OPEN = re.compile(r"\(([^（）()\n]*)）")
UNITS = "万亿元%个月年日号场次人条项倍"
_SPACE_BEFORE_NUMBER = re.compile(rf"(?<=[{CJK}])[ \t]+(?=\d)")
_SPACE_BEFORE_UNIT = re.compile(rf"(?<=\d)[ \t]+(?=[{UNITS}])|(?<=%)[ \t]+(?=[{CJK}])")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{WIDE}])[ \t]+(?=[{WIDE}])")


def fullwidth(text: str) -> str:
    """Chinese text set the Chinese way: full-width punctuation next to Chinese characters and
    no space between two of them. ``1.5万``, ``USD 200,000`` and English sentences stay as they are."""
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _HALF_NEAR_WIDE.sub(lambda m: HALF_TO_FULL[m.group()], text)
    text = _STOP_AFTER_CJK.sub("。", text)
    text = _HALF_OPEN.sub(r"（\1）", _HALF_CLOSE.sub(r"（\1）", text))  # (AEO） -> （AEO）: pairs match
    text = _SPACE_BEFORE_NUMBER.sub("", _SPACE_BEFORE_UNIT.sub("", text))  # 最高 100 万元 -> 最高100万元
    return _SPACE_BETWEEN_CJK.sub("", text)  # 「条件: 对象」: the space after the colon, now full-width


# what the text rules refuse (the validator, the calculators' tests, the reply tests)
CJK_PUNCT = "，。：；！？（）「」『』、《》〔〕【】"
SPACE_IN_CHINESE = re.compile(f"(?<=[{CJK}{CJK_PUNCT}])[ \t\u3000\xa0]+(?=[{CJK}{CJK_PUNCT}])")
FULL_WIDTH = {**HALF_TO_FULL, ".": "。"}
HALF_WIDTH_BY_CHINESE = re.compile(f"(?<=[{CJK}])[,.:;!?()]|[,.:;!?()](?=[{CJK}])")


def offences(text: str) -> list[str]:
    """What breaks the text rules: a space between two Chinese characters, half-width punctuation
    next to one, or a raw clause id; each with the text around it."""
    found = [f"空格: …{text[max(0, m.start() - 6) : m.end() + 6]}…" for m in SPACE_IN_CHINESE.finditer(text)]
    found += [
        f"半角标点: …{text[max(0, m.start() - 6) : m.end() + 6]}…"
        for m in HALF_WIDTH_BY_CHINESE.finditer(text)
    ]
    found += [f"条款编号: {m.group()}" for m in RAW_REF.finditer(text)]
    return found


# a clause id as the machine writes it: dalian-gxq-2026:5, sat-2019-36:main, fx-registration:main
RAW_REF = re.compile(
    r"(?<![A-Za-z0-9-])[a-z]+(?:-[a-z0-9]+)+:(?:\d[\d.]*|preamble|scope|annex|general|closing[.\d]*|main)(?![A-Za-z0-9])"
)
