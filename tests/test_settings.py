"""Settings are validated at start-up; a wrong value gives one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_need_no_environment() -> None:
    settings = load_settings()
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.telegram_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.telegram_runtime == "aiogram"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBEC_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("CBEC_TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("CBEC_STAFF_USER_IDS", "1, 2")
    monkeypatch.setenv("CBEC_OPERATOR_USER_IDS", "3")
    settings = load_settings()
    assert settings.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)  # secrets never print
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.staff_ids == {1, 2, 3} and settings.operator_ids == {3}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CBEC_PORT", "eighty", "CBEC_PORT"),
        ("CBEC_PORT", "70000", "CBEC_PORT"),
        ("CBEC_TELEGRAM_RUNTIME", "pyrogram", "CBEC_TELEGRAM_RUNTIME"),
        ("CBEC_TELEGRAM_API_URL", "127.0.0.1:8081", "CBEC_TELEGRAM_API_URL: Value error, must start with http"),
        ("CBEC_STAFF_USER_IDS", "alice", "CBEC_STAFF_USER_IDS"),
        ("CBEC_STAFF_CHAT_ID", "staff", "CBEC_STAFF_CHAT_ID"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_cli_reports_a_bad_setting_in_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBEC_PORT", "eighty")
    cli = str(Path(sys.executable).with_name("cbec-bot"))
    result = subprocess.run([cli, "policy", "list"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CBEC_PORT" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CBEC_WECHAT_TOKEN": "tokenABC123"}, "CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID go together"),
        ({"CBEC_WECHAT_APPID": "wx0123456789abcdef"}, "CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID go together"),
        ({"CBEC_WECHAT_TOKEN": "has spaces!", "CBEC_WECHAT_APPID": "wx0123456789abcdef"}, "CBEC_WECHAT_TOKEN: "),
        ({"CBEC_WECHAT_TOKEN": "tokenABC123", "CBEC_WECHAT_APPID": "gh_123"}, "CBEC_WECHAT_APPID: "),
        ({"CBEC_WECHAT_TOKEN": "tokenABC123", "CBEC_WECHAT_APPID": "wx0123456789abcdef",
          "CBEC_WECHAT_AES_KEY": "tooShortKey"}, "CBEC_WECHAT_AES_KEY: Value error, must be the 43-character"),  # fmt: skip
        ({"CBEC_WECHAT_AES_KEY": "a" * 43}, "CBEC_WECHAT_AES_KEY is set but WeChat is off"),
    ],
)
def test_wechat_settings_are_checked_and_secrets_not_echoed(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert message in str(raised.value)
    for name in ("CBEC_WECHAT_TOKEN", "CBEC_WECHAT_AES_KEY"):
        assert name not in env or env[name] not in str(raised.value)


def test_wechat_is_on_with_token_and_appid(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings().wechat_on
    monkeypatch.setenv("CBEC_WECHAT_TOKEN", "tokenABC123")
    monkeypatch.setenv("CBEC_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setenv("CBEC_WECHAT_API_URL", "http://127.0.0.1:9/")
    settings = load_settings()
    assert settings.wechat_on and settings.wechat_api_url == "http://127.0.0.1:9"
    assert "tokenABC123" not in repr(settings)
