"""Reply in the user's script: an enquiry in traditional characters gets its answer and buttons in
traditional characters; an English enquiry gets the Chinese answer with one English line first.

The FAQ and the policy texts are simplified Chinese; matching runs on simplified text whatever
the user typed (``normalize``), so only what the user reads is converted, at the very end.
"""

from __future__ import annotations

import re
from functools import cache

import zhconv
import zhconv.zhconv

SIMPLIFIED, TRADITIONAL, ENGLISH = "hans", "hant", "en"
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# codes and acronyms that an enquiry in Chinese may be written with alone (9610, AEO, TikTok)
NOT_ENGLISH = re.compile(r"^(?:\W|\d|aeo|b2b|b2c|tiktok|temu|shein|amazon|ok)*$", re.IGNORECASE)


def detect(text: str, default: str = SIMPLIFIED) -> str:
    """``hant`` when the enquiry is written in traditional characters, ``en`` when in English
    (letters, no Chinese), ``hans`` in simplified ones; ``default`` (the script of the
    conversation so far) when the characters are the same in both (「上限呢」)."""
    cjk = CJK.findall(text or "")
    if not cjk:
        words = LATIN_WORD.findall(text or "")
        if words and not NOT_ENGLISH.match(text):
            return ENGLISH
        return default if default != ENGLISH and not words else SIMPLIFIED
    traditional_only, simplified_only = _only()
    traditional = sum(char in traditional_only for char in cjk)
    simplified = sum(char in simplified_only for char in cjk)
    # one traditional character among many simplified ones may be a variant simplified text uses too
    if traditional > simplified and (traditional >= 2 or len(cjk) <= 5):
        return TRADITIONAL
    if traditional == simplified == 0:
        return default if default != ENGLISH else SIMPLIFIED
    return SIMPLIFIED


@cache
def _only() -> tuple[frozenset[str], frozenset[str]]:
    """The characters only traditional text uses (倉, 萬), and only simplified text (仓, 万)."""
    dicts = zhconv.zhconv.zhcdicts or zhconv.zhconv.loaddict() or zhconv.zhconv.zhcdicts
    return frozenset(dicts["TRADONLY"]), frozenset(dicts["SIMPONLY"])


def convert(text: str, script: str) -> str:
    """``text`` (simplified Chinese) as the user's script shows it."""
    if script == TRADITIONAL and text:
        return zhconv.convert(text, "zh-hk")  # 為 and 台 as Hong Kong and Taiwan readers write them
    return text


def english_line(kind: str, title_en: str | None, title: str | None) -> str:
    """The one English line that goes before a Chinese answer to an English enquiry."""
    about = title_en or title
    if kind in ("answer", "calculation", "checklist", "excerpt") and about:
        what = {"calculation": "an estimate for", "checklist": "the checklist for"}.get(kind, "")
        return f"In English: this is {what + ' ' if what else 'about '}“{about}”. The policy texts are in Chinese, so the answer follows in Chinese."
    if kind == "clarify":
        return "In English: please pick the question you mean below. The policy texts are in Chinese, so the options are in Chinese."
    if kind in ("smalltalk", "handoff") and about:
        return f"In English: {about}. This assistant answers in Chinese, as the policy texts are in Chinese."
    return "In English: sorry, I could not match this to a policy question. The policy texts are in Chinese; you may also ask in Chinese."
