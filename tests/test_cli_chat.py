"""`cbec-bot chat`: the conversation in a terminal, driven through a pipe like a user typing."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the `cbec-bot` entry point, run on this checkout's code (the installed script may be another's)
CBEC_BOT = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]


def run_chat(tmp_path: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CBEC_DB": str(tmp_path / "chat.db"), "CBEC_SECRET": "test-secret", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*CBEC_BOT, "chat", *extra], input="".join(f"{line}\n" for line in lines),
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "chat.db") as conn:
        return conn.execute(sql).fetchall()


def test_a_conversation_with_numbered_buttons_to_a_figure(tmp_path: Path) -> None:
    done = run_chat(tmp_path, ["/region", "1", "海外仓花了80万能补多少", "👍"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "  [1] 选择地区\n" in out and "  [10] 转人工\n" in out  # /start's menu, numbered
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
    assert "100万元 × 50% = 50万元" in second.stdout and "可补30万元" in second.stdout
    assert rows(tmp_path, "SELECT kind, total FROM calculations") == [("subsidy", 300000.0)]


def test_end_of_input_at_once_exits_cleanly(tmp_path: Path) -> None:
    done = run_chat(tmp_path, [])
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "政策助手" in done.stdout


def test_users_are_kept_apart(tmp_path: Path) -> None:
    run_chat(tmp_path, ["/region", "5"], "--user", "alice")
    bob = run_chat(tmp_path, ["/region"], "--user", "bob")
    assert "当前：未选择" in bob.stdout
    alice = run_chat(tmp_path, ["/region"], "--user", "alice")
    assert "当前：四川" in alice.stdout


def test_a_handoff_in_the_terminal_is_a_ticket_answered_in_the_terminal(tmp_path: Path) -> None:
    """No Telegram bot runs in `cbec-bot chat`: nothing is sent to a staff chat, the ticket is
    opened, and a reply given with `cbec-bot handoff reply` shows at the next prompt."""
    env = {**os.environ, "CBEC_DB": str(tmp_path / "chat.db"), "CBEC_SECRET": "test-secret", "PYTHONPATH": str(ROOT),
           "CBEC_STAFF_CHAT_ID": "-100", "CBEC_TELEGRAM_TOKEN": "123:abc"}  # fmt: skip
    chat = subprocess.Popen(
        [*CBEC_BOT, "chat", "--user", "carol"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    assert chat.stdin is not None
    chat.stdin.write("转人工\n")
    chat.stdin.flush()
    deadline = time.monotonic() + 60
    while not (tmp_path / "chat.db").exists() or not _tickets(tmp_path / "chat.db"):
        assert time.monotonic() < deadline, "no ticket was opened"
        time.sleep(0.1)
    replied = subprocess.run(
        [*CBEC_BOT, "handoff", "reply", "1", "您好，终端这边也能收到回复。", "--as", "王老师"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert replied.returncode == 0, replied.stderr
    stdout, stderr = chat.communicate("/menu\n", timeout=120)
    assert chat.returncode == 0, stderr
    assert "没有配置人工客服通道" not in stdout and "[发往" not in stdout and "工单编号#1" in stdout
    assert "人工客服回复（工单#1）：\n您好，终端这边也能收到回复。" in stdout


def _tickets(path: Path) -> list:
    import sqlite3

    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT id FROM tickets").fetchall()
    except sqlite3.Error:
        return []


def test_the_terminal_keeps_lines_and_bullets_and_drops_control_characters() -> None:
    from bot.cli.chat import render
    from bot.conversation.messages import Button, OutMessage

    text = "有：按50%支持，每年最高50万元（征求意见稿，可能调整）。  \r\n• 对象：高新区企业。\n• 您问的是\x1b[2J「<b>补贴</b>」\n\n依据：第5条"
    related = (Button("高新区首单滞销风险补偿", "i:gxq-first-order"),)
    votes = (Button("👍 有帮助", "fb:+:abcdef12"), Button("👎 没帮助", "fb:-:abcdef12"))
    out = io.StringIO()
    values = render([OutMessage(text, (related, votes))], out)
    shown = out.getvalue()
    assert shown.startswith("有：按50%支持，每年最高50万元（征求意见稿，可能调整）。\n• 对象：高新区企业。\n")
    assert "• 您问的是[2J「<b>补贴</b>」\n\n依据：第5条\n" in shown  # no ESC reaches the terminal
    assert "\x1b" not in shown and "\r" not in shown
    assert "  [1] 高新区首单滞销风险补偿\n  [2] 👍 有帮助  [3] 👎 没帮助\n" in shown  # 👍/👎 on a line of their own
    assert [value for _, value in values] == ["i:gxq-first-order", "fb:+:abcdef12", "fb:-:abcdef12"]


def test_the_welcome_in_the_terminal_says_what_it_can_do(tmp_path: Path) -> None:
    done = run_chat(tmp_path, [])
    assert done.returncode == 0, done.stderr
    welcome = done.stdout.split("\n\n")[0]
    assert "• 解答政策问题" in welcome and "• 转人工" in welcome and "/calc" not in welcome
    assert "  [1] 选择地区\n" in welcome
