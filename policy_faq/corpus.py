"""The policy corpus: six documents split into clauses with the ids of SOURCES.md, and the
national rules of regulations.md, each a document of its own with one clause ``main``.

Each document has its own numbering style, so each gets a small splitter; they all
produce (clause id, heading, text) triples from cleaned lines. The texts ship inside the
package (``policy_faq/documents``) so nothing outside the project is read at run time.
The national rules' official texts are not held: their ``main`` clause is a summary of what
regulations.md says (national-rules.md), and its first line says so (``SUMMARY_MARK``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

STATUS_LABELS = {
    "in_force": "现行有效", "draft": "征求意见稿", "historical": "历史文件", "partly_superseded": "部分内容已调整",
}
NATIONAL = "national"  # Document.kind of a national rule (one summarised clause, ``main``)
SUMMARY_MARK = "（要点摘要，非原文）"
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
MOFCOM_NEWS_MARKER = "【责任编辑"

L1 = re.compile(r"^(?:#+\s*)?\**\s*([一二三四五六七八九十]+)、\s*(.*?)\**$")
L2 = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.*)$")
L3 = re.compile(r"^(\d{1,2})[.．]\s*(?!\d)(.*)$")
UNITS = re.compile(r"[（(]责任单位[:：]([^)）]*)[)）]")
SENTENCE_END = "。；;：:！!？?）)”"


@dataclass(frozen=True)
class Clause:
    doc: str
    clause: str
    heading: str
    text: str
    units: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.doc}:{self.clause}"


@dataclass(frozen=True)
class Document:
    id: str
    file: str
    title: str
    issuer: str
    date: str
    jurisdiction: str
    region: str
    status: str
    period: str | None
    valid_until: str | None
    clauses: tuple[Clause, ...]
    kind: str = "document"  # or NATIONAL
    number: str | None = None  # document number, e.g. 财税〔2018〕103号
    effective: str | None = None  # applies from (national rules)
    note: str | None = None  # shown with the document (policy show)
    supersedes: str | None = None  # the id of the document this one replaces (a final text replacing its draft)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_added(self) -> bool:
        """Added with ``policy add`` (stored as YAML beside the FAQ), not shipped with the program."""
        return self.file.endswith(".yaml")

    @property
    def is_national(self) -> bool:
        return self.kind == NATIONAL

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.clause == clause_id:
                return clause
        raise KeyError(f"{self.id}:{clause_id}")


def chinese_number(text: str) -> int:
    """一 -> 1, 十 -> 10, 十三 -> 13, 二十 -> 20 (enough for the documents' numbering)."""
    if text.startswith("十"):
        return 10 + (CN_DIGITS[text[1:]] if len(text) > 1 else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return CN_DIGITS[tens] * 10 + (CN_DIGITS[ones] if ones else 0)
    return CN_DIGITS[text]


def clean_lines(raw: str) -> list[str]:
    """Strip ordinary, full-width and no-break spaces; drop empty lines."""
    lines = []
    for line in raw.splitlines():
        line = line.strip(" \t\u3000\xa0")
        if line:
            lines.append(line)
    return lines


def join_paragraphs(lines: list[str]) -> str:
    """Join a clause's lines; a line that stops mid-sentence was broken by the source layout."""
    text = ""
    previous = ""
    for line in lines:
        # Short lines (signatories, dates, annex titles) are lines of their own, not broken text.
        if text and text[-1] not in SENTENCE_END and len(previous) > 20:
            text += line
        else:
            text += ("\n" if text else "") + line
        previous = line
    return text


def heading_of(text: str) -> str:
    first = re.split(r"[。.]", text, maxsplit=1)[0]
    return first.strip("*# ")[:40]


def units_of(text: str) -> tuple[str, ...]:
    units: list[str] = []
    for match in UNITS.finditer(text):
        inner = match.group(1).split("。")[0]
        for unit in re.split(r"[、，,]", inner):
            unit = re.sub(r"等有关单位$|有关单位$", "", unit.strip())
            if unit and unit not in units:
                units.append(unit)
    return tuple(units)


Parts = Iterator[tuple[str, str, list[str]]]  # (clause id, heading or "", lines)


def split_liaoning(lines: list[str]) -> Parts:
    start = next(i for i, line in enumerate(lines) if line.startswith("为深入贯彻"))
    first_l1 = next(i for i, line in enumerate(lines) if L1.match(line))
    yield "preamble", "前言", lines[start:first_l1]
    items, closing = _flat_items(lines[first_l1:], stop="来源")
    yield from items
    yield "closing", "组织实施", closing


def split_mofcom(lines: list[str]) -> Parts:
    lines = lines[: next(i for i, line in enumerate(lines) if line.startswith(MOFCOM_NEWS_MARKER))]
    start = next(i for i, line in enumerate(lines) if line.startswith("跨境电商是以科技创新"))
    first_l1 = next(i for i, line in enumerate(lines) if L1.match(line))
    yield "preamble", "前言", lines[start:first_l1]
    items, closing = _flat_items(lines[first_l1:], stop=None)
    yield from items
    yield "closing", "组织实施", closing


def _flat_items(lines: list[str], stop: str | None) -> tuple[list, list[str]]:
    """Items numbered (一)…(二十), one paragraph each; what follows the last one closes the document."""
    items: list = []
    closing: list[str] = []
    for line in lines:
        if stop and line.startswith(stop):
            break
        if match := L2.match(line):
            items.append((str(chinese_number(match.group(1))), "", [line]))
        elif L1.match(line) and not closing:
            continue  # section headings group items; they are not clauses
        elif items:
            closing.append(line)
    return items, closing


def split_sichuan(lines: list[str]) -> Parts:
    i_general = next(i for i, line in enumerate(lines) if line == "一、总体要求")
    i_tasks = next(i for i, line in enumerate(lines) if line == "二、重点任务")
    i_closing = next(i for i, line in enumerate(lines) if line.startswith("三、组织保障"))
    yield "preamble", "前言", lines[3:i_general]
    yield "general", "总体要求", lines[i_general + 1 : i_tasks]
    yield from _numbered(lines[i_tasks + 1 : i_closing], L3, "")
    yield from _numbered(lines[i_closing + 1 :], L2, "closing.")


def _numbered(lines: list[str], pattern: re.Pattern, prefix: str) -> Parts:
    """Items opened by ``pattern``; lines until the next item belong to it, sub-headings end it."""
    current: tuple[str, str, list[str]] | None = None
    for line in lines:
        match = pattern.match(line)
        if match:
            if current:
                yield current
            number = match.group(1)
            number = str(chinese_number(number)) if not number.isdigit() else number
            current = (prefix + number, "", [line])
        elif L1.match(line) or L2.match(line) or line.startswith("#"):
            if current:
                yield current
            current = None
        elif current:
            current[2].append(line)
    if current:
        yield current


def split_dalian(lines: list[str]) -> Parts:
    lines = [line for line in lines if line not in ("(征求意见稿)", "（征求意见稿）")]
    i_scope = next(i for i, line in enumerate(lines) if "适用范围" in line)
    i_first = next(i for i, line in enumerate(lines) if L1.match(line) and "支持" in line)
    i_annex = next(i for i, line in enumerate(lines) if "附则" in line)
    yield "preamble", "前言", lines[1:i_scope]
    yield "scope", "适用范围", lines[i_scope + 1 : i_first]
    yield from _numbered(lines[i_first:i_annex], L3, "")
    yield "annex", "附则", lines[i_annex + 1 :]


def split_yingkou(lines: list[str]) -> Parts:
    start = next(i for i, line in enumerate(lines) if line.startswith("中国（营口）"))
    end = next(i for i, line in enumerate(lines) if line.startswith("中国（盘锦）"))
    yield from _nested(lines[start + 1 : end])


def split_panjin(lines: list[str]) -> Parts:
    start = next(i for i, line in enumerate(lines) if line.startswith("中国（盘锦）"))
    yield from _nested(lines[start + 1 :])


def _nested(lines: list[str]) -> Parts:
    """一、(一) 1. numbering joined with dots: 二、(一) 1. -> 2.1.1; text before 一、 is the preamble."""
    first_l1 = next(i for i, line in enumerate(lines) if L1.match(line))
    yield "preamble", "前言", lines[:first_l1]
    level1 = level2 = 0
    current: tuple[str, str, list[str]] | None = None
    for line in lines[first_l1:]:
        if match := L1.match(line):
            level1, level2 = chinese_number(match.group(1)), 0
            if current:
                yield current
            current = None
        elif match := L2.match(line):
            level2 = chinese_number(match.group(1))
            if current:
                yield current
            current = (f"{level1}.{level2}", heading_of(match.group(2)), [line])
        elif match := L3.match(line):
            if current and current[0].count(".") == 1 and len(current[2]) == 1:
                # (一) was only a heading over numbered items: it is not a clause of its own.
                current = None
            if current:
                yield current
            current = (f"{level1}.{level2}.{match.group(1)}", "", [line])
        elif current:
            current[2].append(line)
    if current:
        yield current


def national_sections(raw: str) -> dict[str, tuple[str, list[str]]]:
    """national-rules.md: ``## <doc id> <heading>`` opens each rule's summary."""
    sections: dict[str, tuple[str, list[str]]] = {}
    current: list[str] | None = None
    for line in clean_lines(raw):
        if match := re.match(r"^##\s+(\S+)\s*(.*)$", line):
            current = []
            sections[match.group(1)] = (match.group(2), current)
        elif current is not None:
            current.append(line)
    return sections


def split_national(doc_id: str, raw: str) -> Parts:
    heading, lines = national_sections(raw)[doc_id]
    if not lines or lines[0] != SUMMARY_MARK:
        raise ValueError(f"{doc_id}: a national rule's summary starts with {SUMMARY_MARK}")
    yield "main", heading, lines


SPLITTERS = {
    "liaoning-2026": split_liaoning,
    "mofcom-2024": split_mofcom,
    "sichuan-2024": split_sichuan,
    "dalian-gxq-2026": split_dalian,
    "yingkou-2020": split_yingkou,
    "panjin-2020": split_panjin,
}


def _read(name: str) -> str:
    return resources.files("policy_faq").joinpath("documents", name).read_text(encoding="utf-8")


def parse_document(meta: dict) -> Document:
    clauses = []
    if meta.get("kind") == NATIONAL:
        # a summary written line by line: its lines stay lines
        parts = [(c, h, lines, "\n".join(lines)) for c, h, lines in split_national(meta["id"], _read(meta["file"]))]
    else:
        parts = [(c, h, lines, join_paragraphs(lines)) for c, h, lines in SPLITTERS[meta["id"]](clean_lines(_read(meta["file"])))]
    for clause_id, heading, _lines, text in parts:
        heading = heading or heading_of(re.sub(r"^(?:[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．])\s*", "", text))
        clauses.append(Clause(meta["id"], clause_id, heading, text, units_of(text)))
    fields = {k: meta[k] for k in Document.__dataclass_fields__ if k != "clauses" and k in meta}
    for k in ("period", "valid_until"):
        fields.setdefault(k, None)
    return Document(**fields, clauses=tuple(clauses))


_documents_dir: Path | None = None  # None: ``documents/`` in the packaged FAQ folder
_loaded_signature = [""]  # documents_signature() of the corpus in memory
_reload_hooks: list = []  # caches built from the corpus elsewhere (source lines, clause indexes)


def documents_dir() -> Path:
    """Where ``policy add`` stores documents: beside the FAQ (``<FAQ dir>/documents``)."""
    if _documents_dir is not None:
        return _documents_dir
    return Path(__file__).with_name("faq") / "documents"


def use_documents_dir(path: Path | None) -> None:
    """Read added documents from ``path`` (CBEC_FAQ_DIR/documents) from now on."""
    global _documents_dir
    if path != _documents_dir:
        _documents_dir = path
        reload_corpus()


def on_reload(clear) -> None:
    """Register a cache to clear when the corpus is read again."""
    _reload_hooks.append(clear)


def documents_signature(directory: Path | None = None) -> str:
    """What the added documents are now (names and contents): the corpus is read again when it changes."""
    import hashlib

    directory = directory or documents_dir()
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else ():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def refresh_corpus() -> bool:
    """Read the documents again if an added one changed on disk; True when it did."""
    if documents_signature() == _loaded_signature[0]:
        return False
    reload_corpus()
    return True


def reload_corpus() -> None:
    """Read the documents again (a document was added or edited): every cache built on them goes."""
    for function in (load_corpus, documents_by_id, clauses_by_ref):
        function.cache_clear()
    for clear in _reload_hooks:
        clear()


def added_documents(directory: Path | None = None) -> list[Document]:
    """The documents ``policy add`` stored, in file-name order."""
    from policy_faq.ingest import from_yaml

    directory = directory or documents_dir()
    return [from_yaml(path) for path in sorted(directory.glob("*.yaml"))] if directory.is_dir() else []


@cache
def load_corpus() -> tuple[Document, ...]:
    """The packaged documents and the national rules, then the added ones (an added document
    with a packaged id replaces it, in its place)."""
    metas = yaml.safe_load(_read("documents.yaml"))
    _loaded_signature[0] = documents_signature()
    added = {doc.id: doc for doc in added_documents()}
    packaged = [added.pop(meta["id"], None) or parse_document(meta) for meta in metas]
    return tuple(packaged + list(added.values()))


@cache
def documents_by_id() -> dict[str, Document]:
    return {doc.id: doc for doc in load_corpus()}


@cache
def clauses_by_ref() -> dict[str, Clause]:
    return {clause.ref: clause for doc in load_corpus() for clause in doc.clauses}


def get_clause(ref: str) -> Clause:
    """Look up ``doc:clause``; KeyError with the reference when it does not exist."""
    try:
        return clauses_by_ref()[ref]
    except KeyError:
        raise KeyError(ref) from None


def document_of(ref: str) -> Document:
    return documents_by_id()[ref.split(":", 1)[0]]
