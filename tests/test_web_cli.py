"""`cbec-bot staff add` and `cbec-bot serve --help` (the server itself runs in the browser tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.channels.web.auth import StaffDirectory
from bot.channels.web.passwords import parse_staff_users, verify_password
from bot.storage.sqlite import Database

CLI = str(Path(sys.executable).with_name("cbec-bot"))


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_staff_add_stores_a_login_and_prints_its_entry(tmp_path: Path) -> None:
    result = run("staff", "add", "li.na", "--role", "operator", "--password-stdin", stdin="s3cret-pass\n")
    assert result.returncode == 0, result.stderr
    entry = result.stdout.strip()
    user = parse_staff_users(entry)["li.na"]
    assert user.role == "operator" and verify_password("s3cret-pass", user.password_hash)
    assert "s3cret-pass" not in result.stdout + result.stderr
    db = Database(tmp_path / "cbec.db")  # CBEC_DB points here (tests/conftest.py)
    try:
        found = StaffDirectory("", db).authenticate("li.na", "s3cret-pass")
        assert found is not None and found.role == "operator"
    finally:
        db.close()


def test_staff_add_refuses_short_passwords_and_bad_names() -> None:
    assert run("staff", "add", "li", "--password-stdin", stdin="short\n").returncode == 2
    assert run("staff", "add", "a:b", "--password-stdin", stdin="long enough pass\n").returncode == 2
    assert run("staff", "add", "li", "--role", "admin", "--password-stdin", stdin="long enough pass\n").returncode == 2


def test_serve_help_names_host_and_port() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0 and "--host" in result.stdout and "--port" in result.stdout


def test_bad_staff_users_setting_is_one_line() -> None:
    import pytest

    with pytest.raises(ValueError, match="CBEC_STAFF_USERS"):
        parse_staff_users("alice:admin:pbkdf2_sha256$1$a$b")


def test_serve_refuses_a_bad_staff_users_setting(monkeypatch) -> None:
    monkeypatch.setenv("CBEC_STAFF_USERS", "alice:admin:nohash")
    result = run("serve", "--port", "1")
    assert result.returncode == 2 and "CBEC_STAFF_USERS" in result.stderr and "Traceback" not in result.stderr
