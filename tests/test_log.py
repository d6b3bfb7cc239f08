"""The enquiry log: one writer, pseudonymised users, redacted texts, nothing lost."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.records.enquiry_log import EnquiryLog
from bot.records.pseudonym import pseudonymise
from bot.records.recorder import Recorder
from bot.storage import open_database
from bot.storage.sqlite import Database


@dataclass(frozen=True)
class FakeSuggestion:
    intent: str
    title: str
    confidence: float


@dataclass(frozen=True)
class FakeReply:
    kind: str = "answer"
    intent: str | None = "gxq-overseas-warehouse-subsidy"
    confidence: float = 0.82
    sources: tuple[str, ...] = ("dalian-gxq-2026:5",)
    suggestions: tuple[FakeSuggestion, ...] = field(
        default_factory=lambda: tuple(FakeSuggestion(f"intent-{n}", f"标题{n}", 0.8 - n / 10) for n in range(5))
    )
    faq_version: str = "v1"


@pytest.fixture
def db(db_target):
    database = open_database(db_target)
    logs: list[EnquiryLog] = []
    database.logs = logs  # type: ignore[attr-defined]
    yield database
    for log in logs:
        log.close()
    database.close()


def open_log(db: Database, secret: str = "k") -> EnquiryLog:
    log = EnquiryLog(db, secret)
    db.logs.append(log)  # type: ignore[attr-defined]
    return log


def test_enquiry_log_is_a_recorder(db: Database) -> None:
    recorder: Recorder = open_log(db, "s3cret")
    assert recorder.enquiry(channel="web", user_id="u", region=None, text="你好", reply=FakeReply(), latency_ms=1.0)


def test_enquiry_row_has_every_column(db: Database) -> None:
    log = open_log(db, "s3cret")
    enquiry_id = log.enquiry(
        channel="telegram", user_id="987654321", region="dalian-gxq", text="海外仓能补多少？电话13812345678",
        reply=FakeReply(), latency_ms=3.5,
    )
    log.flush()
    [row] = db.query("SELECT * FROM enquiries")
    assert row["id"] == enquiry_id and len(enquiry_id) == 32
    assert row["channel"] == "telegram" and row["region"] == "dalian-gxq"
    assert row["text"] == "海外仓能补多少？电话[手机号]"
    assert row["kind"] == "answer" and row["intent"] == "gxq-overseas-warehouse-subsidy"
    assert row["confidence"] == pytest.approx(0.82) and row["latency_ms"] == 3.5 and row["faq_version"] == "v1"
    assert [t["intent"] for t in json.loads(row["top3"])] == ["intent-0", "intent-1", "intent-2"]
    assert json.loads(row["sources"]) == ["dalian-gxq-2026:5"]
    assert row["time"].endswith("Z") and row["time"][:2] == "20"
    expected_key = hmac.new(b"s3cret", b"telegram:987654321", hashlib.sha256).hexdigest()
    assert row["user_key"] == expected_key == pseudonymise("s3cret", "telegram", "987654321")
    assert "987654321" not in json.dumps(row, ensure_ascii=False)


def test_reply_as_json_dict_is_accepted(db: Database) -> None:
    log = open_log(db)
    reply = {"kind": "fallback", "intent": None, "confidence": 0.1, "sources": [], "suggestions": [], "faq_version": "v2"}
    log.enquiry(channel="web", user_id="s", region=None, text="天气怎么样", reply=reply, latency_ms=0.5)
    log.flush()
    [row] = db.query("SELECT kind, intent, top3 FROM enquiries")
    assert row == {"kind": "fallback", "intent": None, "top3": "[]"}


def test_feedback_calculation_and_handoff(db: Database) -> None:
    log = open_log(db)
    enquiry_id = log.enquiry(channel="web", user_id="s", region="liaoning", text="q", reply=FakeReply(), latency_ms=1)
    log.feedback(channel="web", user_id="s", enquiry_id=enquiry_id, value=-1)
    result = {
        "items": [
            {"item": "overseas-warehouse", "claimed": 800000, "estimate": 200000},
            {"item": "training", "claimed": 10000, "estimate": 5000},
        ],
        "total": 205000,
    }
    log.calculation(channel="web", user_id="s", kind="subsidy", inputs={"overseas-warehouse": "80万"}, result=result)
    log.calculation(channel="web", user_id="s", kind="eit", inputs={"revenue": 1000000}, result={"tax": 10000})
    log.handoff_opened(channel="web", user_id="s", handoff_id="h1", summary="找人工，我的邮箱 a@b.cn")
    log.handoff_answered(handoff_id="h1", staff="王老师")
    log.flush()
    assert db.query("SELECT enquiry_id, value FROM feedback") == [{"enquiry_id": enquiry_id, "value": -1}]
    calculations = db.query("SELECT kind, region, total FROM calculations ORDER BY kind")
    assert calculations == [
        {"kind": "eit", "region": "liaoning", "total": 10000.0},
        {"kind": "subsidy", "region": "liaoning", "total": 205000.0},
    ]
    items = db.query("SELECT item, claimed, estimate FROM calculation_items ORDER BY item")
    assert items == [
        {"item": "eit", "claimed": None, "estimate": 10000.0},
        {"item": "overseas-warehouse", "claimed": 800000.0, "estimate": 200000.0},
        {"item": "training", "claimed": 10000.0, "estimate": 5000.0},
    ]
    [handoff] = db.query("SELECT * FROM handoffs")
    assert handoff["summary"] == "找人工，我的邮箱 [邮箱]" and handoff["answered_by"] == "王老师"
    assert handoff["opened_at"] <= handoff["answered_at"] and handoff["region"] == "liaoning"


def hold_write_lock(db: Database):
    """Another process holding the enquiry table: SQLite's write lock, or a PostgreSQL table lock."""
    if db.backend == "sqlite":
        blocker = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN EXCLUSIVE")
        return blocker
    import psycopg

    blocker = psycopg.connect(str(db.url))
    blocker.execute("LOCK TABLE enquiries IN EXCLUSIVE MODE")  # writes wait, reads go on (as in SQLite's WAL)
    return blocker


def test_calls_do_not_wait_for_a_locked_database_and_rows_arrive_later(db: Database, tmp_path: Path) -> None:
    log = open_log(db)
    blocker = hold_write_lock(db)  # another process holds the write lock
    try:
        for n in range(50):
            log.enquiry(channel="web", user_id=str(n), region=None, text=f"问题{n}", reply=FakeReply(), latency_ms=1)
        log.durable().result(5)  # safe in the synced spool although the database is locked
        assert log.spool.pending == 50  # queued, not written, not dropped
        assert db.query("SELECT count(*) AS n FROM enquiries") == [{"n": 0}]
    finally:
        threading.Timer(0.3, blocker.rollback).start()
    log.flush(timeout=30)
    blocker.close()
    assert db.query("SELECT count(*) AS n FROM enquiries") == [{"n": 50}]
    assert log.spool.pending == 0


def test_close_drains_the_queue(tmp_path: Path) -> None:
    database = Database(tmp_path / "log.db")
    log = EnquiryLog(database, "k")
    for n in range(200):
        log.enquiry(channel="web", user_id="u", region=None, text=f"问题{n}", reply=FakeReply(), latency_ms=1)
    log.close()
    database.close()
    assert not log.spool.path.exists()  # nothing left to replay
    reopened = Database(tmp_path / "log.db")
    try:
        assert reopened.query("SELECT count(*) AS n FROM enquiries") == [{"n": 200}]
    finally:
        reopened.close()


def test_rows_of_a_dead_process_are_replayed_once(tmp_path: Path) -> None:
    spool_dir = tmp_path / "log.db.spool"
    spool_dir.mkdir()
    row = {"id": "e" * 32, "time": "2026-11-20T08:00:00.000Z", "channel": "web", "user_key": "x", "text": "残留"}
    lines = [json.dumps([{"t": "enquiries", "r": row, "m": "insert"}], ensure_ascii=False)] * 2 + ['[{"t": "enq']
    (spool_dir / "999999-dead.jsonl").write_text("\n".join(lines), encoding="utf-8")
    database = Database(tmp_path / "log.db")
    log = EnquiryLog(database, "k")
    try:
        log.flush()
        assert database.query("SELECT id, text FROM enquiries") == [{"id": "e" * 32, "text": "残留"}]
        assert not (spool_dir / "999999-dead.jsonl").exists()
    finally:
        log.close()
        database.close()


def test_spool_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    database = Database(tmp_path / "log.db")
    first = EnquiryLog(database, "k")
    first.spool.append([{"t": "enquiries", "r": {"id": "f" * 32}, "m": "insert"}])
    second = EnquiryLog(database, "k")  # a second process on the same database
    try:
        assert first.spool.path.exists()
        second.flush()
        assert database.query("SELECT count(*) AS n FROM enquiries") == [{"n": 0}]
    finally:
        second.close()
        database.close()
        first.close()  # the database is closed: its row stays in its spool
    assert first.spool.path.exists()  # its row never reached the database: kept for replay


CHILD = """
import sys, time
from bot.storage.sqlite import Database
from bot.storage import open_database
from bot.records.enquiry_log import EnquiryLog
db = Database(sys.argv[1])
log = EnquiryLog(db, "k")
for n in range(20):
    log.enquiry(channel="web", user_id="u", region=None, text=f"被杀前的问题{n}", reply=None, latency_ms=1)
time.sleep(0.5)  # handed over and spooled; the writer waits for the lock the parent holds
print("recorded", flush=True)
time.sleep(60)
"""


def test_rows_survive_a_hard_kill_while_the_database_is_locked(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "kill.db"
    Database(path).close()  # schema in place
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "recorded"
        child.kill()  # SIGKILL: no shutdown, no drain
        child.wait(10)
    finally:
        child.stdout.close()
        blocker.rollback()
        blocker.close()
    database = Database(path)
    log = EnquiryLog(database, "k")  # replays the dead process's spool
    try:
        log.flush()
        assert database.query("SELECT count(*) AS n FROM enquiries") == [{"n": 20}]
    finally:
        log.close()
        database.close()
    assert list((tmp_path / "kill.db.spool").iterdir()) == []
