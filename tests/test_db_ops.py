"""Issue 8 operations: online backup and restore round-trip, retention purge, metrics counters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.records.enquiry_log import EnquiryLog
from bot.storage import open_database
from bot.storage.maintenance import purge
from bot.storage.sqlite import Database
from intents.respond import get_responder

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]


def _log_enquiries(path: Path | str, texts: list[str]) -> None:
    db = open_database(path)
    log = EnquiryLog(db, "secret-for-tests")
    try:
        for text in texts:
            log.enquiry(channel="web", user_id="u1", region="dalian-gxq", text=text,
                        reply=get_responder().respond(text), latency_ms=1.0)  # fmt: skip
    finally:
        log.close()
        db.close()


def _run(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CBEC_DB": str(db)}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_backup_while_open_then_restore_round_trips(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    _log_enquiries(live, ["海外仓补贴多少", "9810是什么", "转人工"])
    writer = Database(live)  # the server still has it open while the backup runs
    try:
        result = _run("db", "backup", str(tmp_path / "copies" / "b.db"), db=live)
        assert result.returncode == 0, result.stderr
        assert "backed up" in result.stdout
        again = _run("db", "backup", str(tmp_path / "copies" / "b.db"), db=live)
        assert again.returncode == 1 and "exists" in again.stderr
    finally:
        writer.close()

    restored = tmp_path / "restored.db"
    shutil.copy(tmp_path / "copies" / "b.db", restored)
    db = Database(restored)  # a restored file opens with its migrations already applied
    try:
        assert [r["text"] for r in db.query("SELECT text FROM enquiries ORDER BY time")] == [
            "海外仓补贴多少", "9810是什么", "转人工",
        ]  # fmt: skip
        assert db.query("SELECT count(*) AS n FROM _migrations")[0]["n"] >= 3
    finally:
        db.close()


def test_purge_removes_only_old_texts(db_target) -> None:
    path = db_target
    _log_enquiries(path, ["新的问题"])
    db = open_database(path)
    try:
        old = {"time": "2025-01-01T08:00:00.000Z", "channel": "web", "user_key": "k", "kind": "answer",
               "intent": "gxq-overseas-warehouse-subsidy", "text": "旧的问题 手机号[已隐去]"}  # fmt: skip
        db.execute_write_fn(lambda d: d["enquiries"].insert({"id": "old-1", **old})).result(10)
        db.execute_write_fn(lambda d: d["handoffs"].insert(
            {"id": "h1", "opened_at": "2025-01-01T08:00:00.000Z", "summary": "旧的转人工"})).result(10)  # fmt: skip

        result = purge(db, 30, now=datetime(2026, 11, 23, tzinfo=UTC))

        assert (result.enquiries, result.handoffs) == (1, 1)
        rows = {r["id"]: r for r in db.query("SELECT id, text, intent FROM enquiries")}
        assert rows["old-1"]["text"] is None and rows["old-1"]["intent"] == "gxq-overseas-warehouse-subsidy"
        assert [r["text"] for r in rows.values() if r["id"] != "old-1"] == ["新的问题"]
        assert db.query("SELECT summary FROM handoffs") == [{"summary": None}]
    finally:
        db.close()


def test_purge_command_needs_a_positive_number_of_days(tmp_path: Path) -> None:
    result = _run("db", "purge", "--older-than", "0", db=tmp_path / "x.db")
    assert result.returncode == 2 and "older-than" in result.stderr
    result = _run("db", "purge", "--older-than", "90", db=tmp_path / "x.db")
    assert result.returncode == 0 and "purged the text of 0 enquiries" in result.stdout
