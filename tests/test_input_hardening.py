"""Bad input against the real server process (`cbec-bot serve` on 127.0.0.1): never a 500, no
reply echoes what was sent, bodies over 64 KB get 413, bidi controls and zero-width characters
never reach the log or the dashboard, and the server's JSON log holds no planted phone number."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_browser_web import start_serve, stop_serve

from bot.channels.web.passwords import hash_password
from bot.storage.sqlite import Database

ROOT = Path(__file__).resolve().parents[1]
PHONE = "13912345678"
SESSION = "hardening-01"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("hardening")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | {
        "CBEC_DB": str(tmp / "h.db"), "CBEC_SECRET": "hardening-test-secret-of-32-bytes-or-more",
        "CBEC_STAFF_USERS": f"alice:staff:{hash_password('alice-password', 1000)}", "CBEC_WEB_CLIENT_LIMIT": "0",
        "CBEC_FLOOD_LIMIT": "100000", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    process, url = start_serve(tmp, env=env, log_name="server.log")  # (its output, both streams, in the log)
    try:
        yield url, tmp / "h.db", tmp / "server.log"
    finally:
        stop_serve(process)


def _raw(url: str, body: bytes, path: str = "/api/chat", content_type: str = "application/json") -> httpx.Response:
    return httpx.post(f"{url}{path}", content=body, headers={"content-type": content_type}, timeout=30)


def _json(obj: object) -> bytes:
    # json.dumps writes a lone surrogate as \\ud800, which any client can send
    return json.dumps(obj).encode()


def _corpus() -> list[tuple[str, str, bytes, str]]:
    """(name, path, body, content type): at least 60 bad or odd requests, each with the planted phone."""
    t = f"电话{PHONE}"
    cases: list[tuple[str, str, bytes, str]] = []
    j = "application/json"
    surrogates = ["\ud800", "\udfff", "\udc80abc", "a\ud83d", "\ude00b"]
    for i, s in enumerate(surrogates):
        cases.append((f"surrogate text {i}", "/api/chat", _json({"session": SESSION, "text": t + s}), j))
        cases.append((f"surrogate session {i}", "/api/chat", _json({"session": SESSION + s, "text": t}), j))
        cases.append((f"surrogate button {i}", "/api/chat", _json({"session": SESSION, "button": t + s}), j))
        cases.append((f"surrogate poll {i}", "/api/chat/poll", _json({"session": s + t}), j))
    # surrogates encoded raw in the bytes (CESU-8), invalid UTF-8, overlong forms
    for i, raw in enumerate([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff\xfe", b"\xc0\xaf", b"\x80", b"\xf8\x88\x80\x80\x80"]):
        cases.append((f"raw bytes text {i}", "/api/chat", b'{"session":"' + SESSION.encode() + b'","text":"' + t.encode() + raw + b'"}', j))
        cases.append((f"raw bytes session {i}", "/api/chat", b'{"session":"' + raw + t.encode() + b'","text":"x"}', j))
    big = "长" * 400_000  # 1.2 MB of UTF-8
    cases += [
        ("1 MB text", "/api/chat", _json({"session": SESSION, "text": t + "x" * 1_000_000}), j),
        ("1 MB Chinese text", "/api/chat", json.dumps({"session": SESSION, "text": t + big}, ensure_ascii=False).encode(), j),
        ("16 MB text", "/api/chat", _json({"session": SESSION, "text": t + "x" * 16_000_000}), j),
        ("16 MB garbage", "/api/chat", (t * 1_000_000).encode()[:16_000_000], j),
        ("70 KB text", "/api/chat", _json({"session": SESSION, "text": t + "y" * 70_000}), j),
        ("2001 chars", "/api/chat", _json({"session": SESSION, "text": t + "长" * 2001}), j),
        ("201 char button", "/api/chat", _json({"session": SESSION, "button": t + "b" * 201}), j),
        ("not json", "/api/chat", t.encode(), j),
        ("truncated json", "/api/chat", _json({"session": SESSION, "text": t})[:-3], j),
        ("json array", "/api/chat", _json([SESSION, t]), j),
        ("json string", "/api/chat", _json(t), j),
        ("json number", "/api/chat", b"1e999999", j),
        ("null", "/api/chat", b"null", j),
        ("empty body", "/api/chat", b"", j),
        ("nested deep", "/api/chat", b"[" * 100_000 + b"]" * 100_000, j),
        ("text not a string", "/api/chat", _json({"session": SESSION, "text": {"t": t}}), j),
        ("text a number", "/api/chat", _json({"session": SESSION, "text": 13912345678}), j),
        ("session a list", "/api/chat", _json({"session": [t], "text": t}), j),
        ("both text and button", "/api/chat", _json({"session": SESSION, "text": t, "button": t}), j),
        ("neither", "/api/chat", _json({"session": SESSION}), j),
        ("extra fields", "/api/chat", _json({"session": t, "text": t, "evil": t}), j),
        ("form instead of json", "/api/chat", f"session={SESSION}&text={t}".encode(), "application/x-www-form-urlencoded"),
        ("text/plain", "/api/chat", _json({"session": SESSION, "text": t}), "text/plain"),
        ("binary", "/api/chat", bytes(range(256)) * 4 + t.encode(), "application/octet-stream"),
        ("NUL bytes", "/api/chat", _json({"session": SESSION, "text": t + "\x00\x00"}), j),
        ("UTF-16 body", "/api/chat", json.dumps({"session": SESSION, "text": t}, ensure_ascii=False).encode("utf-16"), j),
        ("BOM", "/api/chat", "\ufeff".encode() + _json({"session": SESSION, "text": t}), j),
        ("session with markup", "/api/chat", _json({"session": "<script>alert(1)</script>" + t, "text": "x"}), j),
        ("session too short", "/api/chat", _json({"session": "ab", "text": t}), j),
        ("poll bad json", "/api/chat/poll", b"{" + t.encode(), j),
        ("poll 1 MB", "/api/chat/poll", _json({"session": t * 80_000}), j),
        ("unknown api path", "/api/chat/nothing", _json({"session": SESSION, "text": t}), j),
    ]
    # accepted but odd: answered with 200, never 500
    for name, text in [
        ("bidi override", f"\u202e{t}\u202c海外仓补贴"), ("bidi isolates", f"\u2066{t}\u2069 多少钱"),
        ("zero-width", f"海\u200b外\u200c仓\u200d补\ufeff贴{t}"), ("markup", f"<img src=x onerror=alert(1)>{t}"),
        ("emoji", f"👨‍👩‍👧🇨🇳 海外仓 {t} 🙏"), ("control chars", f"\x07\x1b[31m{t}\x7f"),
        ("only invisible", "\u200b\u200b\u202e"), ("sql", f"'; DROP TABLE enquiries; --{t}"),
        ("template", f"{{{{7*7}}}} ${{7*7}} {t}"), ("long line", t + "海外仓" * 600),
        ("Chinese numerals", "我的电话一三九一二三四五六七八"), ("spaced digits", "电话 1 3 9 1 2 3 4 5 6 7 8 谢谢"),
        ("+86 dashes", "联系+86-139-1234-5678"), ("full width", "电话：１３９１２３４５６７８"),
    ]:
        cases.append((name, "/api/chat", json.dumps({"session": SESSION, "text": text}, ensure_ascii=False).encode(), j))
    # the login form
    for i, (name, password) in enumerate([("alice\ud800", "x"), (t, "\udfff"), ("a" * 100_000, t), (t + "\u202e", t)]):
        body = f"name={name}&password={password}&next=/staff".encode("utf-8", "surrogatepass")
        cases.append((f"login {i}", "/staff/login", body, "application/x-www-form-urlencoded"))
    cases.append(("login raw bytes", "/staff/login", b"name=%ED%A0%80&password=%FF%FE", "application/x-www-form-urlencoded"))
    cases.append(("login 3 MB", "/staff/login", b"name=" + b"a" * 3_000_000, "application/x-www-form-urlencoded"))
    return cases


CORPUS = _corpus()


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 60


def test_bad_input_never_gets_a_500_nor_an_echo(server) -> None:
    url, db_path, log_path = server
    statuses: dict[str, int] = {}
    for name, path, body, content_type in CORPUS:
        response = _raw(url, body, path, content_type)
        statuses[name] = response.status_code
        assert response.status_code < 500, (name, response.status_code, response.text[:200])
        assert PHONE not in response.text and "13912345678" not in response.text, name
        assert len(response.content) < 20_000, (name, len(response.content))
        if response.status_code == 422:
            assert response.json()["detail"] == "请求格式不正确。", name
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    assert all(statuses[name] == 413 for name in ("1 MB text", "16 MB text", "16 MB garbage", "70 KB text", "login 3 MB"))
    assert statuses["surrogate text 0"] == 422 and statuses["surrogate session 0"] == 422
    assert statuses["surrogate button 0"] == 422 and statuses["raw bytes text 0"] == 422
    assert statuses["bidi override"] == 200 and statuses["emoji"] == 200 and statuses["only invisible"] == 422
    print(f"\nbad-input corpus: {len(CORPUS)} requests, {sum(s >= 500 for s in statuses.values())} with status 500;",
          ", ".join(f"{s}: {sum(v == s for v in statuses.values())}" for s in sorted(set(statuses.values()))))  # fmt: skip


def test_413_says_so_shortly(server) -> None:
    url, _, _ = server
    response = _raw(url, _json({"session": SESSION, "text": "x" * 65_537}))
    assert response.status_code == 413 and response.json() == {"detail": "请求内容过大，请缩短后再试。"}
    assert _raw(url, _json({"session": SESSION, "text": "海外仓补贴" * 100})).status_code == 200


def test_bidi_and_zero_width_never_reach_the_log_or_dashboard(server) -> None:
    url, db_path, _ = server
    text = "\u202e海外仓\u2066补贴\u2069\u200b多少\u200f"
    assert _raw(url, json.dumps({"session": "bidi-session-1", "text": text}, ensure_ascii=False).encode()).status_code == 200
    with httpx.Client(base_url=url, timeout=30) as staff:
        staff.post("/staff/login", data={"name": "alice", "password": "alice-password"}, headers={"origin": url})
        time.sleep(0.5)
        page = staff.get("/staff/enquiries").text
    assert "海外仓补贴多少" in page
    assert not any(c in page for c in "\u202e\u2066\u2069\u200b\u200f")
    db = Database(db_path)
    try:
        rows = [r["text"] for r in db.query("SELECT text FROM enquiries")]
    finally:
        db.close()
    assert "海外仓补贴多少" in rows
    assert not any(c in "".join(rows) for c in "\u202e\u202c\u2066\u2069\u200b\u200c\u200d\u200f\ufeff")


def test_the_server_log_holds_no_planted_phone_number(server) -> None:
    url, db_path, log_path = server
    for _, path, body, content_type in CORPUS[:40]:  # again, in case this test runs alone
        _raw(url, body, path, content_type)
    time.sleep(0.5)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    for line in log.splitlines():
        if line.startswith("{"):
            json.loads(line)  # every line is one JSON object
    assert PHONE not in log and "一三九一二三四五六七八" not in log
    assert "电话[手机号]" not in log and "海外仓补贴" not in log  # no user text at all, even redacted
    print("\nserver log:", len(log), "bytes,", len(log.splitlines()), "lines")
    assert len(log) < 200_000  # a 16 MB body does not grow the log
    db = Database(db_path)
    try:
        stored = " ".join(r["text"] or "" for r in db.query("SELECT text FROM enquiries"))
    finally:
        db.close()
    assert PHONE not in stored and "一三九一二三四五六七八" not in stored and "1 3 9 1" not in stored
