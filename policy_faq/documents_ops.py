"""Adding a document: parse, check, store beside the FAQ, validate with it, keep it or put back.

``cbec-bot policy add`` uses this; the server then reloads (``faq reload`` path), which reads
the documents again (policy_faq/corpus.py ``refresh_corpus``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policy_faq.corpus import Document, documents_by_id, documents_dir, reload_corpus
from policy_faq.ingest import IngestError, Metadata, dry_run_text, parse, read_text, to_yaml


@dataclass
class AddResult:
    ok: bool
    document: Document
    parse_text: str
    file: Path | None = None
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        doc = self.document
        return {
            "ok": self.ok, "id": doc.id, "status": doc.status, "effective": doc.effective,
            "valid_until": doc.valid_until, "supersedes": doc.supersedes, "file": str(self.file) if self.file else None,
            "clauses": [{"id": c.clause, "heading": c.heading, "text": c.text} for c in doc.clauses],
            "messages": self.messages, "errors": self.errors,
        }  # fmt: skip


def add_document(path: Path, meta: Metadata, dry_run: bool = False, faq_dir: Path | None = None) -> AddResult:
    doc = parse(read_text(path), meta)
    known = documents_by_id()
    if doc.supersedes:
        if doc.supersedes == doc.id:
            raise IngestError("--supersedes names the document itself")
        if doc.supersedes not in known:
            raise IngestError(f"--supersedes {doc.supersedes!r}: no such document (`cbec-bot policy list`)")
    result = AddResult(True, doc, dry_run_text(doc))
    if doc.id in known and not known[doc.id].file.endswith(".yaml"):
        result.messages.append(f"注意：{doc.id} 是随程序提供的文件，新文本将取代它。")
    if doc.supersedes:
        from policy_faq.supersession import compare

        diff = compare(known[doc.supersedes], doc)
        result.messages.append(diff.summary())
    if dry_run:
        result.messages.append("（试运行，未保存）")
        return result
    target = documents_dir() / f"{doc.id}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.read_text(encoding="utf-8") if target.exists() else None
    target.write_text(to_yaml(doc, source=path.name), encoding="utf-8")
    reload_corpus()
    from intents.respond import faq_dir as configured
    from policy_faq.validate import validate

    report = validate(faq_dir or configured())
    if report.errors:  # the FAQ must stay valid: the document goes back out
        if before is None:
            target.unlink()
        else:
            target.write_text(before, encoding="utf-8")
        reload_corpus()
        result.ok, result.errors = False, report.errors
        result.messages.extend(f"error: {line}" for line in report.errors[:20])
        result.messages.append("未保存：加入这份文件后FAQ校验不通过。")
        return result
    result.file = target
    result.messages.extend(f"warning: {line}" for line in report.warnings if doc.id in line or (doc.supersedes or "\0") in line)
    result.messages.append(f"已保存：{target}（{len(doc.clauses)}个条款）")
    return result
