"""Filing checklists from calculators/checklists.yaml: numbered steps, each with its source.

A step's source is a clause id (``doc:clause``) or a regulation's number from
policy_faq/documents/regulations.md; ``sources`` lists the clause ids a checklist rests on.
Pure: no telegram or database code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from calculators.wording import basis_line, is_draft, national_rules, plain_refs, ref_words, tidy

CHECKLISTS_FILE = Path(__file__).with_name("checklists.yaml")
CLAUSE_REF = re.compile(r"^[a-z]+(?:-[a-z]+)?-\d{4}:[\w.]+$")


class UnknownChecklistError(KeyError):
    """An id that names no checklist; the message lists the ids that exist."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Step:
    text: str
    source: str

    @property
    def is_clause(self) -> bool:
        return bool(CLAUSE_REF.match(self.source))


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    steps: tuple[Step, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]

    def clause_refs(self) -> tuple[str, ...]:
        """Every clause id cited: the listed sources and the steps' clause sources."""
        refs = list(self.sources) + [step.source for step in self.steps if step.is_clause]
        return tuple(dict.fromkeys(refs))

    def text(self) -> str:
        """Phone layout: the title (with the draft status) on line 1, one line per step with its
        source in words, the notes as 「• 」 lines, the basis in words. No raw clause ids."""
        main = self._main_document()
        lines = [tidy(self.title + self._draft_mark())]
        for n, step in enumerate(self.steps, 1):
            source = ref_words(step.source, main)
            text = tidy(plain_refs(step.text, main))
            if source and source not in text:  # the source before the full stop: …企业（第5条）。
                stop = "。" if text.endswith("。") else ""
                text = text.removesuffix("。")
                said = re.search(r"（([^（）]+)）$", text)
                if said and source.startswith(said[1]):  # …措施（四川征求意见稿） names it already
                    text = text[: said.start()]
                text = f"{text}（{source}）{stop}"
            lines.append(f"{n}. {text}")
        lines += [f"• {tidy(plain_refs(note, main))}" for note in self.notes]
        lines.append(basis_line(self._basis_refs()))
        return "\n".join(lines)

    def _refs(self) -> list[str]:
        """The listed sources and every step's source (clause ids and national rules), in order."""
        return list(dict.fromkeys([*self.sources, *(step.source for step in self.steps)]))

    def _main_document(self) -> str | None:
        docs = [ref.split(":", 1)[0] for ref in self._refs() if ":" in ref]
        return docs[0] if docs else None

    def _basis_refs(self) -> list[str]:
        """National rules first (the steps name them), then the documents' clauses."""
        refs = self._refs()
        national = [r for r in refs if ":" not in r or r.split(":", 1)[0] in national_rules()]
        return national + [r for r in refs if r not in national]

    def _draft_mark(self) -> str:
        """（征求意见稿，可能调整） on line 1 when a step rests on a draft and the title does not say so."""
        if "征求意见稿" in self.title:
            return ""
        drafts = {step.source.split(":", 1)[0] for step in self.steps if step.is_clause}
        return "（部分内容为征求意见稿，可能调整）" if any(is_draft(doc) for doc in drafts) else ""

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "steps": [{"text": s.text, "source": s.source} for s in self.steps],
            "sources": list(self.sources),
            "notes": list(self.notes),
        }


@cache
def load_checklists(path: Path = CHECKLISTS_FILE) -> tuple[Checklist, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Checklist(
            id=entry["id"],
            title=entry["title"],
            steps=tuple(Step(s["text"], s["source"]) for s in entry["steps"]),
            sources=tuple(entry["sources"]),
            notes=tuple(entry.get("notes") or ()),
        )
        for entry in data["checklists"]
    )


def checklist_ids() -> tuple[str, ...]:
    return tuple(checklist.id for checklist in load_checklists())


def find_checklist(checklist_id: str) -> Checklist | None:
    """The checklist with this id, or None (the KeyError-safe variant)."""
    return next((c for c in load_checklists() if c.id == checklist_id.strip()), None)


def get_checklist(checklist_id: str) -> Checklist:
    checklist = find_checklist(checklist_id)
    if checklist is None:
        raise UnknownChecklistError(
            f"unknown checklist {checklist_id!r}; known ids: {', '.join(checklist_ids())}"
        )
    return checklist
