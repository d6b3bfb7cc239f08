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
        lines = [self.title]
        lines += [f"{n}. {step.text}（{step.source}）" for n, step in enumerate(self.steps, 1)]
        if self.notes:
            lines.append("说明：")
            lines += [f"· {note}" for note in self.notes]
        lines.append(f"依据：{'、'.join(self.sources)}")
        return "\n".join(lines)

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
