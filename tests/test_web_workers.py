"""`cbec-bot serve` with two worker processes on one SQLite file (CBEC_WORKERS=2, issue 15): the
user sees one assistant. A session's context carries from one connection to the next whichever
worker accepts it, the flood limit counts the session's messages on both workers together, a
login guesser gets the throttle's 10 attempts, not 10 per worker, and every answered enquiry is
in the log once."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_browser_web import start_serve, stop_serve

from bot.channels.web.passwords import hash_password

ROOT = Path(__file__).resolve().parents[1]
FLOOD = 6  # messages per session per minute
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("workers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | {
        "CBEC_DB": str(tmp / "w.db"), "CBEC_SECRET": "workers-test-secret-of-32-bytes-or-more",
        "CBEC_WORKERS": "2", "CBEC_FLOOD_LIMIT": str(FLOOD), "CBEC_WEB_CLIENT_LIMIT": "0", "CBEC_LOG_LEVEL": "WARNING",
        "CBEC_STAFF_USERS": f"alice:staff:{hash_password('alice-password', 1000)}", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    process, url = start_serve(tmp, env=env)
    try:
        deadline = time.monotonic() + 90
        while len(list((tmp / "w.db.spool").glob("*.jsonl"))) < 2:  # both workers up, not only the first
            assert process.poll() is None, (tmp / "serve.log").read_text()
            assert time.monotonic() < deadline, "the second worker did not come up"
            time.sleep(0.2)
        yield url, tmp / "w.db"
    finally:
        stop_serve(process)


def _say(url: str, session: str, text: str) -> httpx.Response:
    # a connection of its own each time: whichever worker accepts it answers
    with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        return client.post("/api/chat", json={"session": session, "text": text})


def test_context_flood_limit_and_log_span_both_workers(server: tuple[str, Path]) -> None:
    url, db = server
    first = _say(url, "workers-session-1", "高新区海外仓补贴怎么算")
    follow = _say(url, "workers-session-1", "那上限是多少")
    assert first.status_code == follow.status_code == 200
    assert "50万元" in follow.json()["replies"][0]["text"]  # the cap of the item the session was on
    statuses = [_say(url, "workers-session-2", f"9610是什么意思（第{n}次）").status_code for n in range(FLOOD + 6)]
    assert statuses == [200] * FLOOD + [429] * 6  # one session's minute, counted across the workers
    with sqlite3.connect(db) as conn:
        deadline = time.monotonic() + 10
        while (logged := conn.execute("SELECT count(*) FROM enquiries").fetchone()[0]) < FLOOD + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert logged == FLOOD + 2  # each answered message once; the refused ones never reached the assistant


def test_the_login_throttle_counts_attempts_on_both_workers(server: tuple[str, Path]) -> None:
    url, _ = server
    statuses = []
    for _ in range(14):
        with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            statuses.append(client.post("/staff/login", data={"name": "alice", "password": "wrong"}).status_code)
    assert statuses == [401] * 10 + [429] * 4  # 10 wrong passwords from this address, on either worker
    with httpx.Client(base_url=url, timeout=30) as client:
        refused = client.post("/staff/login", data={"name": "alice", "password": "alice-password"})
    assert refused.status_code == 429 and "尝试次数过多，请15分钟后再试。" in refused.text
