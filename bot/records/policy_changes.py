"""Which intents and documents changed in substance since the last look, as rows of policy_changes.

What counts: an intent's answer or sources edited; a document it cites superseded (a newer
version published) or past its valid-until; a new document. Each is compared with the snapshot
kept in ``policy_snapshots``; the first look only records (no change is news before anyone
could have subscribed). Called after every FAQ reload and policy add, at start-up, and once a
day (expiry happens by the calendar, not by an edit).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.records.clock import utc_text
from policy_faq.citation import clause_label

if TYPE_CHECKING:
    from bot.storage.base import Storage


def _doc_state(doc, successors: dict, today: date) -> list:
    expired = bool(doc.valid_until and doc.status != "historical" and date.fromisoformat(doc.valid_until) < today)
    successor = successors.get(doc.id)
    return [doc.status, expired, successor.id if successor else None]


def _expired(state: list) -> bool:
    return bool(state[1])


def snapshot(intents: list, today: date) -> dict[str, dict]:
    """item -> detail: each policy intent (answer hash, sources, the state of its documents) and
    each document (status, valid-until, the hash of its text)."""
    from policy_faq.corpus import documents_by_id, load_corpus
    from policy_faq.supersession import review_flags, successors

    docs, after = documents_by_id(), successors()
    flagged: dict[str, set[str]] = {}
    for flag in review_flags(intents):  # a newer version changed a clause it cites
        flagged.setdefault(flag.intent, set()).add(flag.new_doc)
    items: dict[str, dict] = {}
    for intent in intents:
        if intent.kind != "policy":
            continue
        cited = sorted({ref.split(":", 1)[0] for ref in intent.sources if ref.split(":", 1)[0] in docs})
        items[f"intent:{intent.id}"] = {
            "answer": hashlib.sha256(intent.answer.encode()).hexdigest()[:16],
            "sources": list(intent.sources),
            "docs": {d: _doc_state(docs[d], after, today) for d in cited},
            "superseded_by": sorted(flagged.get(intent.id, ())),
            "topic": intent.topic, "region": intent.jurisdiction, "title": intent.title,
        }  # fmt: skip
    for doc in load_corpus():
        text = "\n".join(f"{c.clause}\0{c.text}" for c in doc.clauses)
        items[f"document:{doc.id}"] = {
            "state": _doc_state(doc, after, today), "valid_until": doc.valid_until,
            "text": hashlib.sha256(text.encode()).hexdigest()[:16], "region": doc.region, "title": doc.title,
        }  # fmt: skip
    return items


def _digest(detail: dict) -> str:
    return hashlib.sha256(json.dumps(detail, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def describe(item: str, old: dict | None, new: dict) -> tuple[str, str] | None:
    """(kind, what changed in words) for the user's digest, or None when nothing a user would notice."""
    from policy_faq.citation import document_label
    from policy_faq.corpus import documents_by_id

    docs = documents_by_id()
    if item.startswith("document:"):
        doc_id = item.split(":", 1)[1]
        if old is None:
            return "document", f"新文件{document_label(doc_id + ':')}已收录。"
        if new["state"][1] and not old["state"][1]:
            return "expiry", f"{document_label(doc_id + ':')}已过有效期（{new['valid_until']}）。"
        return None  # a document's other changes reach users through the intents that cite it
    if old is None:
        return "edit", "新增了这个问题的答复。"
    for new_doc in new.get("superseded_by", []):
        if new_doc not in old.get("superseded_by", []) and new_doc in docs:
            return "supersession", f"{document_label(new_doc + ':')}已发布新版本，所依据的条款有调整。"
    for doc_id, state in new["docs"].items():
        before = old.get("docs", {}).get(doc_id)
        if _expired(state) and (before is None or not _expired(before)):
            return "expiry", f"所依据的{document_label(doc_id + ':')}已过有效期。"
    if old.get("answer") != new["answer"] or old.get("sources") != new["sources"]:
        refs = [r for r in new["sources"] if r not in old.get("sources", [])]
        added = "、".join(clause_label(r.split(":", 1)[1]) for r in refs if ":" in r)
        return "edit", "答复已更新" + (f"，新增依据{added}" if added else "") + "。"
    return None


def detect(db: Storage, intents: list, today: date | None = None) -> list[dict]:
    """Compare with the stored snapshot; store the new one and a policy_changes row per change."""
    today = today or datetime.now(UTC).date()
    current = snapshot(intents, today)
    stored = {row["item"]: row for row in db.query("SELECT item, digest, detail FROM policy_snapshots")}
    first_look = not stored
    now = utc_text()
    changes, snapshots = [], []
    for item, detail in current.items():
        digest = _digest(detail)
        row = stored.get(item)
        if row is not None and row["digest"] == digest:
            continue
        snapshots.append((item, digest, json.dumps(detail, ensure_ascii=False)))
        if first_look:
            continue
        found = describe(item, json.loads(row["detail"]) if row else None, detail)
        if found:
            kind, what = found
            key = item.split(":", 1)[1]
            changes.append({
                "time": now, "kind": kind, "intent": key if item.startswith("intent:") else None,
                "document": key if item.startswith("document:") else None, "topic": detail.get("topic"),
                "region": detail.get("region"), "title": detail["title"], "what": what,
            })  # fmt: skip

    def write(conn) -> None:
        for item, digest, detail in snapshots:
            conn.execute(
                "INSERT INTO policy_snapshots (item, digest, detail, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (item) DO UPDATE SET digest = excluded.digest, detail = excluded.detail, updated_at = excluded.updated_at",
                [item, digest, detail, now],
            )
        for change in changes:
            conn.execute(
                "INSERT INTO policy_changes (time, kind, intent, document, topic, region, title, what) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [change[k] for k in ("time", "kind", "intent", "document", "topic", "region", "title", "what")],
            )

    if snapshots or changes:
        db.execute_write_fn(write).result(60)
    return changes
