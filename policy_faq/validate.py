"""Checks every FAQ file the way a reviewer would: schema, ids, citations, wording, coverage.

Problems are strings ``file:line: message``. ``validate()`` never raises on bad content; it
reports. The same checks guard live reloads (a reload with any error is refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from intents.normalize import normalize
from policy_faq.corpus import clauses_by_ref, document_of
from policy_faq.faq import COVERAGE_FILE, FAQ_DIR, MAX_ANSWER_CHARS, load_faq_file

CALC_ACTIONS = {
    "industrial-park", "anchor-enterprise", "service-center", "training", "overseas-warehouse",
    "intl-logistics", "ip-certification", "overseas-promotion", "independent-site", "exhibition",
    "first-order", "eit",
}
DRAFT_WORDS = ("征求意见稿", "草案")
HISTORICAL_WORDS = ("2020", "2022")
REGULATIONS = Path(__file__).with_name("documents") / "regulations.md"
# An amount, a rate or a count of years written in an answer: each must appear in a source.
FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|万|亿元|亿|%|元)")


@dataclass
class Report:
    intents: int = 0
    questions: int = 0
    clauses_total: int = 0
    clauses_covered: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "intents": self.intents,
            "questions": self.questions,
            "clauses_total": self.clauses_total,
            "clauses_covered": self.clauses_covered,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def load_coverage(path: Path = COVERAGE_FILE) -> tuple[dict[str, str], list[str]]:
    """Explicitly excluded clauses {ref: reason} and problems with the coverage file."""
    if not path.exists():
        return {}, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        return {}, [f"{path.name}: not valid YAML: {error}"]
    excluded, problems = {}, []
    for entry in data.get("excluded", []) or []:
        ref, reason = str(entry.get("clause", "")), str(entry.get("reason", "")).strip()
        if ref not in clauses_by_ref():
            problems.append(f"{path.name}: excluded clause {ref!r} does not exist")
        elif not reason:
            problems.append(f"{path.name}: excluded clause {ref} has no reason")
        else:
            excluded[ref] = reason
    return excluded, problems


def _figures(text: str) -> set[str]:
    return {re.sub(r"\s+", "", m) for m in FIGURE.findall(text)}


def validate(directory: Path = FAQ_DIR, coverage_file: Path = COVERAGE_FILE, checklist_ids: set[str] | None = None) -> Report:
    report = Report()
    loaded = []
    for path in sorted(directory.glob("*.yaml")):
        intents, problems = load_faq_file(path)
        loaded.extend(intents)
        report.errors.extend(problems)
    clauses = clauses_by_ref()
    ids: dict[str, str] = {}
    seen_questions: dict[str, str] = {}
    cited: set[str] = set()
    regulations_text = re.sub(r"\s+", "", REGULATIONS.read_text(encoding="utf-8"))
    all_ids = {item.intent.id for item in loaded}
    for item in loaded:
        intent, where = item.intent, f"{item.file}:{item.line}"
        report.intents += 1
        report.questions += len(intent.questions)
        if intent.id in ids:
            report.errors.append(f"{where}: id {intent.id!r} already used at {ids[intent.id]}")
        ids.setdefault(intent.id, where)
        if len(intent.answer) > MAX_ANSWER_CHARS:
            report.errors.append(f"{where}: {intent.id}: answer has {len(intent.answer)} characters (max {MAX_ANSWER_CHARS})")
        if not intent.answer.strip():
            report.errors.append(f"{where}: {intent.id}: answer is empty")
        for question in intent.questions:
            key = normalize(question)
            if not key:
                report.errors.append(f"{where}: {intent.id}: question {question!r} is empty after normalisation")
            elif key in seen_questions and seen_questions[key] != intent.id:
                report.errors.append(f"{where}: {intent.id}: question {question!r} repeats one of {seen_questions[key]}")
            seen_questions.setdefault(key, intent.id)
        source_text = regulations_text
        for ref in intent.sources:
            if ref not in clauses:
                report.errors.append(f"{where}: {intent.id}: source {ref!r} is not a clause (see `cbec-bot policy list`)")
                continue
            cited.add(ref)
            source_text += re.sub(r"\s+", "", clauses[ref].text)
            status = document_of(ref).status
            if status == "draft" and not any(word in intent.answer for word in DRAFT_WORDS):
                report.errors.append(f"{where}: {intent.id}: cites draft {ref} but the answer does not say 征求意见稿")
            if status == "historical" and not all(word in intent.answer for word in HISTORICAL_WORDS):
                report.errors.append(f"{where}: {intent.id}: cites historical {ref} but the answer does not give its period 2020—2022")
        for related in intent.related:
            if related not in all_ids:
                report.errors.append(f"{where}: {intent.id}: related intent {related!r} does not exist")
        if intent.action:
            kind, _, target = intent.action.partition(":")
            if kind == "calc" and target not in CALC_ACTIONS:
                report.errors.append(f"{where}: {intent.id}: unknown calculator {target!r}")
            if kind == "checklist" and checklist_ids is not None and target not in checklist_ids:
                report.errors.append(f"{where}: {intent.id}: unknown checklist {target!r}")
        if intent.kind == "policy":
            for figure in _figures(intent.answer) - _figures(source_text):
                number = re.match(r"\d+(?:\.\d+)?", figure).group(0)
                if number not in source_text:
                    report.warnings.append(f"{where}: {intent.id}: figure {figure} appears in no cited source")
    excluded, problems = load_coverage(coverage_file)
    report.errors.extend(problems)
    for ref in excluded:
        if ref in cited:
            report.warnings.append(f"{coverage_file.name}: {ref} is excluded but cited by an intent")
    report.clauses_total = len(clauses)
    covered = cited | set(excluded)
    report.clauses_covered = len(covered & set(clauses))
    report.uncovered = sorted(set(clauses) - covered)
    for ref in report.uncovered:
        report.errors.append(f"coverage: clause {ref} is cited by no intent and not excluded in {coverage_file.name}")
    return report


def known_checklist_ids() -> set[str] | None:
    try:
        from calculators.checklists import load_checklists
    except ImportError:
        return None
    return {checklist.id for checklist in load_checklists()}
