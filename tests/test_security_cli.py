"""`serve` and `telegram` refuse a weak CBEC_SECRET where it would matter; `cbec-bot secret`
makes one; `cbec-bot staff remove` and a new password end a login's sessions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("cbec-bot"))
ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], tmp_path: Path, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    full = base | {"CBEC_DB": str(tmp_path / "s.db"), "PYTHONPATH": str(ROOT)} | env
    return subprocess.run([CLI, *args], env=full, capture_output=True, text=True, timeout=60, input=input)


@pytest.mark.parametrize(
    ("args", "env", "reason"),
    [
        (["serve", "--host", "0.0.0.0"], {}, "CBEC_SECRET is the published default"),
        (["serve"], {"CBEC_HOST": "0.0.0.0", "CBEC_SECRET": "short"}, "CBEC_SECRET has 5 bytes, fewer than 32"),
        (["serve"], {"CBEC_TELEGRAM_TOKEN": "123:abc", "CBEC_SECRET": "x" * 31}, "CBEC_SECRET has 31 bytes"),
        (["telegram"], {"CBEC_TELEGRAM_TOKEN": "123:abc"}, "CBEC_SECRET is the published default"),
    ],
)
def test_a_weak_secret_does_not_start_a_public_service(tmp_path: Path, args: list[str], env: dict, reason: str) -> None:
    result = _run(args, tmp_path, **env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0] and "export CBEC_SECRET=$(cbec-bot secret)" in lines[0]


def test_cbec_bot_secret_prints_a_new_strong_one(tmp_path: Path) -> None:
    first, second = _run(["secret"], tmp_path).stdout.strip(), _run(["secret"], tmp_path).stdout.strip()
    assert first != second and len(first.encode()) >= 32 and first.isascii() and " " not in first


def test_staff_remove_says_what_it_did(tmp_path: Path) -> None:
    added = _run(["staff", "add", "bob", "--password-stdin"], tmp_path, input="a-long-password\n")
    assert added.returncode == 0, added.stderr
    removed = _run(["staff", "remove", "bob"], tmp_path)
    assert removed.returncode == 0 and "removed 'bob'" in removed.stderr and "sessions have ended" in removed.stderr
    again = _run(["staff", "remove", "bob"], tmp_path)
    assert again.returncode == 1 and "no login 'bob'" in again.stderr


def test_a_wrong_trusted_proxy_is_named_in_one_line(tmp_path: Path) -> None:
    result = _run(["serve"], tmp_path, CBEC_TRUSTED_PROXIES="127.0.0.1,nginx.local")
    assert result.returncode == 2 and "CBEC_TRUSTED_PROXIES" in result.stderr and "'nginx.local'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
