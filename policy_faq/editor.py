"""Operator edits to the FAQ YAML that keep the files' formatting and comments (ruamel.yaml).

An edit is computed on the file's text, checked on a scratch copy of the whole FAQ folder
(schema, citations, coverage: the same validator as ``cbec-bot faq validate``), and only then
written. Every edit returns the file's text before and after, which the audit table keeps so
that any edit can be rolled back.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import FoldedScalarString

from policy_faq.faq import COVERAGE_FILE, FAQ_DIR
from policy_faq.validate import validate

NEW_INTENTS_FILE = "operator-added.yaml"


class EditRefused(ValueError):
    """The edit would break the FAQ; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Edit:
    file: str  # file name inside the FAQ folder
    action: str  # add-question | add-intent | review | rollback
    intent: str
    before: str  # whole file text before ('' when the file is new)
    after: str


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap operators' lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(data) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _find(directory: Path, intent_id: str) -> tuple[Path, str]:
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = _yaml().load(text) or {}
        if any(item.get("id") == intent_id for item in data.get("intents", []) or []):
            return path, text
    raise EditRefused(f"找不到意图“{intent_id}”，请从列表中选择。")


def _errors(directory: Path, coverage_file: Path) -> set[str]:
    # Without line numbers: an added question shifts the lines of every later intent.
    return {
        re.sub(r"^([^:]+\.yaml):\d+:", r"\1:", error) for error in validate(directory, coverage_file).errors
    }


def check_folder_with(directory: Path, file: str, new_text: str, coverage_file: Path = COVERAGE_FILE) -> None:
    """Validate the FAQ as it would be with ``file`` replaced by ``new_text``.

    Raises EditRefused when the change brings an error the folder does not have now (an edit
    is judged on what it breaks, so one pre-existing problem does not block every fix).
    """
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "faq"
        shutil.copytree(directory, copy)
        if new_text:
            (copy / file).write_text(new_text, encoding="utf-8")
        else:
            (copy / file).unlink(missing_ok=True)
        new_errors = _errors(copy, coverage_file) - _errors(directory, coverage_file)
    if new_errors:
        raise EditRefused("；".join(dict.fromkeys(chinese(error) for error in sorted(new_errors))) + "。")


def add_question(intent_id: str, question: str, directory: Path = FAQ_DIR) -> Edit:
    question = " ".join(question.split())
    if not question:
        raise EditRefused("问题是空的，请输入用户的问法。")
    path, before = _find(directory, intent_id)
    duplicate = _duplicate_of(question, directory)
    if duplicate is not None:
        raise EditRefused(duplicate)
    data = _yaml().load(before)
    intent = next(item for item in data["intents"] if item.get("id") == intent_id)
    intent["questions"].append(question)
    after = _dump(data)
    check_folder_with(directory, path.name, after)
    path.write_text(after, encoding="utf-8")
    return Edit(path.name, "add-question", intent_id, before, after)


NEAR_COPY = 92  # rapidfuzz ratio of the normalised texts: 「海外仓补贴多少？」 and 「海外仓补贴多少」 are one question


def _duplicate_of(question: str, directory: Path) -> str | None:
    """Why ``question`` may not be added: the same or nearly the same question is already in the
    FAQ (in this intent or another), named; None when it is new."""
    from rapidfuzz import fuzz, process

    from intents.normalize import normalize
    from policy_faq.faq import load_faq

    asked = [
        (normalize(q), q, loaded.intent.title)
        for loaded in load_faq(directory, strict=False).intents
        for q in loaded.intent.questions
    ]
    wanted = normalize(question)
    best = process.extractOne(wanted, [n for n, _, _ in asked], scorer=fuzz.ratio, score_cutoff=NEAR_COPY)
    if best is None:
        return None
    _, existing, title = asked[best[2]]
    same = "相同" if best[1] >= 100 else "几乎相同"
    return f"「{question}」与「{title}」已有的问法「{existing}」{same}，没有添加。"


def add_intent(
    intent_id: str,
    title: str,
    answer: str,
    sources: list[str],
    questions: list[str],
    topic: str,
    jurisdiction: str,
    directory: Path = FAQ_DIR,
) -> Edit:
    for question in questions:
        duplicate = _duplicate_of(question, directory)
        if duplicate is not None:
            raise EditRefused(duplicate)
    path = directory / NEW_INTENTS_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _yaml().load(before) if before else None
    if not data:
        data = _yaml().load("# Intents added by operators from the dashboard.\nintents: []\n")
    data["intents"].append(
        {
            "id": intent_id,
            "title": title,
            "topic": topic,
            "jurisdiction": jurisdiction,
            "questions": [q for q in (" ".join(q.split()) for q in questions) if q],
            "answer": FoldedScalarString(answer.strip()),
            "sources": list(sources),
        }
    )
    after = _dump(data)
    check_folder_with(directory, path.name, after)
    path.write_text(after, encoding="utf-8")
    return Edit(path.name, "add-intent", intent_id, before, after)


# The validator speaks English to developers; an operator reads these (issue 16).
_CHINESE = [
    (r"figure (\S+) appears in none of its own sources", "答复里的数字{0}在所选条款中找不到（金额、比例和期限只能出自政策原文），请改正数字或加选写有它的条款"),
    (r"cites draft (\S+) but line 1 of the answer does not say", "所选条款出自征求意见稿，答复第一行须写明“征求意见稿”"),
    (r"cites historical (\S+) but line 1 of the answer does not give its period (\S+)", "所选条款出自历史文件，答复第一行须写明目标期{1}"),
    (r"space between Chinese characters: (.*)", "汉字之间不要空格：{0}"),
    (r"half-width '(.)' next to a Chinese character \(write (.)\): (.*)", "中文旁边请用全角标点“{1}”而不是“{0}”：{2}"),
    (r"answer has (\d+) characters \(max (\d+)\)", "答复有{0}字，超过了{1}字的上限"),
    (r"answer is empty", "答复是空的"),
    (r"source '([^']*)' is not a clause", "条款“{0}”不存在，请从列表中选择"),
    (r"answer shows the raw source id '([^']*)'", "答复里不要写条款编号“{0}”，依据由系统按所选条款写成文字"),
    (r"answer has its own 依据 line", "答复里不要自己写“依据”行，系统会按所选条款加上"),
    (r"question '([^']*)' repeats one of", "问法“{0}”重复了"),
    (r"question '([^']*)' is empty after normalisation", "问法“{0}”去掉标点后是空的"),
    (r"id '([^']*)' already used", "意图编号“{0}”已被使用"),
    (r"clause (\S+) is cited by no intent", "条款{0}不再被任何意图引用"),
    (r"(answer|title) has a (.*)", "{0}的标点或空格不合要求：{1}"),
    (r"String should have at least (\d+) characters?", "内容太短（至少{0}个字）"),
    (r"String should have at most (\d+) characters?", "内容太长（最多{0}个字）"),
    (r"Tuple should have at least (\d+) items?", "至少需要{0}项"),
    (r"Input should be (.*)", "选项不在允许的范围内"),
    (r"Field required", "缺少必填内容"),
]


def chinese(error: str) -> str:
    """A validator error in Chinese for the operator; the file and line are left out."""
    message = re.sub(r"^[^:]+\.yaml(?::\d+)?:\s*", "", error)
    message = re.sub(r"^[a-z0-9-]+:\s*", "", message)  # the intent id
    for pattern, template in _CHINESE:
        found = re.search(pattern, message)
        if found:
            text = template.format(*found.groups())
            return text.replace("answer的", "答复的").replace("title的", "标题的")
    return "FAQ校验未通过（请检查标题、问法、答复和所选条款）"


def diff_lines(before: str, after: str, limit: int = 40) -> list[str]:
    """The lines an edit removed (``-``) and added (``+``), not whole files."""
    import difflib

    lines = [
        line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]  # fmt: skip
    return lines[:limit] + ([f"…（另有{len(lines) - limit}行）"] if len(lines) > limit else [])


def mark_reviewed(intent_id: str, doc_id: str, directory: Path = FAQ_DIR) -> Edit:
    """「已复核」: the intent's answer was checked against ``doc_id`` (a document superseding one it
    cites); its answer stops warning about the newer version."""
    path, before = _find(directory, intent_id)
    data = _yaml().load(before)
    intent = next(item for item in data["intents"] if item.get("id") == intent_id)
    reviewed = list(intent.get("reviewed") or [])
    if doc_id in reviewed:
        raise EditRefused(f"{intent_id} is already reviewed against {doc_id}")
    intent["reviewed"] = [*reviewed, doc_id]
    after = _dump(data)
    check_folder_with(directory, path.name, after)
    path.write_text(after, encoding="utf-8")
    return Edit(path.name, "review", intent_id, before, after)


def restore(file: str, text: str, intent_id: str, directory: Path = FAQ_DIR) -> Edit:
    """Put a file back as it was (the 'before' of an audited edit); validated like any edit."""
    path = directory / Path(file).name
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    check_folder_with(directory, path.name, text)
    if text:
        path.write_text(text, encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
    return Edit(path.name, "rollback", intent_id, before, text)
