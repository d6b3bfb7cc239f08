"""`cbec-bot db migrate-to postgresql://…` copies a SQLite installation, every row, and checks it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conversation_driver import Chat
from test_browser_web import CBEC_BOT, serve_env

from bot.ops.faq_ops import FaqOperations
from bot.records import tickets
from bot.storage import open_database
from intents.reload import ReloadOutcome


def test_migrate_to_copies_every_row_and_numbering_continues(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "cbec.db"
    chat = Chat(source)
    try:  # an installation with enquiries, feedback, a calculation, state, a ticket with replies, an audit row
        chat.say("海外仓补贴怎么申请")
        chat.press("👍 有帮助")
        chat.say("转人工")
        ticket = tickets.active_for(chat.db, "web", "user-1")
        tickets.reply(chat.db, ticket.id, "请带发票来。", "王老师", via="dashboard")
        FaqOperations(chat.db, reload=lambda: ReloadOutcome(True, "已加载", "v2", "v1")).reload("olga")
        chat.log.flush()
    finally:
        chat.close()
    env = {**serve_env(), "CBEC_DB": str(source)}
    added = subprocess.run([*CBEC_BOT, "staff", "add", "wang", "--password-stdin"], input="pass-wang-2026\n",
                           capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert added.returncode == 0, added.stderr

    done = subprocess.run([*CBEC_BOT, "db", "migrate-to", pg_url], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()}
    for table in ("enquiries", "feedback", "conversation_state", "tickets", "ticket_messages", "faq_audit", "staff_users",
                  "faq_published", "handoffs"):  # fmt: skip
        source_n, target_n, mark = lines[table]
        assert source_n == target_n and int(source_n) >= 1 and mark == "ok", (table, lines[table])
    assert "100% of rows copied" in done.stdout

    db = open_database(pg_url)
    try:  # numbering continues after the copied ids, and the copied ticket reads back whole
        assert [m["text"] for m in tickets.messages(db, ticket.id)][-1] == "请带发票来。"
        again = tickets.open_ticket(db, handoff_id="after-copy", channel="web", chat_id="s9", user_key="k", region=None,
                                    intents=[], transcript=[])  # fmt: skip
        assert again.id == ticket.id + 1
    finally:
        db.close()

    twice = subprocess.run([*CBEC_BOT, "db", "migrate-to", pg_url], capture_output=True, text=True, env=env, timeout=300)
    assert twice.returncode == 1 and "already has rows" in twice.stderr
