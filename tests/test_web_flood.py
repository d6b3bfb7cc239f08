"""Web chat flood control on the real server: per session (CBEC_FLOOD_LIMIT) and per client
address (CBEC_WEB_CLIENT_LIMIT), a polite reply when a limit is hit, counted in /metrics."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from test_browser_web import start_serve, stop_serve

from bot.storage.sqlite import Database

ROOT = Path(__file__).resolve().parents[1]
POLITE = "您的消息发得有点快，请稍等一分钟再继续提问。"


def test_limits_per_session_and_per_client(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | {
        "CBEC_DB": str(tmp_path / "f.db"), "CBEC_SECRET": "flood-test-secret-of-at-least-32-bytes",
        "CBEC_FLOOD_LIMIT": "5", "CBEC_WEB_CLIENT_LIMIT": "12", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    process, url = start_serve(tmp_path, env=env, log_name="server.log")
    try:

        def say(session: str, text: str = "海外仓补贴多少") -> httpx.Response:
            return httpx.post(f"{url}/api/chat", json={"session": session, "text": text}, timeout=30)

        first = [say("flooding-session") for _ in range(6)]
        assert [r.status_code for r in first] == [200] * 5 + [429]
        assert first[-1].json() == {"replies": [{"text": POLITE, "buttons": []}]}
        # another session of the same browser/client is still answered, until the client's limit
        others = [say(f"other-session-{i}") for i in range(7)]
        assert [r.status_code for r in others] == [200] * 6 + [429]
        assert others[-1].json()["replies"][0]["text"] == POLITE
        # the page shows the polite reply (chat.js does not treat 429 as a network error)
        assert "response.status !== 429" in httpx.get(f"{url}/static/chat.js").text
        metrics = httpx.get(f"{url}/metrics").text
        assert 'cbec_rate_limited_total{scope="session"} 1.0' in metrics
        assert 'cbec_rate_limited_total{scope="client"} 1.0' in metrics
    finally:
        stop_serve(process)
    # refused messages are not enquiries
    db = Database(tmp_path / "f.db")
    try:
        assert db.query("SELECT count(*) AS n FROM enquiries") == [{"n": 11}]
    finally:
        db.close()
