"""A new policy document: read (.txt, .md, .docx, text .pdf), split into clauses, stored as YAML
beside the FAQ (``<FAQ dir>/documents/<id>.yaml``) so operators read and edit it like the FAQ.

The stored file holds the document's metadata and its clauses (id, heading, text). The corpus
(policy_faq/corpus.py) loads these files after the packaged documents; a stored document with a
packaged document's id replaces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from policy_faq.corpus import Clause, Document, heading_of, join_paragraphs, units_of
from policy_faq.splitter import split_text

STATUSES = {"draft": "draft", "in-force": "in_force", "in_force": "in_force", "historical": "historical"}
REGIONS = {  # jurisdiction -> the region code answers are filtered by
    "大连高新区": "dalian-gxq", "辽宁省": "liaoning", "营口市": "yingkou", "盘锦市": "panjin",
    "四川省": "sichuan", "全国": "national",
}  # fmt: skip
SUFFIXES = (".txt", ".md", ".docx", ".pdf")
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


class IngestError(ValueError):
    """A file we cannot read as a policy document, or metadata that does not hold; the message says why."""


def read_text(path: Path) -> str:
    """The text of a .txt/.md (UTF-8 or GB18030), .docx (paragraphs, then tables) or text .pdf."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type {suffix or '(none)'}; use .txt, .md, .docx or .pdf")
    if suffix in (".txt", ".md"):
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise IngestError(f"{path.name}: neither UTF-8 nor GB18030 text")
    if suffix == ".docx":
        import docx

        try:
            document = docx.Document(str(path))
        except Exception as error:  # noqa: BLE001 - python-docx raises several kinds for a bad file
            raise IngestError(f"{path.name}: not a readable .docx ({type(error).__name__})") from None
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:  # annex tables: kept as text after the body
            lines.extend("  ".join(cell.text for cell in row.cells) for row in table.rows)
        return "\n".join(lines)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    except (PdfReadError, OSError, ValueError) as error:
        raise IngestError(f"{path.name}: not a readable PDF ({type(error).__name__})") from None
    if len(re.sub(r"\s", "", text)) < 20:
        raise IngestError(f"{path.name}: the PDF has no text layer (a scan?); OCR it first or give the text as .txt")
    return text


@dataclass(frozen=True)
class Metadata:
    id: str
    title: str
    issuer: str
    date: str
    jurisdiction: str
    status: str  # draft | in_force | historical
    valid_until: str | None = None
    supersedes: str | None = None
    effective: str | None = None  # in force from (default: date, when it is a full date)
    region: str | None = None
    period: str | None = None

    def checked(self) -> Metadata:
        if not DOC_ID.match(self.id):
            raise IngestError(f"--id {self.id!r}: lower-case letters, digits and '-', e.g. dalian-gxq-2027")
        if self.status not in STATUSES:
            raise IngestError(f"--status {self.status!r}: one of draft, in-force, historical")
        for name in ("valid_until", "effective"):
            value = getattr(self, name)
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise IngestError(f"--{name.replace('_', '-')} {value!r}: a date YYYY-MM-DD") from None
        if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", self.date):
            raise IngestError(f"--date {self.date!r}: YYYY, YYYY-MM or YYYY-MM-DD")
        region = self.region or REGIONS.get(self.jurisdiction)
        if region is None:
            raise IngestError(f"--jurisdiction {self.jurisdiction!r}: one of {'、'.join(REGIONS)} (or give --region)")
        effective = self.effective or (self.date if len(self.date) == 10 else None)
        return Metadata(**{**self.__dict__, "status": STATUSES[self.status], "region": region, "effective": effective})


def parse(raw: str, meta: Metadata) -> Document:
    """The document as the corpus holds it: clauses from its own numbering (policy_faq/splitter.py)."""
    meta = meta.checked()
    clauses = []
    for clause_id, heading, lines in split_text(raw, meta.title):
        text = join_paragraphs(lines)
        heading = heading or heading_of(re.sub(r"^(?:[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．]|第\S{1,4}条)\s*", "", text))
        clauses.append(Clause(meta.id, clause_id, heading, text, units_of(text)))
    if not clauses or all(c.clause == "preamble" for c in clauses):
        raise IngestError("no numbered clauses found (一、 (一) 1. (1) 第X条); is this the document's text?")
    return Document(
        id=meta.id, file=f"{meta.id}.yaml", title=meta.title, issuer=meta.issuer, date=meta.date,
        jurisdiction=meta.jurisdiction, region=meta.region or "", status=meta.status, period=meta.period,
        valid_until=meta.valid_until, clauses=tuple(clauses), effective=meta.effective, supersedes=meta.supersedes,
    )  # fmt: skip


class _Literal(str):
    """A multi-line text written as a YAML block (|), readable and editable by operators."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


yaml.SafeDumper.add_representer(_Literal, _literal)


def to_yaml(doc: Document, source: str | None = None) -> str:
    header = (
        f"# {doc.title}: added with `cbec-bot policy add`" + (f" from {source}" if source else "") + ".\n"
        "# Edit it like the FAQ (clause texts as they stand in the document), then `cbec-bot faq reload`.\n"
    )
    data = {
        "id": doc.id, "title": doc.title, "issuer": doc.issuer, "date": doc.date, "jurisdiction": doc.jurisdiction,
        "region": doc.region, "status": doc.status, "period": doc.period, "effective": doc.effective,
        "valid_until": doc.valid_until, "supersedes": doc.supersedes,
        "clauses": [{"id": c.clause, "heading": c.heading, "text": _Literal(c.text)} for c in doc.clauses],
    }  # fmt: skip
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def from_yaml(path: Path) -> Document:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        clauses = tuple(
            Clause(data["id"], str(c["id"]), c.get("heading") or "", str(c["text"]).rstrip("\n"), units_of(str(c["text"])))
            for c in data["clauses"]
        )
        return Document(
            id=data["id"], file=path.name, title=data["title"], issuer=data.get("issuer") or "", date=str(data.get("date") or ""),
            jurisdiction=data.get("jurisdiction") or "", region=data.get("region") or "", status=data["status"],
            period=data.get("period"), valid_until=_day(data.get("valid_until")), clauses=clauses,
            effective=_day(data.get("effective")), supersedes=data.get("supersedes"),
        )  # fmt: skip
    except (KeyError, TypeError) as error:
        raise IngestError(f"{path.name}: missing or malformed field {error}") from None


def _day(value) -> str | None:
    return None if value in (None, "") else str(value)


def dry_run_text(doc: Document) -> str:
    """What --dry-run prints: the metadata, then each clause id with its heading and first words."""
    lines = [
        f"{doc.id}  《{doc.title}》  [{doc.status}] {doc.issuer} · {doc.date} · {doc.jurisdiction}",
        f"施行 {doc.effective or '—'}  有效期至 {doc.valid_until or '—'}" + (f"  取代 {doc.supersedes}" if doc.supersedes else ""),
        f"{len(doc.clauses)} 个条款：",
    ]  # fmt: skip
    for clause in doc.clauses:
        flat = clause.text.replace("\n", " ")
        lines.append(f"  {clause.ref:<28} {clause.heading}\n      {flat[:70]}{'…' if len(flat) > 70 else ''}")
    return "\n".join(lines)
