"""A document that replaces another (the final 高新区 policy replacing its draft): what changed,
clause by clause, and which intents that changes.

Clauses are paired by id (the numbering of a final text usually follows its draft); a clause
of the old text whose id is gone is paired with the most similar new clause. A pair differs
when its text differs in more than spacing and punctuation width; its figures (amounts, rates,
periods) are compared as multisets so the dashboard can mark exactly what moved.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from policy_faq.corpus import Document, documents_by_id

FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万亿元|亿元|万元|元|万|亿|%|％|个月|年|天|场|家|人次)")
WIDTH = str.maketrans("，。：；！？（）％", ",.:;!?()%")


def substance(text: str) -> str:
    """The text without spaces and with half-width punctuation: what a change must touch."""
    return re.sub(r"\s+", "", text.translate(WIDTH))


def figures(text: str) -> list[str]:
    return [re.sub(r"\s+", "", f).replace("％", "%") for f in FIGURE.findall(text)]


@dataclass(frozen=True)
class ClauseChange:
    old: str  # clause id in the old document ("" when the clause is new)
    new: str  # clause id in the new document ("" when it was dropped)
    old_text: str
    new_text: str
    removed_figures: tuple[str, ...]  # figures of the old text that the new one no longer has
    added_figures: tuple[str, ...]

    @property
    def kind(self) -> str:
        if not self.new:
            return "removed"
        if not self.old:
            return "added"
        return "changed"


@dataclass(frozen=True)
class Diff:
    old: Document
    new: Document
    changes: tuple[ClauseChange, ...]  # only the clauses that differ
    pairs: dict  # old clause id -> new clause id (unchanged ones too)

    def changed_refs(self) -> set[str]:
        """The old document's clauses that changed or went: who cites them must be reviewed."""
        return {f"{self.old.id}:{c.old}" for c in self.changes if c.old}

    def new_ref(self, old_ref: str) -> str | None:
        clause = self.pairs.get(old_ref.split(":", 1)[1])
        return f"{self.new.id}:{clause}" if clause else None

    def summary(self) -> str:
        if not self.changes:
            return f"{self.new.id} 取代 {self.old.id}：条款内容没有变化。"
        lines = [f"{self.new.id} 取代 {self.old.id}：{len(self.changes)}个条款有变化"]
        for c in self.changes:
            figures_moved = ""
            if c.removed_figures or c.added_figures:
                figures_moved = f"（{'、'.join(c.removed_figures) or '—'} → {'、'.join(c.added_figures) or '—'}）"
            lines.append(f"  {c.kind:<8} {c.old or '—'} → {c.new or '—'}{figures_moved}")
        return "\n".join(lines)


def compare(old: Document, new: Document) -> Diff:
    new_by_id = {c.clause: c for c in new.clauses}
    pairs: dict[str, str] = {}
    unmatched_new = dict(new_by_id)
    for clause in old.clauses:
        if clause.clause in new_by_id:
            pairs[clause.clause] = clause.clause
            unmatched_new.pop(clause.clause, None)
    for clause in old.clauses:  # renumbered: the most similar clause left, if it is similar at all
        if clause.clause in pairs or not unmatched_new:
            continue
        best = max(unmatched_new.values(), key=lambda c: SequenceMatcher(None, substance(clause.text), substance(c.text)).ratio())
        if SequenceMatcher(None, substance(clause.text), substance(best.text)).ratio() >= 0.6:
            pairs[clause.clause] = best.clause
            unmatched_new.pop(best.clause)
    changes = []
    for clause in old.clauses:
        target = pairs.get(clause.clause)
        new_text = new_by_id[target].text if target else ""
        if target and substance(clause.text) == substance(new_text):
            continue
        before, after = Counter(figures(clause.text)), Counter(figures(new_text))
        changes.append(ClauseChange(clause.clause, target or "", clause.text, new_text,
                                    tuple((before - after).elements()), tuple((after - before).elements())))  # fmt: skip
    for clause_id, clause in unmatched_new.items():
        changes.append(ClauseChange("", clause_id, "", clause.text, (), tuple(figures(clause.text))))
    return Diff(old, new, tuple(changes), pairs)


def successors() -> dict[str, Document]:
    """Old document id -> the document that supersedes it."""
    return {doc.supersedes: doc for doc in documents_by_id().values() if doc.supersedes}


def supersessions() -> list[Diff]:
    """Every supersession in the corpus, compared (old, new)."""
    docs = documents_by_id()
    return [compare(docs[old], new) for old, new in successors().items() if old in docs]


def version_on(doc_id: str, day: date) -> Document:
    """The version of ``doc_id``'s line in force on ``day``: the newest successor whose
    effective date has come (a successor without one applies from its date of issue)."""
    docs, after = documents_by_id(), successors()
    current = docs[doc_id]
    while current.id in after:
        nxt = after[current.id]
        start = nxt.effective or (nxt.date if len(nxt.date) == 10 else None)
        if start and date.fromisoformat(start) > day:
            break
        current = nxt
    return current


@dataclass(frozen=True)
class ReviewFlag:
    """An intent to review (需复核): it cites a clause its document's successor changed."""

    intent: str
    old_ref: str
    new_ref: str | None  # the clause that replaces it (None: the new text dropped it)
    change: ClauseChange
    new_doc: str


def review_flags(intents) -> list[ReviewFlag]:
    """Every (intent, changed clause) an operator has not yet marked reviewed against the new
    document (``reviewed: [NEW DOC]`` in the intent); ``intents`` are FAQ Intent models."""
    flags = []
    for diff in supersessions():
        changed = {f"{diff.old.id}:{c.old}": c for c in diff.changes if c.old}
        for intent in intents:
            if diff.new.id in intent.reviewed:
                continue
            for ref in intent.sources:
                if ref in changed:
                    flags.append(ReviewFlag(intent.id, ref, diff.new_ref(ref), changed[ref], diff.new.id))
    return flags


def clause_flag(ref: str) -> ReviewFlag | None:
    """For a clause quoted on its own (an excerpt): the newer version that changed it, if any."""
    for diff in supersessions():
        for change in diff.changes:
            if change.old and f"{diff.old.id}:{change.old}" == ref:
                return ReviewFlag("", ref, diff.new_ref(ref), change, diff.new.id)
    return None


def newer_version_note(ref: str, flag: ReviewFlag) -> str:
    """What an answer from the old clause says until it is reviewed: a newer version is out,
    it may differ, and which clause of it to read, in words."""
    from policy_faq.citation import clause_label, document_label
    from policy_faq.typography import fullwidth

    new = documents_by_id()[flag.new_doc]
    label = document_label(f"{flag.new_doc}:")
    issued = _day_words(new.date)
    lead = f"注意：{label}已发布新版本" + (f"（{issued}）" if issued else "")
    if flag.new_ref is None:
        return fullwidth(f"{lead}，新版本不再有本条内容，以上答复可能已不适用，请以新版本为准。")
    where = clause_label(flag.new_ref.split(":", 1)[1])
    return fullwidth(f"{lead}，其{where}与以上依据不同，以上内容可能有变化，请以新版本{where}为准。")


def _day_words(day: str) -> str:
    """2027-01-15 -> 2027年1月15日; 2027 -> 2027年."""
    parts = [int(p) for p in day.split("-") if p.isdigit()]
    return "".join(f"{n}{unit}" for n, unit in zip(parts, ("年", "月", "日"), strict=False))
