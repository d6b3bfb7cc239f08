"""/staff: login, the overview of what companies ask, the enquiry list and its CSV/JSON export.

Handlers are plain ``def`` functions: FastAPI runs them in its thread pool, so their SQLite
reads never block the event loop. Every page and export requires a staff login; a stranger is
sent to the login page and sees no data. Templates autoescape everything they print.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from bot.channels.web.auth import COOKIE, MAX_AGE
from bot.channels.web.passwords import StaffUser
from bot.conversation.vocabulary import CHANNEL_LABELS as CHANNELS
from bot.conversation.vocabulary import KIND_LABELS as KINDS
from bot.conversation.vocabulary import REGION_SHORT_LABELS as REGIONS
from bot.records import stats as stats
from bot.records import tickets
from bot.records.catalog import intent_catalog
from bot.records.svg import bar_chart
from intents.personal import clean, has_lone_surrogate

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
TEMPLATES.filters["china_time"] = stats.china_time
TEMPLATES.globals.update(REGIONS=REGIONS, CHANNELS=CHANNELS, KINDS=KINDS)
EXPORT_COLUMNS = (
    "id", "time", "channel", "region", "user_key", "text", "kind", "intent", "confidence", "top3", "sources",
    "latency_ms", "faq_version", "feedback",
)  # fmt: skip

router = APIRouter(prefix="/staff", include_in_schema=False)


class LoginRequired(Exception):
    """Raised by ``current_staff``; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def current_staff(request: Request) -> StaffUser:
    web = request.app.state.web
    user = web.directory.from_session(web.signer, request.cookies.get(COOKIE))
    if user is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


Staff = Annotated[StaffUser, Depends(current_staff)]


def login_redirect(request: Request, error: LoginRequired) -> Response:
    return RedirectResponse(f"/staff/login?{urlencode({'next': error.next_url})}", status_code=303)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    if context.get("user") is not None:  # the 转人工 badge in the menu: tickets waiting for a reply
        from bot.records.tickets import count_open

        context.setdefault("open_tickets", count_open(request.app.state.web.db))
        from bot.channels.web.policies import attention_count  # 需复核 intents and documents about to expire

        context.setdefault("policy_attention", attention_count())
    html = TEMPLATES.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-store"})


def same_origin(request: Request) -> bool:
    """A POST from our own pages: Origin (or Referer) names this host. SameSite=Strict does the rest."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None  # clients that send neither (curl) are allowed; "null" origins are not
    return urlsplit(origin).netloc == request.headers.get("host", "")


def safe_next(next_url: str | None) -> str:
    if next_url and next_url.startswith("/staff") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return "/staff"


# -- login -------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str = "/staff") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/staff")
) -> Response:
    if not same_origin(request):
        return render(request, "login.html", 403, next="/staff", error="请求来源不符，请刷新页面后重试。")
    web = request.app.state.web
    name = clean(name).strip()[:100]
    if has_lone_surrogate(password):
        password = ""  # cannot be anyone's password; checked like any wrong one
    keys = web.throttle.attempt(name, request.client.host if request.client else "-")  # decided before the hash
    if keys is None:
        return render(request, "login.html", 429, next=safe_next(next), error="尝试次数过多，请15分钟后再试。")
    user = web.directory.authenticate(name, password)
    if user is None:
        return render(request, "login.html", 401, next=safe_next(next), error="用户名或密码不正确。")
    web.throttle.succeeded(keys)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        request.app.state.web.signer.sign(user.name, user.role, password_hash=user.password_hash),
        max_age=MAX_AGE,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/staff/login", status_code=303)
    if same_origin(request):
        web = request.app.state.web
        web.directory.end_session(web.signer, request.cookies.get(COOKIE))
        response.delete_cookie(COOKIE, path="/staff")
    return response


# -- period and filters --------------------------------------------------------------------------
def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def scope_from(request: Request) -> tuple[stats.Scope, dict[str, str]]:
    """The scope chosen by the query string (days=7|30|90|365 or start/end), region and channel."""
    params = request.query_params
    today = stats.today_in_china()
    region = params.get("region") if params.get("region") in REGIONS else None
    channel = params.get("channel") or None
    channel = channel if channel and channel.isalnum() and len(channel) <= 20 else None
    start, end = _date(params.get("start")), _date(params.get("end"))
    days = params.get("days")
    if days not in {"1", "7", "30", "90", "365"} and start and end and start <= end and (end - start).days <= 3660:
        scope = stats.Scope(start, end, region, channel)
        days = ""
    else:
        days = days if days in {"1", "7", "30", "90", "365"} else "30"
        scope = stats.Scope.last(int(days), today, region=region, channel=channel)
    chosen = {"days": days, "start": scope.start.isoformat(), "end": scope.end.isoformat(),
              "region": region or "", "channel": channel or ""}  # fmt: skip
    return scope, chosen


def list_query_from(request: Request, limit: int | None = 50) -> stats.ListQuery:
    params = request.query_params
    try:
        page = max(int(params.get("page", "1")), 1)
    except ValueError:
        page = 1
    kind = params.get("kind") if params.get("kind") in KINDS else None
    return stats.ListQuery(
        search=(params.get("q") or "").strip()[:100],
        kind=kind,
        intent=(params.get("intent") or "").strip()[:60] or None,
        unanswered_only=params.get("unanswered") == "1",
        limit=limit,
        offset=(page - 1) * (limit or 0),
    )


def _query_string(chosen: dict[str, str], **extra: Any) -> str:
    merged = {key: value for key, value in {**chosen, **extra}.items() if value not in ("", None)}
    if merged.get("days"):
        merged.pop("start", None)
        merged.pop("end", None)
    return urlencode(merged)


# -- pages ---------------------------------------------------------------------------------------
@router.get("")
def overview(request: Request, user: Staff) -> HTMLResponse:
    db = request.app.state.web.db
    scope, chosen = scope_from(request)
    catalog = intent_catalog()
    per_day = stats.enquiries_per_day(db, scope)
    regions = stats.count_by(db, scope, "region")
    channels = stats.count_by(db, scope, "channel")
    from bot.records import report as demand_report

    report = demand_report.build(db, scope, catalog)
    return render(
        request,
        "overview.html",
        user=user,
        chosen=chosen,
        qs=_query_string(chosen),
        scope=scope,
        total=sum(n for _, n in per_day),
        chart=bar_chart(per_day),
        per_day=per_day,
        kinds=stats.count_by(db, scope, "kind"),
        top_intents=stats.top_intents(db, scope, 10),
        top_topics=stats.top_topics(db, scope, lambda intent: catalog.get(intent, {}).get("topic")),
        unanswered=stats.unanswered(db, scope, 15),
        low_confidence=stats.low_confidence(db, scope, 15),
        votes=stats.feedback(db, scope),
        handoffs=tickets.list_tickets(db, "open", "oldest", limit=50),
        demand=stats.calculator_demand(db, scope),
        regions=regions,
        channels=channels,
        matrix=stats.region_by_channel(db, scope),
        matrix_channels=[channel for channel, _ in channels],
        matrix_regions=[region for region, _ in regions],
        recent=stats.list_enquiries(db, scope, stats.ListQuery(limit=10))[0],
        catalog=catalog,
        report=report,
    )


@router.get("/enquiries")
def enquiries(request: Request, user: Staff) -> HTMLResponse:
    db = request.app.state.web.db
    scope, chosen = scope_from(request)
    query = list_query_from(request)
    rows, total = stats.list_enquiries(db, scope, query)
    for row in rows:
        row["top3"] = json.loads(row["top3"] or "[]")
        row["sources"] = json.loads(row["sources"] or "[]")
        row["basis"] = _basis(row["sources"])
    page = query.offset // (query.limit or 1) + 1
    filters = {"q": query.search, "kind": query.kind or "", "intent": query.intent or "",
               "unanswered": "1" if query.unanswered_only else ""}  # fmt: skip
    return render(
        request,
        "enquiries.html",
        user=user,
        chosen=chosen,
        filters=filters,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // (query.limit or 1))),
        qs=_query_string(chosen, **filters),
        period_qs=_query_string(chosen),
        catalog=intent_catalog(),
    )


def _basis(refs: list[str]) -> str:
    """「《…若干政策》（征求意见稿）第5条」 for clause ids (the ids stay in the exports)."""
    if not refs:
        return ""
    from policy_faq.citation import source_line

    try:
        return source_line(refs).removeprefix("依据：")
    except Exception:  # noqa: BLE001 - an id the corpus no longer has
        return "（条款已不在现行文件中）"


def _export_rows(request: Request) -> Iterator[dict[str, Any]]:
    scope, _ = scope_from(request)
    rows, _ = stats.list_enquiries(request.app.state.web.db, scope, list_query_from(request, limit=None))
    for row in rows:
        yield {column: row.get(column) for column in EXPORT_COLUMNS}


def _export_name(request: Request, suffix: str) -> str:
    scope, _ = scope_from(request)
    return f"cbec-enquiries-{scope.start.isoformat()}-{scope.end.isoformat()}.{suffix}"


@router.get("/export.csv")
def export_csv(request: Request, user: Staff) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel opens the Chinese text as UTF-8
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in _export_rows(request):
        # A cell starting with = + - @ would be a formula in a spreadsheet: quote it.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{_export_name(request, "csv")}"',
                 "cache-control": "no-store"},  # fmt: skip
    )


@router.get("/export.json")
def export_json(request: Request, user: Staff) -> Response:
    rows = list(_export_rows(request))
    for row in rows:
        row["top3"] = json.loads(row["top3"] or "[]")
        row["sources"] = json.loads(row["sources"] or "[]")
    body = json.dumps({"count": len(rows), "enquiries": rows}, ensure_ascii=False, indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{_export_name(request, "json")}"',
                 "cache-control": "no-store"},  # fmt: skip
    )



# -- 企业诉求分析: the demand report on the dashboard and as files (issue 16) ----------------------
def _report(request: Request):
    from bot.records import report as demand_report

    scope, chosen = scope_from(request)
    return demand_report, demand_report.build(request.app.state.web.db, scope, intent_catalog()), chosen


@router.get("/report")
def report_page(request: Request, user: Staff) -> HTMLResponse:
    module, built, chosen = _report(request)
    return render(request, "report.html", user=user, chosen=chosen, qs=_query_string(chosen), report=built,
                  body=module.fragment(built))  # fmt: skip


@router.get("/report.{form}")
def report_file(request: Request, form: str, user: Staff) -> Response:
    if form not in {"html", "csv", "pdf"}:
        return Response("不支持的格式。", status_code=404, media_type="text/plain; charset=utf-8")
    module, built, _ = _report(request)
    try:
        body = module.render(built, form)
    except module.PdfUnavailable as error:
        return Response(str(error), status_code=503, media_type="text/plain; charset=utf-8")
    media = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}[form]
    name = f"cbec-report-{built.scope.start.isoformat()}-{built.scope.end.isoformat()}.{form}"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"',
                                                     "cache-control": "no-store"})  # fmt: skip


# -- one enquiry's whole conversation (issue 16) ------------------------------------------------
@router.get("/enquiries/{enquiry_id}")
def conversation(request: Request, enquiry_id: str, user: Staff) -> HTMLResponse:
    from bot.records.redact import redact

    if not all(ch.isalnum() or ch in "-_" for ch in enquiry_id):
        enquiry_id = ""
    rows = stats.session_of(request.app.state.web.db, enquiry_id[:64]) if enquiry_id else []
    for row in rows:
        row["text"] = redact(row["text"] or "")
        row["top3"] = json.loads(row["top3"] or "[]")
        row["sources"] = json.loads(row["sources"] or "[]")
        row["basis"] = "依据：" + _basis(row["sources"]) if row["sources"] else ""
    status = 200 if rows else 404
    return render(request, "conversation.html", status, user=user, rows=rows, chosen_id=enquiry_id,
                  catalog=intent_catalog())  # fmt: skip
