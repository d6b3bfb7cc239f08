"""User-facing wording shared by the calculators and checklists: basis lines that name documents
and clauses in words, and the typography rules of issue 13 (full-width punctuation beside Chinese,
no space between Chinese characters, 40万元 / 50%).

Machine ids (``dalian-gxq-2026:5``) stay in ``as_dict()``; ``text()`` shows only words.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

# national rules cited as `<id>:main` (issue 13 common brief): id -> document number, as the
# rule is cited in policy_faq/documents/regulations.md (财政部 and 税务总局 written together:
# no space between two Chinese characters in user text)
NATIONAL = {
    "cs-2018-103": "财税〔2018〕103号",
    "sat-2019-36": "国家税务总局公告2019年第36号",
    "sat-2023-6": "国家税务总局公告2023年第6号",
    "mof-sat-2023-12": "财政部税务总局公告2023年第12号",
    "sat-2025-3": "国家税务总局公告2025年第3号",
    "cgs-2026-16": "财关税〔2026〕16号",
    "gacc-2014-12": "海关总署公告2014年第12号",
    "gacc-2014-57": "海关总署公告2014年第57号",
    "gacc-2020-75": "海关总署公告2020年第75号",
    "gacc-2024-167": "海关总署公告2024年第167号",
    "gh-2020-47": "国函〔2020〕47号",
}
TAX_RULES = ("财税", "国家税务总局", "税务总局")  # a basis naming one of these adds TAX_CAVEAT
TAX_CAVEAT = "以税务机关最新规定为准"
CLAUSE_NAMES = {
    "preamble": "前言",
    "scope": "适用范围",
    "annex": "附则",
    "general": "总体要求",
    "closing": "组织实施",
    "main": "",
}
# a raw clause id anywhere in a text: dalian-gxq-2026:5, liaoning-2026:15, sat-2019-36:main
RAW_REF = re.compile(r"\b[a-z]+(?:-[a-z]+)*-\d{4}(?:-\d+)?:[\w.]+")
# a short name for a document inside a step of a checklist that rests mainly on another one
SHORT_NAMES = {
    "dalian-gxq-2026": "高新区政策征求意见稿",
    "liaoning-2026": "辽宁行动方案",
    "sichuan-2024": "四川征求意见稿",
    "mofcom-2024": "商贸发〔2024〕125号",
    "yingkou-2020": "营口实施方案",
    "panjin-2020": "盘锦实施方案",
}


@cache
def _documents() -> dict[str, dict]:
    """The policy documents' metadata (policy_faq/documents/documents.yaml), by id."""
    text = resources.files("policy_faq").joinpath("documents", "documents.yaml").read_text(encoding="utf-8")
    return {row["id"]: row for row in yaml.safe_load(text) if isinstance(row, dict) and "id" in row}


def document_words(doc_id: str) -> str:
    """《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）; a national rule by its number."""
    if doc_id in NATIONAL:
        return NATIONAL[doc_id]
    meta = _documents().get(doc_id)
    if meta is None:
        return doc_id
    title = tidy(str(meta["title"]))
    number = ""
    found = re.fullmatch(r"(.+)（([^（）]*〔\d{4}〕[^（）]*)）", title)  # 意见（商贸发〔2024〕125号）
    if found:
        title, number = found[1], f"（{found[2]}）"
    title = re.sub(r"（(\d{4})-(\d{4})年）", r"（\1—\2年）", title)
    place = str(meta.get("jurisdiction") or "").removesuffix("省").removesuffix("市")
    if meta.get("jurisdiction") != "全国" and place and place not in title:
        title = f"{meta['jurisdiction']}{title}"  # 四川省关于推动…: the title alone does not say where
    status = {"draft": "（征求意见稿）", "historical": f"（{meta.get('period') or '2020—2022年'}）"}
    return f"《{title}》{number}{status.get(meta.get('status'), '')}"


def is_draft(doc_id: str) -> bool:
    return (_documents().get(doc_id) or {}).get("status") == "draft"


def clause_words(clause_id: str) -> str:
    """5 -> 第5条, scope -> 适用范围, annex -> 附则, closing.2 -> 组织保障第2项."""
    if clause_id.isdigit():
        return f"第{clause_id}条"
    if clause_id in CLAUSE_NAMES:
        return CLAUSE_NAMES[clause_id]
    if clause_id.startswith("closing."):
        return f"组织保障第{clause_id.split('.', 1)[1]}项"
    return f"第{clause_id}项"


def ref_words(ref: str, main: str | None = None) -> str:
    """A clause id in words; the document is left out when it is ``main`` (named by the basis line)."""
    if ":" not in ref:
        return tidy(ref)  # already words: 国家税务总局公告2019年第36号
    doc, clause = ref.split(":", 1)
    if doc in NATIONAL:
        return NATIONAL[doc]
    if doc == main:
        return clause_words(clause)
    return f"{SHORT_NAMES.get(doc, document_words(doc))}{clause_words(clause)}"


def basis_line(refs: list[str] | tuple[str, ...]) -> str:
    """依据：national rules first, then each document with its clauses in words; raw ids never shown."""
    national: list[str] = []
    groups: dict[str, list[str]] = {}
    for ref in refs:
        doc, _, clause = ref.partition(":")
        if doc in NATIONAL or not clause:
            words = NATIONAL.get(doc) or tidy(ref)
            if words not in national:
                national.append(words)
            continue
        clauses = groups.setdefault(doc, [])
        if clause_words(clause) not in clauses:
            clauses.append(clause_words(clause))
    parts = ["、".join(national)] if national else []
    parts += [f"{document_words(doc)}{'、'.join(c for c in clauses if c)}" for doc, clauses in groups.items()]
    line = "依据：" + "；".join(parts)
    if any(rule in part for part in national for rule in TAX_RULES):
        line += f"。{TAX_CAVEAT}"
    return line


def plain_refs(text: str, main: str | None = None) -> str:
    """Raw ids inside a text in words: （dalian-gxq-2026:annex） -> （附则）."""
    return RAW_REF.sub(lambda m: ref_words(m[0], main), text)


CJK = r"\u3400-\u9fff\uf900-\ufaff"
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
UNITS = "万亿元%个月年日号场次人条项倍"


def tidy(text: str) -> str:
    """Typography for Chinese text: full-width punctuation beside Chinese, no space between Chinese
    characters or between a Chinese character and a number's unit (最高 100 万元 -> 最高100万元).
    English words and codes keep their spaces (9610 跨境贸易电子商务, AEO)."""
    out = []
    for line in text.split("\n"):
        line = re.sub(rf"(?<=[{CJK}，。：；！？、（）《》「」“”])[ \t]+(?=[{CJK}])", "", line)
        line = re.sub(rf"(?<=[{CJK}])[ \t]+(?=[，。：；！？、（）《》「」“”])", "", line)
        line = re.sub(rf"(?<=[{CJK}])[ \t]+(?=\d)", "", line)
        line = re.sub(rf"(?<=[\d%])[ \t]+(?=[{UNITS}])", "", line)
        line = re.sub(rf"(?<=%)[ \t]+(?=[{CJK}])", "", line)
        line = re.sub(
            rf"(?<=[{CJK}])([,:;!?])|([,:;!?])(?=[{CJK}])", lambda m: FULL_WIDTH[m[1] or m[2]], line
        )
        line = re.sub(rf"\((?=[^()]*[{CJK}])([^()]*)\)", r"（\1）", line)
        line = re.sub(rf"(?<=[{CJK}])\.(?=$|[{CJK}])", "。", line)
        out.append(line)
    return "\n".join(out)


def problems(text: str) -> list[str]:
    """What breaks the text rules: a space between two Chinese characters, half-width punctuation
    beside a Chinese character, a raw clause id."""
    found = []
    if re.search(rf"[{CJK}][ \t\u3000]+[{CJK}]", text):
        found.append("space between Chinese characters")
    if re.search(rf"[{CJK}][,.:;!?()]|[,.:;!?()][{CJK}]", text):
        found.append("half-width punctuation beside Chinese")
    if RAW_REF.search(text):
        found.append("raw clause id")
    return found
