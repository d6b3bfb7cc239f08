"""Text normalisation shared by matching, search and validation.

Two levels:

- ``normalize(text)``: full-width to half-width (NFKC), traditional to simplified, lower case,
  Chinese numerals before a unit to Arabic digits (八十万 -> 80万, 第五条 -> 第5条), punctuation
  and spaces removed. Used for clause search and for duplicate detection in ``faq validate``.
- ``canonical(text)``: the matcher's form. Like ``normalize`` but English phrases and domain
  synonyms are rewritten to one canonical term first (境外仓/海外仓库 -> 海外仓, 自建站/官网 -> 独立站,
  投流/广告投放 -> 推广, 跨境电商B2B直接出口 -> 9710 …). The table is data: ``synonyms.yaml``.

``tokens(text, mode)`` turns canonical text into index terms: character n-grams (``char``,
the default), jieba words with the domain terms as a user dictionary (``jieba``), or both.
``faq eval --tokenizer`` measures them against each other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from sys import intern

import yaml
import zhconv
import zhconv.zhconv as _zhconv_module

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# zhconv opens its bundled dictionary without closing it (a ResourceWarning); given a path it
# reads the same file inside a ``with`` block.
_zhconv_module.loaddict(str(Path(_zhconv_module.__file__).with_name("zhcdict.json")))

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")
PUNCTUATION = re.compile(r"[\s\u3000\W_]+", re.UNICODE)
CJK = re.compile(r"[\u4e00-\u9fff]")

# --- Chinese numerals -------------------------------------------------------------------------
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
# A numeral run is converted only when a unit or counter follows it (or 第 precedes it), so that
# 统一, 一带一路, 一次性, 十四五 and 一站式 stay as they are.
NUMERAL_RUN = re.compile(
    r"(第)?([零〇一二两三四五六七八九十百千]+)(?=(?:万|亿|元|块|年|个|月|条|项|家|倍|天|周|名|人|笔|单|场|%|千米|公里|平方|吨|件))"
    r"|(第)([零〇一二两三四五六七八九十百千]+)"
)


def chinese_to_int(run: str) -> int | None:
    """一 -> 1, 十 -> 10, 八十 -> 80, 一百五十 -> 150, 两千 -> 2000, 三五 -> None (not a number)."""
    total, digit, seen_unit = 0, None, False
    for char in run:
        if char in "零〇" and seen_unit:
            continue  # 一千零五: 零 only marks the empty hundreds and tens
        if char in DIGITS:
            if digit is not None and not seen_unit:
                return None  # two digits in a row (三五, 一二): not a single number
            digit = DIGITS[char]
            seen_unit = False
        else:
            unit = SMALL_UNITS[char]
            total += (1 if digit is None else digit) * unit
            digit, seen_unit = None, True
    if digit is not None:
        total += digit
    return total


# The four customs codes read out digit by digit (九七一零, 一二一〇: voice input writes them so);
# no other run of digits without a unit is converted (a phone number is redacted before this)
CUSTOMS_CODE_WORDS = re.compile(r"(?:九[六七八]|一二)一[零〇]")


def arabic_numerals(text: str) -> str:
    def replace(match: re.Match) -> str:
        prefix = match.group(1) or match.group(3) or ""
        run = match.group(2) or match.group(4)
        value = chinese_to_int(run)
        return match.group(0) if value is None else f"{prefix}{value}"

    text = CUSTOMS_CODE_WORDS.sub(lambda match: "".join(str(DIGITS[char]) for char in match.group(0)), text)
    return NUMERAL_RUN.sub(replace, text)


@lru_cache(maxsize=1024)  # a message is made plain two or three times (canonical, plain, the script): zhconv walks it in Python
def _basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # full-width letters, digits and punctuation -> half-width
    text = zhconv.convert(text, "zh-cn")
    return arabic_numerals(text.lower())


def plain(text: str) -> str:
    """Half-width, simplified, lower case, Arabic numerals; punctuation and spaces kept."""
    return _basic(text)


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    return PUNCTUATION.sub("", _basic(text))


# --- synonyms ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SynonymTable:
    english: tuple[tuple[re.Pattern, str], ...]
    chinese: re.Pattern | None
    replacement: dict[str, str]
    terms: tuple[str, ...]  # canonical domain terms: whole tokens and jieba's user dictionary
    patterns: tuple[tuple[re.Pattern, str], ...] = ()
    key_terms: frozenset[str] = frozenset()


def _alternation(variants) -> str:
    """A regex matching any of ``variants``, the longest where several start at one place: as a
    trie (海外(?:仓|推广)…), which the regex engine walks once, not one alternative after another
    (the same matches as the variants longest first, in half the time)."""
    trie: dict = {}
    for variant in variants:
        node = trie
        for char in variant:
            node = node.setdefault(char, {})
        node[""] = {}  # a variant ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # longer first, then the variant ending here

    return pattern(trie)


def build_table(data: dict) -> SynonymTable:
    english = []
    for canonical_term, variants in (data.get("english") or {}).items():
        if not isinstance(variants, str):
            variants = "|".join(sorted((str(v).lower() for v in variants), key=len, reverse=True))
        pattern = r"(?<![a-z0-9])(?:" + variants + r")(?![a-z0-9])"
        english.append((re.compile(pattern), f" {canonical_term} "))
    replacement: dict[str, str] = {}
    terms: list[str] = []
    merged: dict = {}
    for section in ("terms", "typos"):
        for canonical_term, variants in (data.get(section) or {}).items():
            merged.setdefault(str(canonical_term), []).extend(variants or ())
    for canonical_term, variants in merged.items():
        canonical_term = str(canonical_term)
        key = normalize(canonical_term)
        if key and key not in terms:
            terms.append(key)
        if key:
            replacement.setdefault(key, key)  # the canonical form protects itself (无票免税 is not 无票 + 免税)
        for variant in variants or ():
            variant_key = normalize(str(variant))
            if variant_key and variant_key != key:
                replacement.setdefault(variant_key, key)
    for term in data.get("domain_terms") or ():
        key = normalize(str(term))
        if key and key not in terms:
            terms.append(key)
    stopwords = [str(w).lower() for w in data.get("english_stopwords") or ()]
    if stopwords:
        english.append((re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, stopwords)) + r")(?![a-z0-9])"), " "))
    chinese = re.compile(_alternation(replacement)) if replacement else None
    patterns = tuple((re.compile(str(p)), str(r)) for p, r in (data.get("patterns") or {}).items())
    key_terms = []
    for term in data.get("key_terms") or ():
        key = normalize(str(term))
        if key:
            key_terms.append(key)
            if key not in terms:
                terms.append(key)
    return SynonymTable(tuple(english), chinese, replacement, tuple(terms), patterns, frozenset(f"#{k}" for k in key_terms))


@cache
def synonym_data() -> dict:
    return yaml.load(SYNONYMS_FILE.read_text(encoding="utf-8"), Loader=_LOADER) or {}


@cache
def table() -> SynonymTable:
    return build_table(synonym_data())


FILLER_CLAUSE = re.compile(
    r"(?:^|(?<=[,，。;；:：!！?？]))\s*(?:"
    # a company introducing itself: 我们是一家做户外用品的企业 / 我司主要做亚马逊
    r"(?:我们|我司|我们公司|我公司|本公司|我)(?:这边)?(?:是|主要|目前|现在)?(?:一家|1家|一个|1个|个)?(?:刚开始|刚刚|刚|准备|打算|正在|主要)?"
    r"(?:做|生产|经营|主营|从事|专做|卖|开)[^,，。;；:：!！?？]{1,16}"
    # greetings and openers
    r"|(?:你好|您好|老师好|老师|领导好|打扰了|打扰一下|hi|hello|hey)[!！~～]*"
    r"|(?:请问一下|请问|想问一下|问一下|想咨询一下|咨询一下|想咨询|想了解一下|了解一下|想了解|麻烦问一下|请教一下|请教)[:：]?"
    # thanks and urgency at the end
    r"|(?:谢谢|多谢了?|麻烦了|麻烦告诉一下|麻烦告知|急|在线等|求解答|请回复)[!！~～。.]*"
    r")\s*(?=[,，。;；:：!！?？]|$)"
)


# an opener at the start of a clause that goes on with the question: 想了解一下海外仓补贴
OPENER = re.compile(
    r"(?:^|(?<=[,，。;；:：!！?？]))\s*(?:请问一下|请问|想问一下|问一下|想咨询一下|咨询一下|想咨询|想了解一下|了解一下|想了解|麻烦问一下|请教一下|请教)[:：,，]?"
)


def _strip_fillers(text: str) -> str:
    """Drop greetings, thanks and a company's self-introduction when they are clauses of their
    own; a clause that names a place or a domain key term is kept (我们是沈阳做服装的企业)."""
    if not re.search(r"[,，。;；:：!！?？]", text) or len(text) < 8:
        return text

    def drop(match: re.Match) -> str:
        clause = match.group(0)
        plain = PUNCTUATION.sub("", clause)
        if plain and (_has_key(plain) or _PLACE.search(plain)):
            return clause
        return ""

    stripped = OPENER.sub("", FILLER_CLAUSE.sub(drop, text))
    return stripped if PUNCTUATION.sub("", stripped) else text


_PLACE = re.compile(r"大连|高新区|辽宁|沈阳|营口|盘锦|四川|成都|川|蓉|省|市|区|县")


def _has_key(text: str) -> bool:
    lowered = text.lower()
    return any(term in lowered for term in _key_words())


@cache
def _key_words() -> tuple[str, ...]:
    data = synonym_data()
    words = [str(t) for t in data.get("key_terms") or ()]
    for term in list(words):
        words.extend(str(v) for v in (data.get("terms") or {}).get(term, ()) or ())
    return tuple(w.lower() for w in words if w)


def _replacement(match: re.Match[str], replacement: dict[str, str]) -> str:
    """The canonical term of a variant, unless a Latin variant is only part of a word (ins, the
    Instagram of 社交媒体, inside inspection; tk inside ticket)."""
    found, text = match.group(0), match.string
    start, end = match.start(), match.end()
    if (found[0].isascii() and found[0].isalpha() and start and text[start - 1].isascii() and text[start - 1].isalpha()) or (
        found[-1].isascii() and found[-1].isalpha() and end < len(text) and text[end].isascii() and text[end].isalpha()
    ):
        return found
    return replacement[found]


def _apply(text: str, synonyms: SynonymTable) -> str:
    text = _strip_fillers(_basic(text))
    if re.search(r"[a-z]", text):
        for pattern, canonical_term in synonyms.english:
            text = pattern.sub(canonical_term, text)
    # Latin words keep one space between them; everything else loses punctuation and spaces.
    text = PUNCTUATION.sub(lambda m: " " if _latin_both_sides(m) else "", text).strip()
    if synonyms.chinese is not None:
        text = synonyms.chinese.sub(lambda m: _replacement(m, synonyms.replacement), text)
    for pattern, replacement in synonyms.patterns:
        text = pattern.sub(replacement, text)
    if " " in text:  # a space only stays between two Latin words or numbers
        text = re.sub(r"(?<![a-z0-9]) | (?![a-z0-9])", "", text)
    return text


def _latin_both_sides(match: re.Match) -> bool:
    string, start, end = match.string, match.start(), match.end()
    return 0 < start and end < len(string) and string[start - 1].isascii() and string[end].isascii() and string[start - 1].isalnum() and string[end].isalnum()


@lru_cache(maxsize=65536)
def canonical(text: str) -> str:
    """The matcher's form of a text (see the module docstring)."""
    return _apply(text, table())


# --- tokenising -------------------------------------------------------------------------------
def char_ngrams(text: str, sizes: tuple[int, ...] = (1, 2)) -> list[str]:
    """Character n-grams of normalised text; Latin words and numbers stay whole tokens."""
    tokens: list[str] = []
    for chunk in re.findall(r"[a-z0-9.]+|[^a-z0-9.]+", text):
        if chunk[0].isascii():
            if chunk.strip():
                tokens.extend(chunk.split())
            continue
        for size in sizes:
            tokens.extend(intern(chunk[i : i + size]) for i in range(len(chunk) - size + 1))
    return tokens


@cache
def _term_pattern() -> re.Pattern | None:
    terms = [t for t in table().terms if len(t) >= 2]
    return re.compile(_alternation(terms)) if terms else None


def domain_terms(text: str) -> list[str]:
    """Canonical domain terms found in canonical text (each also indexed as one token)."""
    pattern = _term_pattern()
    return [f"#{m}" for m in pattern.findall(text)] if pattern else []


@lru_cache(maxsize=4096)  # asked of one message by the ranking, the reading and the reply
def key_terms(text: str) -> frozenset[str]:
    """The key terms (``#9810``, ``#海外仓`` …) named in canonical text."""
    keys = table().key_terms
    return frozenset(t for t in domain_terms(text) if t in keys)


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    for term in table().terms:
        jieba.add_word(term, freq=20000)
    return jieba


@cache
def stop_terms() -> frozenset[str]:
    """Function words and their characters (``generic_terms`` in synonyms.yaml): not index terms."""
    data = synonym_data()
    words = {normalize(str(w)) for w in data.get("generic_terms") or ()}
    words |= {f"#{w}" for w in words}
    return frozenset(words | set(str(data.get("generic_chars") or "")))


def informative_length(text: str) -> int:
    """Characters of canonical text that are not function characters (a Latin word counts whole)."""
    generic = set(str(synonym_data().get("generic_chars") or ""))
    return sum(len(chunk) if chunk[0].isascii() else sum(c not in generic for c in chunk) for chunk in re.findall(r"[a-z0-9.]+|[^a-z0-9. ]+", text))


@cache
def function_chars() -> frozenset[str]:
    """Characters that glue sentences: a bigram holding one (业怎, 么招) is not an index term."""
    return frozenset(str(synonym_data().get("function_chars") or ""))


@lru_cache(maxsize=65536)
def tokens(text: str, mode: str = "char") -> tuple[str, ...]:
    """Index terms of canonical text: ``char`` (1- and 2-grams + domain terms), ``jieba`` or ``both``.

    Function words (怎么, 什么, 能否, 企业 …) are left out, unless nothing else is left (你是谁).
    """
    stop = stop_terms()
    result: list[str] = []
    if mode in ("char", "both"):
        grams = char_ngrams(text, (1, 2))
        glue = function_chars()
        kept = [t for t in grams if t not in stop and not (len(t) == 2 and (t[0] in glue or t[1] in glue))]
        result.extend(kept if kept else grams)
        result.extend(t for t in domain_terms(text) if t not in stop)
    if mode in ("jieba", "both"):
        words = [w for w in _jieba().lcut(text) if w.strip()]
        words = [w for w in words if w not in stop] or words
        result.extend(f"w:{w}" for w in words) if mode == "both" else result.extend(words)
        if mode == "jieba":
            result.extend(t for t in domain_terms(text) if t not in stop)
    return tuple(result)


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))
