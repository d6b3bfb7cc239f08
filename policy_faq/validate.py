"""Checks every FAQ file the way a reviewer would: schema, ids, citations, wording, coverage.

Wording rules for an answer (issue 13): line 1 says 征求意见稿 when a cited source is a draft and
gives the period (2020—2022年) when one is historical; no space between Chinese characters and
no half-width , . : ; ! ? ( ) next to one; no raw source id and no 依据 line of its own (the
app adds the basis line); every figure (amount, rate, year) appears in the answer's own cited
sources, national rules included.

Problems are strings ``file:line: message``. ``validate()`` never raises on bad content; it
reports. The same checks guard live reloads (a reload with any error is refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from intents.normalize import normalize
from policy_faq.corpus import clauses_by_ref, document_of, documents_by_id
from policy_faq.faq import COVERAGE_FILE, FAQ_DIR, MAX_ANSWER_CHARS, load_faq_file
from policy_faq.typography import FULL_WIDTH, HALF_WIDTH_BY_CHINESE, SPACE_IN_CHINESE

CALC_ACTIONS = {
    "industrial-park", "anchor-enterprise", "service-center", "training", "overseas-warehouse",
    "intl-logistics", "ip-certification", "overseas-promotion", "independent-site", "exhibition",
    "first-order", "eit",
}
DRAFT_WORD = "征求意见稿"  # line 1 of an answer citing a draft says so

# Typography (issue 13): the rules of policy_faq/typography.py, refused in FAQ answers
BASIS_LINE = re.compile(r"^\s*依据\s*[:：]")

# Figures: an amount (万元, 亿, 元, 美元), a rate (%), a count of 人次, or a year. Each must appear
# in the answer's own cited sources (their clause texts and their documents' metadata),
# compared by value: 50万元 = 50 万元 = 500000元, 50万 matches 50万元, 0.5亿元 = 5000万元.
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
RANGE_TO = r"\s*[—–~～至到-]\s*"
AMOUNT = re.compile(f"(?<![\\d.,])({NUM})(?:{RANGE_TO}({NUM}))?\\s*(万亿|亿|万)?\\s*(美元|元|%|人次)?")
YEAR = re.compile(f"(?<![\\d.])((?:19|20)\\d\\d)(?:{RANGE_TO}((?:19|20)\\d\\d))?\\s*年")
ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
MULTIPLIER = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "": Decimal(1)}
WIDE_DIGITS = str.maketrans("０１２３４５６７８９％．", "0123456789%.")


def _snippet(text: str, start: int, end: int, width: int = 8) -> str:
    """Up to ``width`` characters either side of text[start:end], within its line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = len(text) if (found := text.find("\n", end)) < 0 else found
    left, right = max(line_start, start - width), min(line_end, end + width)
    return ("…" if left > line_start else "") + text[left:right] + ("…" if right < line_end else "")


def typography_problems(text: str) -> list[str]:
    """Each stray space between Chinese characters and each half-width , . : ; ! ? ( ) next to
    a Chinese character, with a snippet around it."""
    problems = []
    for match in SPACE_IN_CHINESE.finditer(text):
        problems.append(f"space between Chinese characters: 「{_snippet(text, match.start(), match.end())}」")
    for match in HALF_WIDTH_BY_CHINESE.finditer(text):
        mark = match.group(0)
        problems.append(f"half-width {mark!r} next to a Chinese character (write {FULL_WIDTH[mark]}): "
                        f"「{_snippet(text, match.start(), match.end())}」")  # fmt: skip
    return problems


def _amounts(text: str) -> list[tuple[str, Decimal, str]]:
    """(as written, value, unit) of every amount, rate or count: 50万元 -> ("50万元", 500000, "元")."""
    found = []
    for match in AMOUNT.finditer(text.translate(WIDE_DIGITS)):
        first, second, multiplier, unit = match.groups()
        if not multiplier and not unit:
            continue  # a bare number (9610, 第5条, 12366) is not a figure
        for number in (first, second):
            if number:
                value = Decimal(number.replace(",", "")) * MULTIPLIER[multiplier or ""]
                found.append((re.sub(r"\s+", "", match.group(0)), value.normalize(), unit or ""))
    return found


def _years(text: str) -> list[str]:
    return [year for match in YEAR.finditer(text.translate(WIDE_DIGITS)) for year in match.groups() if year]


def source_text(refs: tuple[str, ...] | list[str]) -> str:
    """The cited clauses' texts with their documents' metadata (title, number, dates, period)."""
    clauses = clauses_by_ref()
    parts = []
    for ref in refs:
        if ref not in clauses:
            continue
        doc = document_of(ref)
        parts.append(clauses[ref].text)
        parts.extend(str(v) for v in (doc.title, doc.number, doc.date, doc.effective, doc.period, doc.valid_until) if v)
    return "\n".join(parts)


def unsupported_figures(answer: str, refs: tuple[str, ...] | list[str]) -> list[str]:
    """The figures of ``answer`` that its own sources ``refs`` do not give."""
    text = source_text(refs)
    known = {(value, unit) for _, value, unit in _amounts(text)}
    values = {value for value, _ in known}
    missing: list[str] = []
    for written, value, unit in _amounts(answer):
        # 50万 (no unit) matches 50万元; 50万元 matches a source's bare 50万
        if (value, unit) in known or (unit == "" and value in values) or (unit in ("元", "人次") and (value, "") in known):
            continue
        if written not in missing:
            missing.append(written)
    years = set(ANY_YEAR.findall(text.translate(WIDE_DIGITS)))
    for year in _years(answer):
        if year not in years and f"{year}年" not in missing:
            missing.append(f"{year}年")
    return missing


def raw_id_pattern() -> re.Pattern:
    ids = sorted(documents_by_id(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?::[\w.]+)?")


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
    raw_ids = raw_id_pattern()
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
        first_line = intent.answer.strip().split("\n", 1)[0]
        for ref in intent.sources:
            if ref not in clauses:
                report.errors.append(f"{where}: {intent.id}: source {ref!r} is not a clause (see `cbec-bot policy list`)")
                continue
            cited.add(ref)
            doc = document_of(ref)
            if doc.status == "draft" and DRAFT_WORD not in first_line:
                report.errors.append(f"{where}: {intent.id}: cites draft {ref} but line 1 of the answer does not say {DRAFT_WORD}")
            if doc.status == "historical":
                end_year = (doc.valid_until or "2022")[:4]
                if end_year not in first_line:
                    report.errors.append(
                        f"{where}: {intent.id}: cites historical {ref} but line 1 of the answer does not give its period "
                        f"{doc.period or '2020—2022年'}"
                    )
        for problem in typography_problems(intent.answer):
            report.errors.append(f"{where}: {intent.id}: answer has a {problem}")
        for problem in typography_problems(intent.title):  # titles are buttons and questions back
            report.errors.append(f"{where}: {intent.id}: title has a {problem}")
        for match in raw_ids.finditer(intent.answer):
            report.errors.append(f"{where}: {intent.id}: answer shows the raw source id {match.group(0)!r} "
                                 "(users read the basis line the app adds)")  # fmt: skip
        if any(BASIS_LINE.match(line) for line in intent.answer.splitlines()):
            report.errors.append(f"{where}: {intent.id}: answer has its own 依据 line (the app adds the basis line from sources)")
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
            for figure in unsupported_figures(intent.answer, [ref for ref in intent.sources if ref in clauses]):
                cited_list = "、".join(intent.sources) or "none"
                report.errors.append(f"{where}: {intent.id}: figure {figure} appears in none of its own sources ({cited_list})")
    from policy_faq.supersession import review_flags

    for flag in review_flags([item.intent for item in loaded]):  # 需复核: a newer version changed a cited clause
        moved = ""
        if flag.change.removed_figures or flag.change.added_figures:
            moved = f" ({'、'.join(flag.change.removed_figures) or '-'} -> {'、'.join(flag.change.added_figures) or '-'})"
        report.warnings.append(
            f"{ids.get(flag.intent, flag.intent)}: {flag.intent}: cites {flag.old_ref}, which {flag.new_doc} changes"
            f"{moved}; review it (需复核) and add {flag.new_doc} to its reviewed list"
        )
    excluded, problems = load_coverage(coverage_file)
    report.errors.extend(problems)
    for ref in excluded:
        if ref in cited:
            report.warnings.append(f"{coverage_file.name}: {ref} is excluded but cited by an intent")
    # Coverage is over the six documents: a national rule is a source an answer may cite, not a
    # text every clause of which needs an answer.
    required = {ref for ref in clauses if not document_of(ref).is_national}
    report.clauses_total = len(required)
    covered = cited | set(excluded)
    report.clauses_covered = len(covered & required)
    report.uncovered = sorted(required - covered)
    waiting: dict[str, int] = {}  # an added document's clauses: no intent answers from them yet
    for ref in report.uncovered:
        doc = document_of(ref)
        if doc.is_added:
            waiting[doc.id] = waiting.get(doc.id, 0) + 1
        else:
            report.errors.append(f"coverage: clause {ref} is cited by no intent and not excluded in {coverage_file.name}")
    for doc_id, count in waiting.items():
        report.warnings.append(f"coverage: {count} clauses of the added document {doc_id} are cited by no intent yet")
    return report


def known_checklist_ids() -> set[str] | None:
    try:
        from calculators.checklists import load_checklists
    except ImportError:
        return None
    return {checklist.id for checklist in load_checklists()}
