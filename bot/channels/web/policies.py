"""/staff/policies (政策更新): what a new or superseding document changes, and what needs review.

- each supersession, clause by clause, the changed amounts and rates marked;
- the intents that cite a changed clause, flagged 「需复核」, each with an 「已复核」 button
  (operators) that records the review in the intent (policy_faq/editor.py ``mark_reviewed``);
- documents that expire within 60 days, or have expired;
- subscribers per topic (bot/conversation/subscriptions.py);
- adding a document (the same as ``cbec-bot policy add``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from bot.channels.web.dashboard import Staff, render, same_origin

router = APIRouter(prefix="/staff", include_in_schema=False)
EXPIRY_WARNING_DAYS = 60
MAX_UPLOAD = 2 * 1024 * 1024


def marked(text: str, figures: tuple[str, ...]) -> list[tuple[str, bool]]:
    """The text in pieces, (piece, is a changed figure): the template marks the second kind."""
    if not figures:
        return [(text, False)]
    wanted = {re.sub(r"\s+", "", f) for f in figures}
    pieces, last = [], 0
    from policy_faq.supersession import FIGURE

    for match in FIGURE.finditer(text):
        if re.sub(r"\s+", "", match.group(0)).replace("％", "%") in wanted:
            pieces += [(text[last : match.start()], False), (match.group(0), True)]
            last = match.end()
    pieces.append((text[last:], False))
    return [piece for piece in pieces if piece[0]]


@dataclass(frozen=True)
class Expiry:
    doc: str
    title: str
    valid_until: str
    days_left: int


def expiries(today: date, within: int = EXPIRY_WARNING_DAYS) -> list[Expiry]:
    """Documents (not historical, not superseded) that expire within ``within`` days or have expired."""
    from policy_faq.corpus import load_corpus
    from policy_faq.supersession import successors

    replaced = successors()
    out = []
    for doc in load_corpus():
        if not doc.valid_until or doc.status == "historical" or doc.id in replaced:
            continue
        left = (date.fromisoformat(doc.valid_until) - today).days
        if left <= within:
            out.append(Expiry(doc.id, doc.title, doc.valid_until, left))
    return sorted(out, key=lambda e: e.days_left)


def attention_count(today: date | None = None) -> int:
    """Flags to review plus expiry warnings: the badge on the menu's 政策更新."""
    from intents.respond import get_responder
    from policy_faq.supersession import review_flags

    intents = list(get_responder().by_id.values())
    return len({f.intent for f in review_flags(intents)}) + len(expiries(today or date.today()))


def _page(request: Request, user: Any, status_code: int = 200, message: str | None = None, ok: bool = True,
          parse: str | None = None) -> HTMLResponse:  # fmt: skip
    from intents.respond import get_responder
    from policy_faq.citation import clause_label
    from policy_faq.supersession import review_flags, supersessions

    today = date.today()
    intents = get_responder().by_id
    flags = review_flags(list(intents.values()))
    diffs = []
    for diff in supersessions():
        changes = [
            {"old": c.old, "new": c.new, "kind": c.kind, "label": clause_label(c.old or c.new),
             "old_text": marked(c.old_text, c.removed_figures), "new_text": marked(c.new_text, c.added_figures),
             "removed": c.removed_figures, "added": c.added_figures}
            for c in diff.changes
        ]  # fmt: skip
        diff_flags = [
            {"intent": f.intent, "title": intents[f.intent].title, "old_ref": f.old_ref, "new_ref": f.new_ref}
            for f in flags if f.new_doc == diff.new.id
        ]  # fmt: skip
        diffs.append({"old": diff.old, "new": diff.new, "changes": changes, "flags": diff_flags})
    subscribers = request.app.state.web.subscriptions.counts() if getattr(request.app.state.web, "subscriptions", None) else []
    return render(request, "policies.html", status_code, user=user, message=message, ok=ok, diffs=diffs,
                  expiries=expiries(today), today=today, subscribers=subscribers, parse=parse,
                  warning_days=EXPIRY_WARNING_DAYS)  # fmt: skip


def _refuse(request: Request, user: Any) -> HTMLResponse | None:
    if not same_origin(request):
        return _page(request, user, 403, "请求来源不符，请刷新页面后重试。", ok=False)
    if user.role != "operator":
        return _page(request, user, 403, "只有运维人员可以复核或添加政策文件。", ok=False)
    return None


@router.get("/policies")
def policies_page(request: Request, user: Staff) -> HTMLResponse:
    return _page(request, user)


@router.post("/policies/review")
async def review(request: Request, user: Staff, intent: str = Form(""), doc: str = Form("")) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    outcome = await run_in_threadpool(request.app.state.web.faq_ops.mark_reviewed, user.name, intent.strip(), doc.strip())
    message = f"已复核：{intent}。{outcome.message}" if outcome.ok else outcome.message
    return _page(request, user, 200 if outcome.ok else 422, message, outcome.ok)


@router.post("/policies/add")
async def add(
    request: Request, user: Staff, file: UploadFile = File(...), doc_id: str = Form(""), title: str = Form(""),
    issuer: str = Form(""), issued: str = Form(""), jurisdiction: str = Form(""), status: str = Form("draft"),
    valid_until: str = Form(""), effective: str = Form(""), supersedes: str = Form(""), dry_run: str = Form(""),
) -> HTMLResponse:  # fmt: skip
    if (refused := _refuse(request, user)) is not None:
        return refused
    from policy_faq.documents_ops import add_document
    from policy_faq.ingest import SUFFIXES, IngestError, Metadata

    suffix = Path(file.filename or "").suffix.lower()
    data = await file.read(MAX_UPLOAD + 1)
    if suffix not in SUFFIXES or len(data) > MAX_UPLOAD:
        return _page(request, user, 422, "请上传不超过2 MB的 .txt、.md、.docx 或文字版 .pdf 文件。", ok=False)
    meta = Metadata(doc_id.strip(), title.strip(), issuer.strip(), issued.strip(), jurisdiction.strip(), status,
                    valid_until.strip() or None, supersedes.strip() or None, effective.strip() or None)  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            result = await run_in_threadpool(add_document, path, meta, bool(dry_run))
        except IngestError as error:
            return _page(request, user, 422, f"未能读入：{error}", ok=False)
    if dry_run or not result.ok:
        return _page(request, user, 200 if result.ok else 422, "\n".join(result.messages), result.ok, parse=result.parse_text)
    outcome = await run_in_threadpool(request.app.state.web.faq_ops.reload, user.name)
    return _page(request, user, 200 if outcome.ok else 422, "\n".join([*result.messages, outcome.message]), outcome.ok,
                 parse=result.parse_text)  # fmt: skip

