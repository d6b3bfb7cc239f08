"""/staff/triage: the triage queue (bot/records/triage.py) and its 已处理 view.

Each cluster of similar unanswered, asked-back or 👎 enquiries offers four decisions: add to
an intent and start a new intent open the FAQ forms filled in with the cluster's texts (the
decision is recorded when the FAQ change lands); out of scope (a reason is required) and
dismiss are recorded here. Staff and operators may decide; only operators change the FAQ.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.channels.web.dashboard import Staff, render, same_origin
from bot.records import triage
from bot.records.catalog import intent_catalog

router = APIRouter(prefix="/staff/triage", include_in_schema=False)
DAY_CHOICES = {"7": "近7天", "30": "近30天", "90": "近90天", "365": "近一年"}
SHOWN = 60  # clusters on the page (the rest are counted)


def _days(value: str) -> int:
    return int(value) if value in DAY_CHOICES else triage.DAYS


def _page(request: Request, user, days: int, status_code: int = 200, message: str | None = None, ok: bool = True,
          view: str = "queue", form: dict | None = None) -> HTMLResponse:  # fmt: skip
    db = request.app.state.web.db
    clusters = triage.queue(db, days) if view == "queue" else []
    decisions = triage.handled(db) if view == "handled" else []
    total = sum(c.count for c in clusters)
    earlier = triage.earlier_decisions(db, clusters[:SHOWN]) if clusters else {}
    return render(
        request, "triage.html", status_code, user=user, clusters=clusters[:SHOWN], more=max(len(clusters) - SHOWN, 0),
        total=total, cluster_count=len(clusters), decisions=decisions, view=view, days=str(days),
        DAY_CHOICES=DAY_CHOICES, ACTIONS=triage.ACTIONS, catalog=intent_catalog(), message=message, ok=ok,
        form=form or {}, earlier=earlier,
    )  # fmt: skip


@router.get("")
def queue_page(request: Request, user: Staff, days: str = "", view: str = "queue", done: str = "") -> HTMLResponse:
    message = "已处理，这一组已移到“已处理”。" if done.isdigit() else None
    return _page(request, user, _days(days), message=message, view="handled" if view == "handled" else "queue")


@router.post("/decide")
async def decide(request: Request, user: Staff, key: str = Form(""), action: str = Form(""), reason: str = Form(""),
                 days: str = Form("")) -> Response:  # fmt: skip
    chosen = _days(days)
    if not same_origin(request):
        return _page(request, user, chosen, 403, "请求来源不符，请刷新页面后重试。", ok=False)
    reason = " ".join(reason.split())[:200]
    if action not in ("out-of-scope", "dismissed"):
        return _page(request, user, chosen, 422, "请选择一种处理方式。", ok=False)
    if action == "out-of-scope" and not reason:
        return _page(request, user, chosen, 422, "标记为“不属于本助手范围”时请写明理由（例如：个人事务，请咨询12345）。",
                     ok=False, form={"key": key})  # fmt: skip
    db = request.app.state.web.db
    decided = await run_in_threadpool(triage.decide, db, key[:64], action, user.name, reason or None, None, None, chosen)
    if decided is None:
        return _page(request, user, chosen, 409, "这一组已经处理过或已有变化，请看最新的队列。", ok=False)
    return RedirectResponse(f"/staff/triage?days={chosen}&done={decided}", status_code=303)


@router.post("/reopen/{decision_id}")
async def reopen(request: Request, user: Staff, decision_id: int) -> Response:
    if not same_origin(request):
        return _page(request, user, triage.DAYS, 403, "请求来源不符，请刷新页面后重试。", ok=False, view="handled")
    reopened = await run_in_threadpool(triage.reopen, request.app.state.web.db, decision_id, user.name)
    if not reopened:
        return _page(request, user, triage.DAYS, 409, "这条处理记录已经放回过队列。", ok=False, view="handled")
    return RedirectResponse("/staff/triage?view=handled", status_code=303)
