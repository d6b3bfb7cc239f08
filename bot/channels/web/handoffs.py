"""/staff/handoffs: the 转人工 queue and one ticket's thread with a reply box (bot/records/tickets.py).

The queue shows how long each user has waited, overdue tickets in red, newest or oldest
first; the thread shows the conversation the ticket carries (redacted), what the user added,
the replies, and the call-back number (staff only). A reply is stored in the ticket and
collected by the user's channel: an open web page within its 2-second poll.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.channels.web.dashboard import Staff, render, same_origin
from bot.records import tickets

router = APIRouter(prefix="/staff/handoffs", include_in_schema=False)
OVERDUE_SECONDS = 4 * 3600  # an open ticket waiting longer than this is shown in red
STATE_NAMES = {"open": "待回复", "answered": "已回复", "closed": "已关闭"}


@router.get("")
def queue(request: Request, user: Staff, state: str = "open", sort: str = "oldest") -> HTMLResponse:
    db = request.app.state.web.db
    state = state if state in (*tickets.STATES, "all") else "open"
    sort = sort if sort in ("oldest", "newest") else "oldest"
    now = datetime.now(UTC)
    rows = []
    for ticket in tickets.list_tickets(db, None if state == "all" else state, sort):
        waited = tickets.waiting_seconds(ticket, now)
        first = next((line["text"] for line in ticket.transcript if line.get("who") == "user"), "")
        rows.append({
            "ticket": ticket, "waited": tickets.waited_label(waited), "first": first,
            "overdue": ticket.state == "open" and waited > OVERDUE_SECONDS,
        })  # fmt: skip
    return render(
        request, "handoffs.html", user=user, rows=rows, state=state, sort=sort, STATE_NAMES=STATE_NAMES,
        overdue_hours=OVERDUE_SECONDS // 3600,
    )  # fmt: skip


@router.get("/{ticket_id}")
def thread(request: Request, user: Staff, ticket_id: int, error: str = "") -> Response:
    db = request.app.state.web.db
    try:
        ticket = tickets.get(db, ticket_id)
    except tickets.TicketError:
        return render(request, "ticket.html", 404, user=user, ticket=None, messages=[], error="没有这个工单。")
    return render(
        request, "ticket.html", user=user, ticket=ticket, messages=tickets.messages(db, ticket_id),
        waited=tickets.waited_label(tickets.waiting_seconds(ticket)), STATE_NAMES=STATE_NAMES, error=error,
    )  # fmt: skip


@router.post("/{ticket_id}/reply")
def reply(request: Request, user: Staff, ticket_id: int, text: str = Form("")) -> Response:
    if not same_origin(request):
        return Response("请求来源不符", status_code=403)
    try:
        tickets.reply(request.app.state.web.db, ticket_id, text, user.name, via="dashboard")
    except tickets.TicketError as error:
        return thread(request, user, ticket_id, error=str(error))
    return RedirectResponse(f"/staff/handoffs/{ticket_id}", status_code=303)


@router.post("/{ticket_id}/close")
def close(request: Request, user: Staff, ticket_id: int) -> Response:
    if not same_origin(request):
        return Response("请求来源不符", status_code=403)
    try:
        tickets.close(request.app.state.web.db, ticket_id, user.name)
    except tickets.TicketError as error:
        return thread(request, user, ticket_id, error=str(error))
    return RedirectResponse(f"/staff/handoffs/{ticket_id}", status_code=303)
