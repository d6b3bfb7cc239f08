"""Issue 14: a hand-off is a ticket on every channel. Opened by 转人工, /human, the 都不是 and
转人工 buttons, offered (not forced) after two 👎 in a row; promises true for the
configuration (CBEC_HANDOFF_HOURS, CBEC_HANDOFF_CONTACT); a call-back number kept in the ticket
only; staff answer from the dashboard (queue, thread, reply) or `cbec-bot handoff`; the web page
collects the reply with its poll; idle tickets close and numbers are erased 30 days after.
Real SQLite files, the real conversation core and the real web app."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conversation_driver import Chat
from test_web import PASSWORD, TestClient, login

from bot.channels.web.app import create_app
from bot.channels.web.passwords import hash_password
from bot.cli.commands import main
from bot.conversation.flows.handoff import when_answered
from bot.conversation.service_hours import parse_hours
from bot.records import tickets
from bot.settings import SettingsError, load_settings
from bot.storage import open_database
from policy_faq.typography import offences

PHONE = "13912345678"
SESSION = "phone-user-0001"


def tables_without_tickets(path: Path) -> str:
    """Every row of every table but the tickets', as text (what the enquiry log and state hold)."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(
            repr(row) for name in names if name != "tickets" for row in conn.execute(f"SELECT * FROM [{name}]")
        )


# -- the conversation ------------------------------------------------------------------------------
def test_every_way_to_ask_for_a_person_opens_a_ticket_and_the_log_matches(tmp_path: Path) -> None:
    db_path = tmp_path / "cbec.db"
    routes = {
        "typed": lambda chat: chat.say("转人工"),
        "command": lambda chat: chat.say("/human"),
        "fallback button": lambda chat: (chat.say("今天天气怎么样"), chat.press("转人工")),
        "clarify button": lambda chat: (chat.say("品牌补贴"), chat.press("都不是，转人工")),
        "menu button": lambda chat: (chat.say("/menu"), chat.press("转人工")),
    }
    chat = Chat(db_path)
    try:
        for n, (name, route) in enumerate(routes.items()):
            chat.channel, chat.user = ("web", "telegram", "cli")[n % 3], f"user-{n}"  # a new user each time
            route(chat)
            assert f"工单编号#{n + 1}" in chat.text, name
            assert offences(chat.text) == [], (name, offences(chat.text))
        logged = {r["id"] for r in chat.rows("SELECT id FROM handoffs")}
        ticketed = {r["handoff_id"] for r in chat.rows("SELECT handoff_id FROM tickets")}
        assert len(logged) == len(routes) and logged == ticketed  # every hand-off in the log has its ticket
        channels = [r["channel"] for r in chat.rows("SELECT channel FROM tickets ORDER BY id")]
        assert channels == ["web", "telegram", "cli", "web", "telegram"]
    finally:
        chat.close()


def test_two_thumbs_down_in_a_row_offer_a_ticket_without_opening_one(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "cbec.db")
    try:
        chat.say("海外仓补贴怎么申请")
        chat.press("👎 没帮助")
        assert "需要人工帮助可以点「转人工」" in chat.text
        chat.say("跨境电商出口怎么退税")
        chat.press("👍 有帮助")  # a 👍 between: not in a row
        chat.say("9610是什么")
        chat.press("👎 没帮助")
        assert "连续两条" not in chat.text
        chat.say("9710是什么")
        chat.press("👎 没帮助")
        assert "连续两条回答都没帮到您" in chat.text and offences(chat.text) == []
        assert chat.labels() == ["转人工", "返回菜单"]
        assert chat.rows("SELECT count(*) AS n FROM tickets") == [{"n": 0}]  # offered, not forced
        chat.press("转人工")
        [ticket] = chat.rows("SELECT transcript, intents FROM tickets")
        transcript = json.loads(ticket["transcript"])
        said = [line["text"] for line in transcript if line["who"] == "user"]
        assert said[-2:] == ["9610是什么", "9710是什么"] and any(line["who"] == "bot" for line in transcript)
        assert len(json.loads(ticket["intents"])) >= 3
    finally:
        chat.close()


def test_a_call_back_number_goes_into_the_ticket_only(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "cbec.db", handoff_contact="大连高新区跨境电商服务中心 0411-84790000")
    try:
        chat.say("海外仓补贴要什么材料")
        chat.say("转人工")
        assert "急事可以直接联系：大连高新区跨境电商服务中心0411-84790000。" in chat.text
        chat.press("留下电话，请工作人员回电")
        assert "只保存在工单里" in chat.text and "关闭30天后删除" in chat.text
        chat.say(f"我的手机 {PHONE}")
        assert "已记下您的电话139****5678（只保存在工单#1里）" in chat.text and PHONE not in chat.text
        assert chat.labels() == ["返回菜单"]
        chat.say("转人工")  # the ticket has its number: no second offer to leave one
        assert "留下电话，请工作人员回电" not in chat.labels()
        assert chat.rows("SELECT callback_phone FROM tickets") == [{"callback_phone": PHONE}]
        assert PHONE not in tables_without_tickets(tmp_path / "cbec.db")
        # something else than a number after 「留下电话」 is read as a question
        chat.press("返回菜单")
        chat.say("转人工")
        chat.say("算了，海外仓补贴多少")
        assert "海外仓" in chat.text
    finally:
        chat.close()


# -- promises ---------------------------------------------------------------------------------------
def test_working_hours_are_parsed_and_promised_truthfully() -> None:
    hours = parse_hours("mon-fri 09:00-17:00 Asia/Shanghai")
    assert hours.label() == "周一至周五9:00—17:00（北京时间）"
    assert parse_hours("daily 08:30-20:00").label() == "每天8:30—20:00（北京时间）"
    assert parse_hours("mon,wed,fri 10:00-12:00 Europe/Berlin").label() == "周一、周三、周五10:00—12:00（Europe/Berlin）"
    tuesday_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    friday_evening = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # 19:00
    assert when_answered(hours, tuesday_10) == (
        "现在是服务时间（周一至周五9:00—17:00（北京时间）），工作人员一般会在今天17:00前回复您。"
    )
    for now in (saturday, friday_evening):
        text = when_answered(hours, now)
        assert "现在不是服务时间" in text and "11月30日（周一）9:00上班后处理并回复您" in text
    assert "无法告诉您确切的回复时间" in when_answered(None, saturday)
    for text in (when_answered(hours, tuesday_10), when_answered(hours, saturday), when_answered(None, saturday)):
        assert "尽快" not in text


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("mon-fri", "expected 'DAYS HH:MM-HH:MM [ZONE]'"),
        ("weekdays 9:00-17:00", "bad days"),
        ("mon-fri 9-17", "bad hours"),
        ("mon-fry 09:00-17:00", "bad days"),
        ("mon-fri 17:00-09:00", "must start before it ends"),
        ("mon-fri 09:00-17:00 Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_working_hours_stop_the_program_with_a_clear_line(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(handoff_hours=value)
    assert str(error.value).startswith("CBEC_HANDOFF_HOURS:") and says in str(error.value)
    result = CliRunner().invoke(main, ["handoff", "list"], env={"CBEC_HANDOFF_HOURS": value})
    assert result.exit_code == 2 and "CBEC_HANDOFF_HOURS" in result.output


def test_outside_working_hours_the_ticket_is_taken_and_the_day_is_named(tmp_path: Path) -> None:
    from bot.conversation.core import Conversation

    chat = Chat(tmp_path / "cbec.db", handoff_hours="mon-fri 09:00-17:00 Asia/Shanghai")
    try:
        saturday = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
        chat.conversation = Conversation(chat.settings, chat.db, chat.log, clock=lambda: saturday)
        chat.say("转人工")
        assert "已为您转人工，工单编号#1。现在不是服务时间（周一至周五9:00—17:00（北京时间））" in chat.text
        assert "11月30日（周一）9:00上班后处理并回复您" in chat.text
    finally:
        chat.close()


# -- the ticket's life -----------------------------------------------------------------------------
def test_idle_answered_tickets_close_and_numbers_are_erased_30_days_after(db_target) -> None:
    db = open_database(db_target)
    try:
        start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        opened = [
            tickets.open_ticket(db, handoff_id=f"h{n}", channel="web", chat_id=f"s{n}", user_key="k", region=None,
                                intents=[], transcript=[{"who": "user", "text": f"问题{n} 电话{PHONE}"}], now=start)
            for n in range(3)
        ]  # fmt: skip
        assert PHONE not in opened[0].transcript[0]["text"]  # the transcript is redacted
        for ticket in opened:
            tickets.set_callback(db, ticket.id, PHONE, now=start)
        tickets.reply(db, 1, "已处理。", "王老师", via="dashboard", now=start + timedelta(hours=1))
        tickets.close(db, 2, "王老师", now=start + timedelta(hours=2))
        assert tickets.housekeeping(db, idle_days=14, now=start + timedelta(days=10)) == (0, 0)
        assert tickets.housekeeping(db, idle_days=14, now=start + timedelta(days=15)) == (1, 0)
        states = {t.id: (t.state, t.closed_by) for t in tickets.list_tickets(db)}
        assert states == {1: ("closed", "idle"), 2: ("closed", "王老师"), 3: ("open", None)}  # never an unanswered one
        assert tickets.housekeeping(db, idle_days=14, now=start + timedelta(days=33)) == (0, 1)  # ticket 2's
        assert tickets.housekeeping(db, idle_days=14, now=start + timedelta(days=46)) == (0, 1)  # ticket 1's
        assert [t.callback_phone for t in tickets.list_tickets(db)] == [None, None, PHONE]
        with pytest.raises(tickets.TicketError, match="已关闭"):
            tickets.reply(db, 2, "还在吗", "王老师", via="cli")
        with pytest.raises(tickets.TicketError, match="没有编号为9的工单"):
            tickets.close(db, 9, "王老师")
    finally:
        db.close()


def test_handoff_cli_lists_replies_and_closes(tmp_path: Path) -> None:
    db_path = tmp_path / "cbec.db"
    chat = Chat(db_path)
    try:
        chat.say("海外仓补贴怎么申请")
        chat.say("转人工")
    finally:
        chat.close()
    env = {"CBEC_DB": str(db_path), "CBEC_SECRET": "test-secret"}
    runner = CliRunner()
    listed = runner.invoke(main, ["handoff", "list"], env=env)
    assert listed.exit_code == 0 and listed.output.startswith("#1  open") and "海外仓补贴怎么申请" in listed.output
    replied = runner.invoke(main, ["handoff", "reply", "1", "请带上费用凭证到服务中心。", "--as", "王老师"], env=env)
    assert replied.exit_code == 0 and "已回复工单#1" in replied.output, replied.output
    data = json.loads(runner.invoke(main, ["handoff", "list", "--json", "--state", "answered"], env=env).output)
    assert data["count"] == 1
    [ticket] = data["tickets"]
    assert (ticket["state"], ticket["answered_by"], ticket["channel"]) == ("answered", "王老师", "web")
    assert [m["text"] for m in ticket["messages"]] == ["请带上费用凭证到服务中心。"]
    assert json.loads(runner.invoke(main, ["handoff", "list", "--json", "--state", "open"], env=env).output)["count"] == 0
    assert runner.invoke(main, ["handoff", "close", "1"], env=env).exit_code == 0
    again = runner.invoke(main, ["handoff", "reply", "1", "补充"], env=env)
    assert again.exit_code == 1 and "工单#1已关闭" in again.output
    assert runner.invoke(main, ["handoff", "close", "7"], env=env).exit_code == 1


# -- the dashboard and the web page ----------------------------------------------------------------
@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    yield from _web(tmp_path / "web.db", monkeypatch)


@pytest.fixture
def web_both(db_target, monkeypatch: pytest.MonkeyPatch):
    """``web`` on SQLite, then on PostgreSQL."""
    yield from _web(db_target, monkeypatch)


def _web(target, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CBEC_STAFF_USERS", f"alice:staff:{hash_password(PASSWORD, iterations=1000)}")
    monkeypatch.setenv("CBEC_SECRET", "web-test-secret")
    settings = load_settings(db=target)
    with TestClient(create_app(settings)) as client:  # the real core, enquiry log and database
        yield client, target


def say(client: TestClient, text: str | None = None, button: str | None = None) -> list[dict]:
    body = {"session": SESSION, **({"text": text} if text is not None else {"button": button})}
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200
    return response.json()["replies"]


def test_staff_answer_a_web_ticket_from_the_dashboard(web) -> None:
    client, db_path = web
    say(client, "海外仓去年花了80万，高新区能补多少？")
    [told] = say(client, "转人工")
    assert told["text"].startswith("已为您转人工，工单编号#1。")
    say(client, button="tk:phone")
    say(client, PHONE)
    assert client.get("/staff/handoffs", follow_redirects=False).status_code == 303  # strangers: the login page

    login(client)
    queue = client.get("/staff/handoffs").text
    assert 'id="open-tickets">1<' in queue and 'data-ticket="1"' in queue and "要回电" in queue
    assert "海外仓去年花了80万" in queue and "0分钟" in queue
    page = client.get("/staff/handoffs/1").text
    assert "工单#1" in page and "待回复" in page and f"请回电：<strong>{PHONE}</strong>" in page
    assert "海外仓去年花了80万，高新区能补多少？" in page and "助手" in page and "海外仓" in page

    sent = client.post(
        "/staff/handoffs/1/reply", data={"text": "您好，可补40万元，请准备费用凭证。"},
        headers={"origin": "http://testserver"}, follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    page = client.get("/staff/handoffs/1").text
    assert "已回复" in page and "回复（alice）" in page and "您好，可补40万元" in page
    assert 'id="open-tickets"' not in client.get("/staff/handoffs?state=all").text  # none left to answer

    replies = client.post("/api/chat/poll", json={"session": SESSION}).json()["replies"]
    assert replies == [{"text": "人工客服回复（工单#1）：\n您好，可补40万元，请准备费用凭证。", "buttons": []}]
    assert client.post("/api/chat/poll", json={"session": SESSION}).json()["replies"] == []
    metrics = client.get("/metrics").text
    assert "cbec_open_handoffs 0.0" in metrics and "cbec_oldest_open_handoff_seconds 0.0" in metrics

    closed = client.post("/staff/handoffs/1/close", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert closed.status_code == 303 and "已关闭" in client.get("/staff/handoffs/1").text
    refused = client.post("/staff/handoffs/1/reply", data={"text": "x"}, headers={"origin": "https://evil.example"})
    assert refused.status_code == 403
    assert PHONE not in tables_without_tickets(db_path)


def test_the_queue_sorts_and_marks_overdue_tickets(web_both) -> None:
    client, db_path = web_both
    db = open_database(db_path)
    try:
        old = datetime.now(UTC) - timedelta(hours=6)
        for n, when in enumerate([old, datetime.now(UTC)]):
            tickets.open_ticket(db, handoff_id=f"q{n}", channel="telegram", chat_id=str(n), user_key="k",
                                region="sichuan", intents=[], transcript=[{"who": "user", "text": f"问题{n}"}],
                                now=when)  # fmt: skip
    finally:
        db.close()
    metrics = client.get("/metrics").text
    assert "cbec_open_handoffs 2.0" in metrics
    oldest = float(next(line.split()[1] for line in metrics.splitlines() if line.startswith("cbec_oldest_open")))
    assert 6 * 3600 - 60 < oldest < 6 * 3600 + 60
    login(client)
    oldest_first = client.get("/staff/handoffs").text
    assert oldest_first.index('data-ticket="1"') < oldest_first.index('data-ticket="2"')
    assert '<tr class="overdue" data-ticket="1">' in oldest_first and '<tr class="" data-ticket="2">' in oldest_first
    assert "6小时0分" in oldest_first or "5小时59分" in oldest_first
    newest_first = client.get("/staff/handoffs?sort=newest").text
    assert newest_first.index('data-ticket="2"') < newest_first.index('data-ticket="1"')
    assert 'id="open-tickets">2<' in client.get("/staff").text  # the badge on every page
