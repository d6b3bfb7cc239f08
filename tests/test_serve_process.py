"""`cbec-bot serve` as a real process: answers the web chat, `cbec-bot faq reload` reaches it,
and SIGTERM stops it within seconds with every enquiry written to the log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.storage.sqlite import Database

CLI = str(Path(sys.executable).with_name("cbec-bot"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def test_serve_answers_reloads_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CBEC_DB": str(tmp_path / "serve.db"), "CBEC_PORT": str(port), "CBEC_SECRET": "serve-test-secret"}
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.err", "w") as errors:
        process = subprocess.Popen([CLI, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
    try:
        _wait_healthy(url, process)
        texts = [f"海外仓补贴第{i}问" for i in range(20)]
        for text in texts:
            response = httpx.post(f"{url}/api/chat", json={"session": "sigterm-test", "text": text}, timeout=10)
            assert response.status_code == 200 and response.json()["replies"][0]["text"]

        reload = subprocess.run([CLI, "faq", "reload"], env=env, capture_output=True, text=True, timeout=120)
        assert reload.returncode in (0, 1), reload.stderr  # 1 only when the FAQ on disk does not validate
        assert "FAQ" in reload.stdout

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    db = Database(tmp_path / "serve.db")
    try:
        logged = [r["text"] for r in db.query("SELECT text FROM enquiries ORDER BY time")]
    finally:
        db.close()
    assert logged == texts


def test_faq_reload_says_plainly_when_no_server_runs(tmp_path: Path) -> None:
    env = {**os.environ, "CBEC_PORT": str(_free_port()), "CBEC_DB": str(tmp_path / "x.db")}
    result = subprocess.run([CLI, "faq", "reload"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no cbec-bot server answered" in result.stderr
