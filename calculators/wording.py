"""User-facing wording of the calculators and checklists: basis lines that name documents and
clauses in words (policy_faq/citation.py names them for every reply), raw ids inside a step's
text in words, and the text rules (policy_faq/typography.py).

Machine ids (``dalian-gxq-2026:5``) stay in ``as_dict()``; ``text()`` shows only words.
"""

from __future__ import annotations

from functools import cache

from policy_faq.citation import clause_label, document_label
from policy_faq.corpus import documents_by_id, on_reload
from policy_faq.typography import RAW_REF, fullwidth, offences

TAX_RULES = (
    "财税",
    "国家税务总局",
    "税务总局",
    "企业所得税法",
)  # a basis naming one of these adds TAX_CAVEAT
TAX_CAVEAT = "以税务机关最新规定为准"
# a short name for a document inside a step of a checklist that rests mainly on another one
SHORT_NAMES = {
    "dalian-gxq-2026": "高新区政策征求意见稿",
    "liaoning-2026": "辽宁行动方案",
    "sichuan-2024": "四川征求意见稿",
    "mofcom-2024": "商贸发〔2024〕125号",
    "yingkou-2020": "营口实施方案",
    "panjin-2020": "盘锦实施方案",
}
tidy = fullwidth  # the calculators' name for it
problems = offences
clause_words = clause_label


@cache
def national_rules() -> dict[str, str]:
    """National rule id -> how a calculator names it: its number (国家税务总局公告2019年第36号), or
    its title where it has none (《中华人民共和国企业所得税法》)."""
    return {
        doc.id: doc.number if (doc.number or "").endswith("号") else document_label(f"{doc.id}:main")
        for doc in documents_by_id().values()
        if doc.is_national
    }


on_reload(national_rules.cache_clear)


def document_words(doc_id: str) -> str:
    """《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）; a national rule by its number."""
    if doc_id in national_rules():
        return national_rules()[doc_id]
    if doc_id not in documents_by_id():
        return doc_id
    return document_label(f"{doc_id}:")


def is_draft(doc_id: str) -> bool:
    doc = documents_by_id().get(doc_id)
    return doc is not None and doc.status == "draft"


def ref_words(ref: str, main: str | None = None) -> str:
    """A clause id in words; the document is left out when it is ``main`` (named by the basis line)."""
    if ":" not in ref:
        return tidy(ref)  # already words: 国家税务总局公告2019年第36号
    doc, clause = ref.split(":", 1)
    if doc in national_rules():
        return national_rules()[doc]
    if doc == main:
        return clause_words(clause)
    return f"{SHORT_NAMES.get(doc, document_words(doc))}{clause_words(clause)}"


def basis_line(refs: list[str] | tuple[str, ...]) -> str:
    """依据：national rules first, then each document with its clauses in words; raw ids never shown."""
    national: list[str] = []
    groups: dict[str, list[str]] = {}
    for ref in refs:
        doc, _, clause = ref.partition(":")
        if doc in national_rules() or not clause:
            words = national_rules().get(doc) or tidy(ref)
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
