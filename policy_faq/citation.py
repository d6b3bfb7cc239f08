"""How the assistant names what it relies on: the 「依据：」 line in words (document title, number,
status, clause), the clause's own text for 「查看原文」 and the expiry note. Machine ids
(``dalian-gxq-2026:5``) never reach the user's text; they stay in ``Reply.sources``, the log and
the dashboard."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from policy_faq.typography import fullwidth

CLAUSE_NAMES = {
    "preamble": "前言",
    "scope": "适用范围",
    "annex": "附则",
    "general": "总体要求",
    "closing": "组织实施",
}
WHOLE = "main"  # a national rule is cited as a whole: cs-2018-103:main
JOINT_ISSUERS = re.compile(r"(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff])")
SHORT_NUMBER = re.compile(r"\d{4}年第\d+号|〔\d{4}〕\d+号")  # 2019年第36号, 〔2018〕103号
NUMBER_IN_TITLE = re.compile(r"^(.*?)[(（]([^()（）]*〔\d{4}〕\d+号)[)）]$")


# --- naming a source --------------------------------------------------------------------------
def clause_label(clause_id: str) -> str:
    if clause_id == WHOLE:
        return ""
    if clause_id.isdigit():
        return f"第{clause_id}条"
    if clause_id in CLAUSE_NAMES:
        return CLAUSE_NAMES[clause_id]
    if clause_id.startswith("closing."):
        return f"组织保障第{clause_id.split('.', 1)[1]}项"
    return f"第{clause_id}项"


def document_label(ref: str) -> str:
    """《title》 with what a reader must know about it: 《…》（征求意见稿）, 《…》（历史文件，目标期2020—2022年）,
    《…》（商贸发〔2024〕125号）. A provincial title that does not say where gets the place first."""
    from policy_faq.corpus import document_of

    doc = document_of(ref)
    title, number = doc.title, doc.number or ""
    numbered = NUMBER_IN_TITLE.match(title)
    if numbered:
        title, number = numbered[1], number or numbered[2]
    place = doc.jurisdiction.removesuffix("省").removesuffix("市")
    if doc.jurisdiction != "全国" and place and place not in title:
        title = doc.jurisdiction + title  # 四川省关于推动跨境电商…: the title alone does not say where
    # 财政部 税务总局公告: joint issuers are written with a space, which Chinese text on a phone
    # does not have between two characters; 、 keeps them apart
    number = JOINT_ISSUERS.sub("、", number)
    notes = [number] if number else []
    if doc.status == "draft":
        notes.append("征求意见稿")
    elif doc.status == "historical":
        notes.append(f"历史文件，目标期{doc.period or '2020—2022年'}")
    label = f"《{fullwidth(title)}》"
    return label + (f"（{'，'.join(notes)}）" if notes else "")


def source_line(refs: tuple[str, ...] | list[str]) -> str:
    return _source_line(tuple(refs))


@lru_cache(maxsize=1024)  # an intent's sources are few and fixed: their line is built once
def _source_line(refs: tuple[str, ...]) -> str:
    """「依据：《大连高新区…若干政策》（征求意见稿）第5条、适用范围」; documents separated by ；."""
    from policy_faq.corpus import clauses_by_ref

    known = clauses_by_ref()
    groups: dict[str, list[str]] = {}
    for ref in refs:
        if ref in known:
            groups.setdefault(ref.split(":", 1)[0], []).append(ref)
    if not groups:
        return ""
    parts = [document_label(group[0]) + clause_labels([r.split(":", 1)[1] for r in group]) for group in groups.values()]
    return "依据：" + "；".join(parts)


def _clear_source_lines() -> None:
    _source_line.cache_clear()


def clause_labels(clause_ids: list[str]) -> str:
    """第5条、适用范围; a run of numbered clauses as one range (第1—11条), short on a phone."""
    labels, run = [], []

    def close_run() -> None:
        if len(run) > 2:
            labels.append(f"第{run[0]}—{run[-1]}条")
        else:
            labels.extend(f"第{n}条" for n in run)
        run.clear()

    for clause_id in clause_ids:
        if clause_id.isdigit() and (not run or int(clause_id) == run[-1] + 1):
            run.append(int(clause_id))
            continue
        close_run()
        if clause_id.isdigit():
            run.append(int(clause_id))
        elif clause_label(clause_id):
            labels.append(clause_label(clause_id))
    close_run()
    return "、".join(labels)


def source_button_label(ref: str) -> str:
    """The 「查看原文」 button of one cited clause."""
    clause = clause_label(ref.split(":", 1)[1])
    if clause:
        return f"查看原文：{clause}"
    from policy_faq.corpus import document_of  # a national rule: we hold a summary of it

    number = SHORT_NUMBER.search(document_of(ref).number or "")
    return f"查看要点：{number.group()}" if number else "查看要点"


def original_text(ref: str) -> str | None:
    """The clause's own text, its document and status first (what 「查看原文」 shows)."""
    from policy_faq.corpus import clauses_by_ref, document_of

    clause = clauses_by_ref().get(ref)
    if clause is None:
        return None
    doc = document_of(ref)
    status = {
        "draft": "征求意见稿，可能调整",
        "historical": f"历史文件，目标期{doc.period or '2020—2022年'}",
    }.get(doc.status, "现行有效")
    if clause.clause == WHOLE:  # a national rule: its points as regulations.md gives them
        summary = clause.text.strip().removeprefix("（要点摘要，非原文）").strip()
        return f"【{status}】\n{document_label(ref)}要点（本助手整理的摘要，以发布原文为准）：\n{summary}"
    return f"【{status}】\n{document_label(ref)}{clause_label(clause.clause)}原文：\n{clause.text.strip()}"


def expiry_note(refs: tuple[str, ...], today: date | None) -> str:
    """A warning when a cited document (not a historical one) is past its ``valid_until``."""
    from policy_faq.corpus import clauses_by_ref, document_of

    today = today or date.today()
    notes = []
    for ref in refs:
        if ref not in clauses_by_ref():
            continue
        doc = document_of(ref)
        if doc.status != "historical" and doc.valid_until and date.fromisoformat(doc.valid_until) < today:
            note = f"注意：《{fullwidth(doc.title)}》的有效期至{doc.valid_until}，已过期，请向主管部门确认现行政策。"
            if note not in notes:
                notes.append(note)
    return "\n".join(notes)


def _register() -> None:
    from policy_faq.corpus import on_reload

    on_reload(_clear_source_lines)


_register()
