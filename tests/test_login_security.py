"""Staff login against the real server process: the throttle cannot be raced, locks an account
only for the client guessing, believes X-Forwarded-For/-Proto from CBEC_TRUSTED_PROXIES only,
and sessions end on logout, a password change and `cbec-bot staff remove`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from test_browser_web import start_serve, stop_serve

CLI = str(Path(sys.executable).with_name("cbec-bot"))
ROOT = Path(__file__).resolve().parents[1]
SECRET = "login-test-secret-of-at-least-32-bytes"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    return base | {"CBEC_DB": str(tmp_path / "l.db"), "CBEC_SECRET": SECRET, "PYTHONPATH": str(ROOT)} | extra


def _staff_add(tmp_path: Path, name: str, password: str) -> None:
    result = subprocess.run([CLI, "staff", "add", name, "--password-stdin"], env=_env(tmp_path), input=password + "\n",
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr


@contextmanager
def serving(tmp_path: Path, **extra: str) -> Iterator[str]:
    process, url = start_serve(tmp_path, env=_env(tmp_path, **extra), log_name="server.log")
    try:
        yield url
    finally:
        stop_serve(process)


def _login(url: str, name: str, password: str, client: httpx.Client | None = None, **headers: str) -> httpx.Response:
    poster = client or httpx
    return poster.post(f"{url}/staff/login", data={"name": name, "password": password}, timeout=60,
                       headers={"origin": url, **headers}, follow_redirects=False)  # fmt: skip


def test_fifty_concurrent_guesses_check_at_most_ten_passwords(tmp_path: Path) -> None:
    _staff_add(tmp_path, "alice", "alice-password")
    with serving(tmp_path) as url:

        async def guess(client: httpx.AsyncClient) -> int:
            response = await client.post("/staff/login", data={"name": "alice", "password": "wrong"},
                                         headers={"origin": url})  # fmt: skip
            return response.status_code

        async def burst() -> list[int]:
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                return await asyncio.gather(*(guess(client) for _ in range(50)))

        statuses = asyncio.run(burst())
    assert statuses.count(401) == 10 and statuses.count(429) == 40


def test_lockout_is_per_account_and_client_behind_a_trusted_proxy(tmp_path: Path) -> None:
    _staff_add(tmp_path, "alice", "alice-password")
    with serving(tmp_path) as url:  # the default CBEC_TRUSTED_PROXIES: loopback, where this test connects from
        for _ in range(10):
            assert _login(url, "alice", "guess", **{"x-forwarded-for": "203.0.113.9"}).status_code == 401
        refused = _login(url, "alice", "alice-password", **{"x-forwarded-for": "203.0.113.9"})
        assert refused.status_code == 429 and "尝试次数过多，请15分钟后再试。" in refused.text
        # alice herself, from her own address, is not locked out
        mine = _login(url, "alice", "alice-password", **{"x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https"})
        assert mine.status_code == 303
        cookie = mine.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie


def test_headers_from_an_untrusted_peer_are_ignored(tmp_path: Path) -> None:
    _staff_add(tmp_path, "alice", "alice-password")
    with serving(tmp_path, CBEC_TRUSTED_PROXIES="10.9.9.9") as url:
        for i in range(10):
            assert _login(url, "alice", "guess", **{"x-forwarded-for": f"203.0.113.{i}"}).status_code == 401
        # every forged address is the one real peer: still throttled
        assert _login(url, "alice", "alice-password", **{"x-forwarded-for": "198.51.100.7"}).status_code == 429
    with serving(tmp_path, CBEC_TRUSTED_PROXIES="10.9.9.9") as url:
        plain = _login(url, "alice", "alice-password", **{"x-forwarded-proto": "https"})
        assert plain.status_code == 303 and "secure" not in plain.headers["set-cookie"].lower()


def _cookie(response: httpx.Response) -> str:
    return response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]


def _dashboard(url: str, cookie: str) -> int:
    return httpx.get(f"{url}/staff", cookies={"cbec_staff": cookie}, follow_redirects=False, timeout=30).status_code


def test_sessions_end_on_logout_password_change_and_removal(tmp_path: Path) -> None:
    _staff_add(tmp_path, "alice", "alice-password")
    _staff_add(tmp_path, "bob", "bob-password")
    with serving(tmp_path) as url:
        first, second = (_cookie(_login(url, "alice", "alice-password")) for _ in range(2))
        assert _dashboard(url, first) == 200 and _dashboard(url, second) == 200
        logout = httpx.post(f"{url}/staff/logout", cookies={"cbec_staff": first}, headers={"origin": url},
                            follow_redirects=False)  # fmt: skip
        assert logout.status_code == 303
        assert _dashboard(url, first) == 303  # the copied cookie no longer works
        assert _dashboard(url, second) == 200  # the other browser is still logged in

        _staff_add(tmp_path, "alice", "a-new-password")
        assert _dashboard(url, second) == 303
        assert _login(url, "alice", "alice-password").status_code == 401
        assert _dashboard(url, _cookie(_login(url, "alice", "a-new-password"))) == 200

        bobs = _cookie(_login(url, "bob", "bob-password"))
        assert _dashboard(url, bobs) == 200
        removed = subprocess.run([CLI, "staff", "remove", "bob"], env=_env(tmp_path), capture_output=True, text=True,
                                 timeout=60)  # fmt: skip
        assert removed.returncode == 0, removed.stderr
        assert _dashboard(url, bobs) == 303
    with serving(tmp_path) as url:  # and after a restart, the logged-out cookie stays dead
        assert _dashboard(url, first) == 303
