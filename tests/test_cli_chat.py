"""`cbec-bot chat`: the conversation in a terminal, driven through a pipe like a user typing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("cbec-bot")


def run_chat(tmp_path: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CBEC_DB": str(tmp_path / "chat.db"), "CBEC_SECRET": "test-secret"}
    return subprocess.run(
        [str(BIN), "chat", *extra], input="".join(f"{line}\n" for line in lines),
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "chat.db") as conn:
        return conn.execute(sql).fetchall()


def test_a_conversation_with_numbered_buttons_to_a_figure(tmp_path: Path) -> None:
    done = run_chat(tmp_path, ["/region", "1", "海外仓花了80万能补多少", "👍"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "  [1] 补贴申报\n" in out and "  [9] 人工咨询\n" in out  # /start's menu, numbered
    assert "已设为「大连高新区」" in out  # "1" pressed the first region button
    assert "40万元" in out and "依据：《大连高新区" in out and "dalian-gxq-2026" not in out
    assert "谢谢您的反馈" in out  # typing the label presses 👍
    assert rows(tmp_path, "SELECT channel, region, kind FROM enquiries") == [
        ("cli", "dalian-gxq", "calculation")
    ]
    assert rows(tmp_path, "SELECT value FROM feedback") == [(1,)]


def test_calc_in_the_terminal_and_a_second_run_continues_it(tmp_path: Path) -> None:
    first = run_chat(tmp_path, ["/calc", "10", "12"])  # 国际展会服务, 完成; then end of input
    assert first.returncode == 0, first.stderr
    assert "国际展会服务" in first.stdout and "请输入金额" in first.stdout
    second = run_chat(tmp_path, ["100万"])  # a new process: the dialogue is where it stopped
    assert second.returncode == 0, second.stderr
    assert "100万元 × 50% = 50万元，超过每年最高30万元，按30万元计" in second.stdout
    assert rows(tmp_path, "SELECT kind, total FROM calculations") == [("subsidy", 300000.0)]


def test_end_of_input_at_once_exits_cleanly(tmp_path: Path) -> None:
    done = run_chat(tmp_path, [])
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "政策助手" in done.stdout


def test_users_are_kept_apart(tmp_path: Path) -> None:
    run_chat(tmp_path, ["/region", "5"], "--user", "alice")
    bob = run_chat(tmp_path, ["/region"], "--user", "bob")
    assert "当前:未选择" in bob.stdout
    alice = run_chat(tmp_path, ["/region"], "--user", "alice")
    assert "当前:四川" in alice.stdout


def test_no_handoff_is_promised_in_the_terminal(tmp_path: Path) -> None:
    env_extra = ["--user", "carol"]
    done = subprocess.run(
        [str(BIN), "chat", *env_extra], input="转人工\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "CBEC_DB": str(tmp_path / "chat.db"), "CBEC_SECRET": "test-secret",
             "CBEC_STAFF_CHAT_ID": "-100", "CBEC_TELEGRAM_TOKEN": "123:abc"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "没有配置人工客服通道" in done.stdout and "[发往" not in done.stdout
