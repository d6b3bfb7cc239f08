"""/staff/faq: operators fix the FAQ from the dashboard, without a restart.

From the triage queue (/staff/triage) an operator adds a question to an intent or starts a new
intent; the change is validated, reloaded with the dev-set gate and audited (bot/ops/faq_ops.py).
Nothing is applied silently: a question that the FAQ rebuilt with it would still refuse as out
of scope, or still match to another intent, is shown as a warning to confirm first; the message
and the audit say what changed (the question, the intent, the dev-set figures before → after,
the changed lines); a rollback asks for confirmation. The intent picker filters by title, topic
and question; a new intent starts from a template for its topic, with clauses ticked by
document and title, and gets its id by itself. A refused form keeps what was typed and says
why in Chinese. Staff may look; only operators change anything. ``POST /staff/api/reload`` is
what ``cbec-bot faq reload`` calls, authenticated by a token derived from CBEC_SECRET.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.channels.web import faq_forms
from bot.channels.web.dashboard import Staff, render, same_origin
from bot.ops.faq_ops import ACTION_NAMES, FaqOperations
from bot.records import triage
from bot.settings import Settings
from policy_faq.editor import EditRefused

router = APIRouter(prefix="/staff", include_in_schema=False)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MIN_QUESTIONS = 8


def reload_token(settings: Settings) -> str:
    """What ``cbec-bot faq reload`` sends: only holders of CBEC_SECRET can make one."""
    return hmac.new(settings.secret.get_secret_value().encode(), b"cbec-bot faq reload", "sha256").hexdigest()


def _ops(request: Request) -> FaqOperations:
    return request.app.state.web.faq_ops


def _page(request: Request, user: Any, status_code: int = 200, message: str | None = None, ok: bool = True,
          warnings: list[str] | None = None, confirm_rollback: dict | None = None, **form: Any) -> HTMLResponse:  # fmt: skip
    return render(
        request, "faq.html", status_code, user=user, message=message, ok=ok, form=form, warnings=warnings or [],
        intents=faq_forms.picker_entries(), history=_ops(request).history(30), version=_current_version(),
        ACTION_NAMES=ACTION_NAMES, confirm_rollback=confirm_rollback, figures=FaqOperations.figures,
    )  # fmt: skip


def _new_page(request: Request, user: Any, status_code: int = 200, message: str | None = None, ok: bool = True,
              **form: Any) -> HTMLResponse:  # fmt: skip
    topic = form.get("topic") if form.get("topic") in faq_forms.TOPICS else "补贴申报"
    form["topic"] = topic
    if not form.get("answer"):
        form["answer"] = faq_forms.template_for(topic)
    return render(
        request, "faq_new.html", status_code, user=user, message=message, ok=ok, form=form,
        topics=faq_forms.TOPICS, documents=faq_forms.documents(), chosen=set(form.get("clauses") or ()),
        min_questions=MIN_QUESTIONS,
    )  # fmt: skip


def _current_version() -> str:
    from intents.respond import get_responder

    return get_responder().faq.version


def _refuse(request: Request, user: Any, page=_page, **form: Any) -> HTMLResponse | None:
    if not same_origin(request):
        return page(request, user, 403, "请求来源不符，请刷新页面后重试。", ok=False, **form)
    if user.role != "operator":
        return page(request, user, 403, "只有运维人员可以修改或重新加载FAQ。", ok=False, **form)
    return None


@router.get("/faq")
def faq_page(request: Request, user: Staff, q: str = "", intent: str = "", cluster: str = "") -> HTMLResponse:
    return _page(request, user, question=q[:300], intent=intent[:60], cluster=cluster[:64])


@router.post("/faq/question")
async def add_question(request: Request, user: Staff, intent: str = Form(""), question: str = Form(""),
                       cluster: str = Form(""), confirm: str = Form("")) -> HTMLResponse:  # fmt: skip
    form = {"question": question[:300], "intent": intent.strip()[:60], "cluster": cluster[:64]}
    if (refused := _refuse(request, user, **form)) is not None:
        return refused
    ops = _ops(request)
    if not question.strip():
        return _page(request, user, 422, "请填写用户的问题。", ok=False, **form)
    if confirm != "1":
        try:
            warnings = await run_in_threadpool(ops.preview_question, form["intent"], form["question"])
        except EditRefused as error:
            return _page(request, user, 422, f"没有修改FAQ：{error}", ok=False, **form)
        if warnings:
            return _page(request, user, 200, "还没有修改FAQ：请先看下面的提醒，确认后再加入。", ok=False,
                         warnings=warnings, **form)  # fmt: skip
    outcome = await run_in_threadpool(ops.add_question, user.name, form["intent"], form["question"])
    if not outcome.ok:
        return _page(request, user, 422, outcome.message, ok=False, **form)
    await _settle_cluster(request, form["cluster"], "add-question", user.name, form["intent"], outcome.audit_id)
    return _page(request, user, 200, outcome.message, True)


async def _settle_cluster(request: Request, key: str, action: str, user: str, intent: str, audit_id: int | None) -> None:
    """The triage cluster the change came from leaves the queue (if the re-run has not already
    marked it resolved)."""
    if key:
        await run_in_threadpool(triage.decide, request.app.state.web.db, key, action, user, None, intent, audit_id)


@router.get("/faq/new")
def new_intent_page(request: Request, user: Staff, topic: str = "", questions: str = "", cluster: str = "",
                    title: str = "", answer: str = "") -> HTMLResponse:  # fmt: skip
    return _new_page(request, user, topic=topic, questions=questions[:3000], cluster=cluster[:64], title=title[:30],
                     answer=answer[:420])  # fmt: skip


@router.post("/faq/intent")
async def add_intent(request: Request, user: Staff) -> HTMLResponse:
    data = await request.form()
    form = {
        "title": str(data.get("title", "")).strip()[:60], "topic": str(data.get("topic", "")),
        "answer": str(data.get("answer", "")).strip()[:2000], "questions": str(data.get("questions", ""))[:5000],
        "clauses": [str(ref) for ref in data.getlist("clauses")][:20], "cluster": str(data.get("cluster", ""))[:64],
    }  # fmt: skip
    if (refused := _refuse(request, user, page=_new_page, **form)) is not None:
        return refused
    if data.get("apply_template"):  # 「套用模板」: the chosen topic's template, nothing applied
        return _new_page(request, user, **{**form, "answer": faq_forms.template_for(form["topic"])})
    problems = _new_intent_problems(form)
    if problems:
        return _new_page(request, user, 422, "没有新建意图：" + "；".join(problems) + "。", ok=False, **form)
    ops = _ops(request)
    from intents.respond import get_responder

    existing = set(get_responder().by_id)
    fields = dict(
        intent_id=faq_forms.new_intent_id(form["topic"], existing), title=form["title"], answer=form["answer"],
        sources=form["clauses"], questions=_lines(form["questions"]), topic=form["topic"],
        jurisdiction=faq_forms.jurisdiction_of(form["clauses"]),
    )  # fmt: skip
    outcome = await run_in_threadpool(lambda: ops.add_intent(user.name, **fields))
    if not outcome.ok:
        return _new_page(request, user, 422, outcome.message, ok=False, **form)
    await _settle_cluster(request, form["cluster"], "new-intent", user.name, fields["intent_id"], outcome.audit_id)
    return _page(request, user, 200, outcome.message, True)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _new_intent_problems(form: dict) -> list[str]:
    """What is missing or wrong in the new-intent form, in Chinese (before the FAQ validator)."""
    from policy_faq.corpus import clauses_by_ref
    from policy_faq.faq import MAX_ANSWER_CHARS

    problems = []
    if not 2 <= len(form["title"]) <= 30:
        problems.append("标题须为2到30个字")
    if form["topic"] not in faq_forms.TOPICS:
        problems.append("请选择主题")
    questions = _lines(form["questions"])
    if len(set(questions)) < MIN_QUESTIONS:
        problems.append(f"请至少写{MIN_QUESTIONS}个不同的问法（现在{len(set(questions))}个）")
    if "……" in form["answer"]:
        problems.append("答复里还有模板的“……”，请换成所选条款的内容")
    if len(form["answer"]) < 10:
        problems.append("答复太短（至少10个字）")
    elif len(form["answer"]) > MAX_ANSWER_CHARS:
        problems.append(f"答复有{len(form['answer'])}字，超过了{MAX_ANSWER_CHARS}字的上限")
    if not form["clauses"]:
        problems.append("请至少勾选一条依据条款")
    unknown = [ref for ref in form["clauses"] if ref not in clauses_by_ref()]
    if unknown:
        problems.append("条款" + "、".join(f"“{ref}”" for ref in unknown) + "不存在，请从列表中勾选")
    return problems


@router.post("/faq/reload")
async def reload(request: Request, user: Staff) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    outcome = await run_in_threadpool(_ops(request).reload, user.name)
    _count(request, outcome.ok)
    return _page(request, user, 200 if outcome.ok else 422, outcome.message, outcome.ok)


@router.post("/faq/rollback/{audit_id}")
async def rollback(request: Request, user: Staff, audit_id: int, confirm: str = Form("")) -> HTMLResponse:
    if (refused := _refuse(request, user)) is not None:
        return refused
    ops = _ops(request)
    if confirm != "1":  # first the operator sees what would be undone
        entry = next((row for row in ops.history(1000) if row["id"] == audit_id), None)
        if entry is None or entry["outcome"] != "applied" or not entry["file"]:
            return _page(request, user, 422, f"第{audit_id}条记录不是已生效的修改，无法回滚。", ok=False)
        if entry["rolled_back_by"]:
            return _page(request, user, 422, f"第{audit_id}条修改已经由第{entry['rolled_back_by']}条记录回滚过了。", ok=False)
        return _page(request, user, 200, confirm_rollback=entry)
    outcome = await run_in_threadpool(ops.rollback, user.name, audit_id)
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
