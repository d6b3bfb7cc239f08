"""The FAQ: intents written as YAML by operators, loaded into frozen pydantic models.

Each file under ``policy_faq/faq/`` holds ``intents:``, a list of intents. Line numbers are
kept so that validation errors can name ``file:line``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FAQ_DIR = Path(__file__).with_name("faq")
COVERAGE_FILE = Path(__file__).with_name("coverage.yaml")

Jurisdiction = Literal["dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan", "national", "multi", "none"]
Kind = Literal["policy", "smalltalk", "handoff"]
Topic = Literal[
    "补贴申报", "税收", "通关", "海外仓", "外汇金融", "品牌与知识产权", "人才培训",
    "物流", "园区与平台", "发展规划", "合规与监管", "进口", "对话",
]
MAX_ANSWER_CHARS = 420
# libyaml when present: the FAQ's 2,400 questions take a second to parse in pure Python, and
# every process that answers loads them at start-up
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Intent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    title: str = Field(min_length=2, max_length=30)
    # what an English enquiry is told the (Chinese) answer is about
    title_en: str | None = Field(None, min_length=2, max_length=80)
    kind: Kind = "policy"
    topic: Topic
    jurisdiction: Jurisdiction
    questions: tuple[str, ...] = Field(min_length=8)
    answer: str = Field(min_length=10)
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # "calc:<item id>", "calc:first-order", "calc:eit", "checklist:<checklist id>"
    action: str | None = Field(None, pattern=r"^(calc|checklist):[a-z0-9-]+$")
    # documents that superseded a cited one and against which an operator has checked this
    # answer (the dashboard's 「已复核」): until then the answer warns that a newer version is out
    reviewed: tuple[str, ...] = ()


class FaqFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    intents: tuple[Intent, ...]


@dataclass(frozen=True)
class LoadedIntent:
    intent: Intent
    file: str
    line: int


@dataclass(frozen=True)
class Faq:
    intents: tuple[LoadedIntent, ...]
    version: str  # content hash of every FAQ file, recorded with each answer

    def by_id(self) -> dict[str, Intent]:
        return {item.intent.id: item.intent for item in self.intents}


class FaqError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _intent_lines(text: str) -> list[int]:
    """1-based line of each item of the top-level ``intents`` list."""
    node = yaml.compose(text, Loader=_LOADER)
    if node is None or not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "intents" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_faq_file(path: Path) -> tuple[list[LoadedIntent], list[str]]:
    """Intents of one file and the problems found (``file:line: message``)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)
        lines = _intent_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return [], [f"{path.name}:{line}: not valid YAML: {getattr(error, 'problem', error)}"]
    try:
        parsed = FaqFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            loc = problem["loc"]
            line = lines[loc[1]] if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(lines) else 1
            where = ".".join(str(part) for part in loc[2:]) or ".".join(str(part) for part in loc)
            problems.append(f"{path.name}:{line}: {where}: {problem['msg']}")
        return [], problems
    return [LoadedIntent(intent, path.name, lines[i] if i < len(lines) else 1) for i, intent in enumerate(parsed.intents)], []


def faq_version(directory: Path = FAQ_DIR) -> str:
    """Content hash of the FAQ files and of the documents added beside them (``documents/``):
    a new or edited document is a new version, reloaded and recorded like an FAQ edit."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("documents/*.yaml")):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_faq(directory: Path = FAQ_DIR, strict: bool = True) -> Faq:
    """All intents of a directory; FaqError on any schema problem when strict."""
    intents: list[LoadedIntent] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        loaded, found = load_faq_file(path)
        intents.extend(loaded)
        problems.extend(found)
    if problems and strict:
        raise FaqError(problems)
    return Faq(tuple(intents), faq_version(directory))
