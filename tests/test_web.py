"""The web app in-process: chat API, OpenAPI, health, staff login, dashboard, exports, /staff/sql."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.web.app import create_app
from bot.channels.web.passwords import hash_password
from bot.records import tickets
from bot.records.enquiry_log import EnquiryLog
from bot.settings import load_settings
from bot.storage import open_database
from bot.storage.sqlite import Database

PASSWORD = "correct horse 电池"


@dataclass(frozen=True)
class Button:
    label: str
    value: str


@dataclass(frozen=True)
class Out:
    text: str
    buttons: tuple = ()
    chat_id: str | None = None


@dataclass(frozen=True)
class Reply:
    kind: str
    intent: str | None
    confidence: float
    sources: tuple = ()
    suggestions: tuple = ()
    faq_version: str = "test"


class FakeCore:
    """Answers like the conversation core would, and logs through the real EnquiryLog."""

    def __init__(self, log: EnquiryLog) -> None:
        self.log = log
        self.seen: list[tuple[str, str | None, str | None]] = []

    def __call__(self, session: str, text: str | None, button: str | None) -> list[Out]:
        self.seen.append((session, text, button))
        question = text or button or ""
        if "天气" in question:
            reply = Reply("fallback", None, 0.0)
        else:
            reply = Reply("answer", "gxq-overseas-warehouse-subsidy", 0.93, ("dalian-gxq-2026:5",))
        self.log.enquiry(channel="web", user_id=session, region="dalian-gxq", text=question, reply=reply, latency_ms=2.0)
        if "人工" in question:
            self.log.handoff_opened(channel="web", user_id=session, handoff_id="h-" + session, summary=question)
            tickets.open_ticket(
                self.log.db, handoff_id="h-" + session, channel="web", chat_id=session, user_key="k-" + session,
                region="dalian-gxq", intents=[], transcript=[{"who": "user", "text": question}],
            )  # fmt: skip
            return [Out("已为您转人工。"), Out("新的转人工请求", chat_id="-100")]
        return [Out(f"答:{question}", ((Button("海外仓补贴", "gxq-overseas-warehouse-subsidy"), Button("菜单", "menu")),))]


class TestClient:
    """httpx over ASGI on one event loop kept for the test, with the app's lifespan run around it
    (starlette's own TestClient now wants a package this project does not depend on)."""

    __test__ = False

    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self.app = app
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        self._lifespan = contextlib.AsyncExitStack()

    def __enter__(self) -> TestClient:
        self._runner.run(self._lifespan.enter_async_context(self.app.router.lifespan_context(self.app)))
        return self

    def __exit__(self, *exc: object) -> None:
        self._runner.run(self._client.aclose())
        self._runner.run(self._lifespan.aclose())
        self._runner.close()

    def request(self, method: str, url: str, follow_redirects: bool = True, cookies: dict | None = None, **kw: Any):
        if cookies:  # one-off cookies, not kept
            kw.setdefault("headers", {})["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=str(self._client.base_url))
            try:
                return self._runner.run(client.request(method, url, follow_redirects=follow_redirects, **kw))
            finally:
                self._runner.run(client.aclose())
        return self._runner.run(self._client.request(method, url, follow_redirects=follow_redirects, **kw))

    def get(self, url: str, **kw: Any):
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any):
        return self.request("POST", url, **kw)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Database, FakeCore]]:
    yield from _env(tmp_path / "web.db", monkeypatch)


@pytest.fixture
def env_both(db_target, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Database, FakeCore]]:
    """``env`` on SQLite, then on PostgreSQL: the staff pages must show the same on both."""
    yield from _env(db_target, monkeypatch)


def _env(target, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Database, FakeCore]]:
    entries = [f"alice:staff:{hash_password(PASSWORD, iterations=1000)}", f"olga:operator:{hash_password('x', 1000)}"]
    monkeypatch.setenv("CBEC_STAFF_USERS", ";".join(entries))
    settings = load_settings()
    db = open_database(target)
    log = EnquiryLog(db, "test-secret")
    core = FakeCore(log)
    with TestClient(create_app(settings, db=db, chat=core), base_url="http://testserver") as client:
        yield client, db, core
    log.close()
    db.close()


def login(client: TestClient, name: str = "alice", password: str = PASSWORD, next_url: str = "/staff"):
    return client.post(
        "/staff/login", data={"name": name, "password": password, "next": next_url},
        headers={"origin": "http://testserver"}, follow_redirects=False,
    )  # fmt: skip


def test_chat_api_answers_with_buttons(env) -> None:
    client, db, core = env
    response = client.post("/api/chat", json={"session": "abcdefgh1234", "text": "  海外仓补贴多少？ "})
    assert response.status_code == 200
    assert response.json() == {
        "replies": [
            {
                "text": "答:海外仓补贴多少？",
                "buttons": [
                    {"label": "海外仓补贴", "value": "gxq-overseas-warehouse-subsidy"},
                    {"label": "菜单", "value": "menu"},
                ],
            }
        ]
    }
    response = client.post("/api/chat", json={"session": "abcdefgh1234", "button": "menu"})
    assert response.status_code == 200
    assert core.seen == [("abcdefgh1234", "海外仓补贴多少？", None), ("abcdefgh1234", None, "menu")]


@pytest.mark.parametrize(
    "body",
    [
        {"session": "abcdefgh1234"},
        {"session": "abcdefgh1234", "text": "a", "button": "b"},
        {"session": "abcdefgh1234", "text": "   "},
        {"session": "short", "text": "hi"},
        {"session": "<script>alert(1)</script>", "text": "hi"},
        {"session": "abcdefgh1234", "text": "长" * 2001},
    ],
)
def test_chat_api_refuses_bad_requests(env, body: dict) -> None:
    client, _, core = env
    assert client.post("/api/chat", json=body).status_code == 422
    assert core.seen == []


def test_messages_for_other_chats_are_not_shown_to_the_user(env) -> None:
    client, _, _ = env
    replies = client.post("/api/chat", json={"session": "abcdefgh1234", "text": "转人工"}).json()["replies"]
    assert [r["text"] for r in replies] == ["已为您转人工。"]


def test_outbox_messages_reach_the_page_by_polling(env) -> None:
    client, _, _ = env
    client.app.state.web.outbox.deliver("abcdefgh1234", Out("工作人员:您好,我来帮您。"))
    replies = client.post("/api/chat/poll", json={"session": "abcdefgh1234"}).json()["replies"]
    assert replies == [{"text": "工作人员:您好,我来帮您。", "buttons": []}]
    assert client.post("/api/chat/poll", json={"session": "abcdefgh1234"}).json() == {"replies": []}


def test_openapi_describes_the_chat_api(env) -> None:
    client, _, _ = env
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/chat"]["post"]
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][request_ref]["properties"]) == {"session", "text", "button"}
    assert "/staff" not in schema["paths"] and "/staff/login" not in schema["paths"]
    reply = schema["components"]["schemas"]["ChatReply"]
    assert set(reply["properties"]) == {"text", "buttons"}


def test_chat_page_and_assets_are_local(env) -> None:
    client, _, _ = env
    page = client.get("/")
    assert page.status_code == 200 and "跨境电商政策助手" in page.text
    assert 'name="viewport"' in page.text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_healthz_and_metrics(env) -> None:
    client, _, _ = env
    assert client.get("/healthz").json()["status"] == "ok"
    assert "cbec_log_queue_depth" in client.get("/metrics").text


@pytest.mark.parametrize(
    "path", ["/staff", "/staff/enquiries", "/staff/export.csv", "/staff/export.json", "/staff/sql/", "/staff/sql/web",
             "/staff/sql/web/enquiries.json", "/staff/sql/web.json?sql=select+text+from+enquiries"],
)  # fmt: skip
def test_strangers_get_no_data(env, path: str) -> None:
    client, db, core = env
    client.post("/api/chat", json={"session": "abcdefgh1234", "text": "秘密问题海外仓"})
    core.log.flush()
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert "秘密问题" not in response.text
    forged = client.get(path, cookies={"cbec_staff": "eyJuIjoiYWxpY2UiLCJyIjoic3RhZmYiLCJ0IjoxfQ.00"}, follow_redirects=False)
    assert forged.status_code == 303


def test_login_rejects_wrong_password_and_foreign_origin(env) -> None:
    client, _, _ = env
    assert login(client, password="wrong").status_code == 401
    assert login(client, name="mallory").status_code == 401
    foreign = client.post(
        "/staff/login", data={"name": "alice", "password": PASSWORD}, headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )  # fmt: skip
    assert foreign.status_code == 403 and "cbec_staff" not in foreign.headers.get("set-cookie", "")


def test_repeated_failed_logins_are_throttled(env) -> None:
    client, _, _ = env
    for _ in range(10):
        assert login(client, password="guess").status_code == 401
    assert login(client).status_code == 429  # even the right password, for a while
    assert login(client, "olga", "x").status_code == 303  # another account from this client is not locked


def test_session_cookie_is_strict_and_http_only(env) -> None:
    client, _, _ = env
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/staff" in cookie


def test_login_does_not_redirect_elsewhere(env) -> None:
    client, _, _ = env
    assert login(client, next_url="https://evil.example/").headers["location"] == "/staff"
    assert login(client, next_url="//evil.example/staff").headers["location"] == "/staff"


def seed(client: TestClient, core: FakeCore) -> None:
    for text in ["海外仓补贴多少？", "海外仓补贴多少？", "今天天气怎么样", "今天天气怎么样", "找人工 电话13812345678"]:
        client.post("/api/chat", json={"session": "abcdefgh1234", "text": text})
    client.post("/api/chat", json={"session": "zyxwvuts9876", "text": "<b>粗体</b><script>alert(1)</script>"})
    core.log.flush()


def test_overview_shows_what_companies_ask(env_both) -> None:
    client, db, core = env_both
    seed(client, core)
    core.log.feedback(channel="web", user_id="abcdefgh1234", enquiry_id="x", value=1)
    core.log.calculation(
        channel="web", user_id="abcdefgh1234", kind="subsidy", inputs={"overseas-warehouse": "80万"},
        result={"items": [{"item": "overseas-warehouse", "claimed": 800000, "estimate": 200000}], "total": 200000},
    )  # fmt: skip
    core.log.flush()
    login(client)
    page = client.get("/staff?days=7")
    assert page.status_code == 200
    html = page.text
    assert '<strong id="total">6</strong>' in html
    assert "<svg" in html and "每日咨询量" in html
    assert "高新区海外仓补贴" in html  # intent title from the FAQ
    unanswered = html[html.index('id="unanswered"') :]
    assert re.search(r"今天天气怎么样</td><td class=\"n\">2</td>", unanswered)
    assert "👍 1 / 👎 0" in html and "好评率100%" in html
    handoffs = html[html.index('id="handoffs"') :]
    assert "找人工 电话[手机号]" in handoffs and "13812345678" not in html
    demand = html[html.index('id="demand"') :]
    assert "海外仓储配套设施建设、使用及运营" in demand and "800,000元" in demand and "200,000元" in demand
    assert ">overseas-warehouse<" not in demand  # the item's id only as a tooltip


def test_pages_escape_user_text(env_both) -> None:
    client, db, core = env_both
    seed(client, core)
    login(client)
    html = client.get("/staff/enquiries?days=7").text
    assert "&lt;b&gt;粗体&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_enquiry_list_filters_and_search(env_both) -> None:
    client, db, core = env_both
    seed(client, core)
    login(client)
    html = client.get("/staff/enquiries", params={"days": "7", "q": "天气"}).text
    assert '<strong id="count">2</strong>' in html
    html = client.get("/staff/enquiries", params={"days": "7", "kind": "fallback"}).text
    assert '<strong id="count">2</strong>' in html
    html = client.get("/staff/enquiries", params={"days": "7", "region": "sichuan"}).text
    assert '<strong id="count">0</strong>' in html
    html = client.get("/staff/enquiries", params={"days": "7", "channel": "web", "unanswered": "1"}).text
    assert '<strong id="count">2</strong>' in html


def test_exports(env_both) -> None:
    client, db, core = env_both
    seed(client, core)
    login(client)
    csv_text = client.get("/staff/export.csv", params={"days": "7", "q": "海外仓"}).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,time,channel,region,user_key,text,kind,intent")
    assert len(lines) == 3
    data = client.get("/staff/export.json", params={"days": "7"}).json()
    assert data["count"] == 6
    first = data["enquiries"][-1]
    assert first["text"] == "海外仓补贴多少？" and first["sources"] == ["dalian-gxq-2026:5"]
    assert all("13812345678" not in json.dumps(e, ensure_ascii=False) for e in data["enquiries"])
    assert all(len(e["user_key"]) == 64 and "abcdefgh1234" not in e["user_key"] for e in data["enquiries"])


def test_staff_sql_is_read_only_datasette_over_the_log(env) -> None:
    client, db, core = env
    seed(client, core)
    login(client)
    # the session cookie is scoped to /staff, so it reaches /staff/sql as well
    index = client.get("/staff/sql/")
    assert index.status_code == 200 and "enquiries" in index.text
    rows = client.get("/staff/sql/web.json", params={"sql": "select text from enquiries order by time", "_shape": "array"})
    assert rows.status_code == 200 and rows.json()[0]["text"] == "海外仓补贴多少？"
    write = client.get("/staff/sql/web.json", params={"sql": "delete from enquiries", "_shape": "array"})
    assert write.status_code == 400
    hashes = client.get("/staff/sql/web.json", params={"sql": "select password_hash from staff_users", "_shape": "array"})
    assert "pbkdf2" not in hashes.text
    assert client.get("/staff/sql/web.db").status_code in (403, 404)
    assert db.query("SELECT count(*) AS n FROM enquiries") == [{"n": 6}]


def test_logout_ends_the_session(env) -> None:
    client, _, _ = env
    login(client)
    assert client.get("/staff", follow_redirects=False).status_code == 200
    client.post("/staff/logout", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_logins_from_the_database(env_both) -> None:
    client, db, core = env_both
    db.execute_write_fn(
        lambda d: d.execute(
            "INSERT INTO staff_users VALUES (?, ?, ?, ?)", ["bob", "operator", hash_password("pw", 1000), "2026-11-22"]
        )
    ).result()
    assert login(client, "bob", "pw").status_code == 303
    assert client.get("/staff", follow_redirects=False).status_code == 200


def test_staff_sql_without_slash_needs_login_too(env) -> None:
    client, _, _ = env
    response = client.get("/staff/sql")
    assert response.url.path == "/staff/login" and "enquiries" not in response.text
    login(client)
    assert client.get("/staff/sql").status_code == 200


def test_real_core_answers_and_logs_on_its_own_database(tmp_path: Path) -> None:
    """create_app(settings) as `serve` runs it: its own database, the conversation core, the log;
    shutting down writes every row."""
    settings = load_settings()
    with TestClient(create_app(settings)) as client:
        first = client.post("/api/chat", json={"session": "realcore0001", "text": "/start"})
        assert first.status_code == 200
        labels = [b["label"] for reply in first.json()["replies"] for b in reply["buttons"]]
        assert "海外仓" in labels and "转人工" in labels
        answer = client.post(
            "/api/chat", json={"session": "realcore0001", "text": "海外仓去年花了80万，高新区能补多少？电话13812345678"}
        )
        assert answer.status_code == 200
        texts = " ".join(reply["text"] for reply in answer.json()["replies"])
        assert "40万元" in texts and "依据：《大连高新区" in texts and "dalian-gxq-2026" not in texts and "13812345678" not in texts
    db = Database(settings.db)
    try:
        rows = db.query("SELECT channel, text, kind FROM enquiries WHERE text LIKE '%海外仓%'")
    finally:
        db.close()
    assert rows and rows[0]["channel"] == "web" and rows[0]["text"].endswith("电话[手机号]")
    assert not any(settings.db.parent.glob("*.spool/*"))


def test_default_secret_does_not_sign_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.web.app import session_key

    monkeypatch.delenv("CBEC_SECRET")
    default = load_settings()
    assert session_key(default) != default.secret.get_secret_value()
    assert session_key(default) != session_key(default)
    assert session_key(load_settings(secret="real-secret")) == "real-secret"


def test_staff_sql_speaks_chinese_and_offers_canned_queries(env) -> None:
    client, db, core = env
    seed(client, core)
    login(client)
    assert "咨询日志的只读查询" in client.get("/staff/sql/").text
    database = client.get("/staff/sql/web")
    assert database.status_code == 200
    assert "本周未能回答的咨询" in database.text and "各地区问得最多的问答" in database.text
    table = client.get("/staff/sql/web/enquiries")
    assert "每一条咨询" in table.text and "回复类型" in table.text  # the table and its columns described
    by_region = client.get("/staff/sql/web/top-intents-by-region.json", params={"_shape": "array"})
    assert by_region.status_code == 200
    counted = {(row["地区"], row["问答"]): row["次数"] for row in by_region.json()}
    answered = db.query("SELECT count(*) AS n FROM enquiries WHERE kind IN ('answer', 'calculation', 'checklist')")[0]["n"]
    assert sum(counted.values()) == answered > 0
    unanswered = client.get("/staff/sql/web/unanswered-this-week.json", params={"_shape": "array"})
    assert unanswered.status_code == 200 and all(row["kind"] in ("fallback", "excerpt") for row in unanswered.json())
