"""What the FAQ forms offer instead of ids: the intent picker's entries (searchable by title,
topic and question), the clauses grouped by document with their titles, answer templates per
topic, and the id and jurisdiction a new intent gets from what the operator chose."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from policy_faq.faq import Topic

TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
TOPIC_SLUGS = {
    "补贴申报": "subsidy", "税收": "tax", "通关": "customs", "海外仓": "warehouse", "外汇金融": "finance",
    "品牌与知识产权": "brand", "人才培训": "talent", "物流": "logistics", "园区与平台": "park", "发展规划": "plan",
    "合规与监管": "compliance", "进口": "import", "对话": "chat",
}  # fmt: skip
# The shape of a good answer (conclusion first, short 「• 」 lines); the operator fills in the facts
# from the chosen clauses. 「……」 marks what to write.
_GENERIC = "……（一句话结论；所选条款出自征求意见稿时写明“征求意见稿，可能调整”）。\n• 条件：……\n• 办理：……"
TEMPLATES = {
    "补贴申报": "符合条件的企业可申请……支持（所选条款为征求意见稿时写明“征求意见稿，可能调整”）。\n• 对象：……\n• 标准：……（只写条款中的比例和上限）\n• 申报：向……提出申请，附……",
    "税收": "……可以享受……（写明适用的监管方式或企业类型）。\n• 条件：……\n• 办理：向主管税务机关……，咨询12366。",
    "通关": "……采用……方式申报（写明监管方式代码的含义）。\n• 适用：……\n• 办理：向海关……，咨询12360。",
    "海外仓": "……（一句话结论，写明征求意见稿或历史文件）。\n• 支持内容：……\n• 条件：……\n• 办理：……",
    "外汇金融": "……（一句话结论）。\n• 要求：……\n• 办理：向银行或外汇管理部门……",
    "人才培训": "……（一句话结论）。\n• 对象：……\n• 支持：……\n• 办理：……",
}


def template_for(topic: str) -> str:
    return TEMPLATES.get(topic, _GENERIC)


@dataclass(frozen=True)
class PickerEntry:
    id: str
    title: str
    topic: str
    search: str  # title, topic and questions, lower case: what the filter looks in


def picker_entries() -> list[PickerEntry]:
    from intents.respond import get_responder

    faq = get_responder().faq
    return _entries(faq.version, faq)


@functools.lru_cache(maxsize=2)
def _entries(version: str, faq) -> list[PickerEntry]:
    entries = [
        PickerEntry(i.id, i.title, str(i.topic), " ".join([i.title, str(i.topic), *i.questions]).lower())
        for i in (loaded.intent for loaded in faq.intents)
    ]
    return sorted(entries, key=lambda e: (e.topic == "对话", TOPICS.index(e.topic) if e.topic in TOPICS else 99, e.title))


@dataclass(frozen=True)
class ClauseChoice:
    ref: str
    label: str  # 「第5条 海外仓建设」


@dataclass(frozen=True)
class DocumentChoice:
    label: str  # 《…》（征求意见稿）
    region: str
    clauses: tuple[ClauseChoice, ...]


def clause_label(clause_id: str, heading: str) -> str:
    if clause_id.isdigit():
        return f"第{clause_id}条 {heading}"
    if re.fullmatch(r"[\d.]+", clause_id):
        return f"{clause_id} {heading}"
    return heading


@functools.cache
def documents() -> tuple[DocumentChoice, ...]:
    from policy_faq.citation import document_label
    from policy_faq.corpus import load_corpus

    return tuple(
        DocumentChoice(
            document_label(f"{doc.id}:{doc.clauses[0].clause}") if doc.clauses else doc.title, doc.region,
            tuple(ClauseChoice(c.ref, clause_label(c.clause, c.heading)) for c in doc.clauses),
        )  # fmt: skip
        for doc in load_corpus()
    )


def jurisdiction_of(refs: list[str]) -> str:
    """Where an intent built on these clauses applies: the one region they share, national, or multi."""
    from policy_faq.corpus import document_of

    regions = {document_of(ref).region for ref in refs}
    local = regions - {"national"}
    if len(local) == 1:
        return local.pop()
    return "national" if not local else "multi"


def new_intent_id(topic: str, existing: set[str]) -> str:
    """「op-subsidy-3」: the next free id for an operator's intent of this topic."""
    slug = TOPIC_SLUGS.get(topic, "intent")
    n = 1
    while f"op-{slug}-{n}" in existing:
        n += 1
    return f"op-{slug}-{n}"
