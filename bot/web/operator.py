"""/staff/faq: operators fix the FAQ from the dashboard, without a restart.

From the queue of unanswered and low-confidence questions an operator adds the question to an
intent or starts a new intent; the change is validated, reloaded with the dev-set gate and
audited (bot/faq_ops.py). The audit list can roll any applied change back. Staff may look;
only operators change anything. ``POST /staff/api/reload`` is what ``cbec-bot faq reload``
calls, authenticated by a token derived from CBEC_SECRET.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.faq_ops import FaqOperations
from bot.settings import Settings
from bot.web.catalog import intent_catalog
from bot.web.dashboard import Staff, render, same_origin
from policy_faq.faq import Topic

router = APIRouter(prefix="/staff", include_in_schema=False)
TOPICS = Topic.__args__  # type: ignore[attr-defined]
JURISDICTIONS = ("dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan", "national", "multi")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def reload_token(settings: Settings) -> str:
    """What ``cbec-bot faq reload`` sends: only holders of CBEC_SECRET can make one."""
    return hmac.new(settings.secret.get_secret_value().encode(), b"cbec-bot faq reload", "sha256").hexdigest()


def _ops(request: Request) -> FaqOperations:
    return request.app.state.web.faq_ops


def _page(request: Request, user: Any, status_code: int = 200, message: str | None = None, ok: bool = True,
          **form: str) -> HTMLResponse:  # fmt: skip
    catalog = intent_catalog()
    return render(
        request, "faq.html", status_code, user=user, message=message, ok=ok, form=form,
        intents=sorted(catalog.items()), history=_ops(request).history(30),
        version=_current_version(), topics=TOPICS, jurisdictions=JURISDICTIONS,
    )  # fmt: skip


def _current_version() -> str:
    from intents.respond import get_responder

    return get_responder().faq.version


def _refuse(request: Request, user: Any) -> HTMLResponse | None:
    if not same_origin(request):
        return _page(request, user, 403, "请求来源不符,请刷新页面后重试。", ok=False)
    if user.role != "operator":
        return _page(request, user, 403, "只有运维人员可以修改或重新加载FAQ。", ok=False)
    return None


@router.get("/faq")
def faq_page(request: Request, user: Staff, q: str = "", intent: str = "") -> HTMLResponse:
    return _page(request, user, question=q[:300], intent=intent[:60])


@router.post("/faq/question")
async def add_question(request: Request, user: Staff, intent: str = Form(""), question: str = Form("")) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    outcome = await run_in_threadpool(_ops(request).add_question, user.name, intent.strip(), question[:300])
    return _page(request, user, 200 if outcome.ok else 422, outcome.message, outcome.ok)


@router.post("/faq/intent")
async def add_intent(
    request: Request, user: Staff, intent_id: str = Form(""), title: str = Form(""), answer: str = Form(""),
    sources: str = Form(""), questions: str = Form(""), topic: str = Form(""), jurisdiction: str = Form(""),
) -> HTMLResponse:  # fmt: skip
    if (refused := _refuse(request, user)) is not None:
        return refused
    fields = dict(
        intent_id=intent_id.strip(), title=title.strip(), answer=answer.strip(), topic=topic, jurisdiction=jurisdiction,
        sources=[s for s in sources.replace(",", " ").replace(",", " ").split() if s],
        questions=[q for q in questions.splitlines() if q.strip()],
    )  # fmt: skip
    outcome = await run_in_threadpool(_ops(request).add_intent, user.name, **fields)
    return _page(request, user, 200 if outcome.ok else 422, outcome.message, outcome.ok)


@router.post("/faq/reload")
async def reload(request: Request, user: Staff) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    outcome = await run_in_threadpool(_ops(request).reload, user.name)
    _count(request, outcome.ok)
    return _page(request, user, 200 if outcome.ok else 422, outcome.message, outcome.ok)


@router.post("/faq/rollback/{audit_id}")
async def rollback(request: Request, user: Staff, audit_id: int) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    outcome = await run_in_threadpool(_ops(request).rollback, user.name, audit_id)
    return _page(request, user, 200 if outcome.ok else 422, outcome.message, outcome.ok)


@router.post("/api/reload")
async def reload_api(request: Request) -> Response:
    web = request.app.state.web
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent, reload_token(web.settings)):
        return JSONResponse({"ok": False, "reason": "认证失败"}, status_code=401)
    default = web.settings.secret.get_secret_value() == Settings.model_fields["secret"].default.get_secret_value()
    if default and (request.client is None or request.client.host not in LOOPBACK):
        return JSONResponse({"ok": False, "reason": "CBEC_SECRET 仍是默认值,只接受本机请求"}, status_code=403)
    outcome = await run_in_threadpool(web.faq_ops.reload, "cli")
    _count(request, outcome.ok)
    body = {"ok": outcome.ok, "reason": outcome.message, **(outcome.reload.as_dict() if outcome.reload else {})}
    return JSONResponse(body, status_code=200 if outcome.ok else 409)


def _count(request: Request, ok: bool) -> None:
    request.app.state.web.metrics.faq_reloads.labels(outcome="applied" if ok else "refused").inc()
