"""The enquiry log's group commit (bot/records/durable.py): a row is durable (synced spool or committed)
before ``durable()`` resolves, and a failing spool or database never drops a row (issue 15, D1
and D9). Failures are real: the spool's file descriptor is /dev/full (ENOSPC on every write), and
the database refuses rows through a trigger, as a broken disk or a bad migration would."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bot.ops.metrics import Metrics
from bot.records.enquiry_log import EnquiryLog
from bot.storage.sqlite import Database

DEV_FULL = Path("/dev/full")
REFUSE = "CREATE TRIGGER refuse BEFORE INSERT ON enquiries BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"


@pytest.fixture
def log(tmp_path: Path):
    database = Database(tmp_path / "log.db")
    enquiry_log = EnquiryLog(database, "k")
    yield enquiry_log
    enquiry_log.close()
    database.close()


def record(log: EnquiryLog, count: int, start: int = 0) -> list[str]:
    return [
        log.enquiry(channel="web", user_id=f"u{n}", region=None, text=f"问题{n}", reply=None, latency_ms=1)
        for n in range(start, start + count)
    ]


def count(log: EnquiryLog) -> int:
    return log.db.query("SELECT count(*) AS n FROM enquiries")[0]["n"]


def fill_disk(log: EnquiryLog) -> None:
    """Every spool write from now on fails with ENOSPC, as on a full disk."""
    full = os.open(DEV_FULL, os.O_WRONLY)
    os.dup2(full, log.spool._fd)
    os.close(full)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_row_is_in_the_synced_spool_when_durable_resolves(log: EnquiryLog) -> None:
    ids = record(log, 3)
    log.durable().result(5)
    lines = log.spool.path.read_text(encoding="utf-8").splitlines() if log.spool.path.exists() else []
    # each row spooled, or already committed (the writer may have caught up with some and emptied the spool)
    spooled = {op["r"]["id"] for line in lines for op in json.loads(line) if op["t"] == "enquiries"}
    committed = {row["id"] for row in log.db.query("SELECT id FROM enquiries")}
    assert set(ids) <= spooled | committed
    log.flush()
    assert count(log) == 3 and log.health()["problems"] == []


@pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full")
def test_a_full_disk_under_the_spool_drops_no_row(log: EnquiryLog) -> None:
    fill_disk(log)
    record(log, 25)
    log.durable().result(5)  # durable through the database instead
    assert count(log) == 25
    health = log.health()
    assert health["spool_failures"] >= 1 and "spool" in health["problems"]
    assert "No space left" in health["errors"]["spool"]


def test_a_failing_database_write_is_kept_and_retried(log: EnquiryLog) -> None:
    log.db.execute_write_fn(lambda db: db.execute(REFUSE)).result(5)
    record(log, 25)
    log.durable().result(5)  # safe in the spool meanwhile
    wait_for(lambda: log.health()["database_failures"] >= 1)
    health = log.health()
    assert "database" in health["problems"] and health["unwritten"] == 25
    assert count(log) == 0
    log.db.execute_write_fn(lambda db: db.execute("DROP TRIGGER refuse")).result(5)
    wait_for(lambda: count(log) == 25)  # retried by the log itself, nobody called flush()
    wait_for(lambda: log.health()["problems"] == [])
    assert log.health()["unwritten"] == 0 and log.spool.pending == 0


@pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full")
def test_with_spool_and_database_failing_the_rows_wait_in_memory(log: EnquiryLog) -> None:
    fill_disk(log)
    log.db.execute_write_fn(lambda db: db.execute(REFUSE)).result(5)
    record(log, 10)
    durable = log.durable()
    time.sleep(0.5)
    assert not durable.done()  # nothing safe yet: a reply would wait
    assert set(log.health()["problems"]) == {"spool", "database"} and log.health()["unwritten"] == 10
    log.db.execute_write_fn(lambda db: db.execute("DROP TRIGGER refuse")).result(5)
    durable.result(10)
    assert count(log) == 10


def test_metrics_count_the_failures(log: EnquiryLog) -> None:
    metrics = Metrics()
    metrics.track_log(log.health)
    log.db.execute_write_fn(lambda db: db.execute(REFUSE)).result(5)
    record(log, 2)
    wait_for(lambda: log.health()["database_failures"] >= 1)
    text = metrics.render().decode()
    assert 'cbec_log_write_failures_total{target="database"}' in text
    assert "cbec_log_degraded 1.0" in text and "cbec_log_unwritten_rows 2.0" in text
    log.db.execute_write_fn(lambda db: db.execute("DROP TRIGGER refuse")).result(5)
    wait_for(lambda: count(log) == 2)


@pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full")
def test_a_short_spool_write_leaves_no_broken_line(tmp_path: Path) -> None:
    """A write cut short by a full disk is taken back, so the next record's line stays whole."""
    from bot.records.spool import Spool

    spool = Spool(tmp_path / "spool")
    spool.append_many([{"n": 1}], sync=True)
    good = os.dup(spool._fd)
    full = os.open(DEV_FULL, os.O_WRONLY)
    os.dup2(full, spool._fd)
    with pytest.raises(OSError):
        spool.append_many([{"n": 2}], sync=True)
    os.dup2(good, spool._fd)
    os.close(good)
    os.close(full)
    spool.append_many([{"n": 3}], sync=True)
    assert spool.path.read_text().splitlines() == ['{"n":1}', '{"n":3}']
    spool.close()


def test_the_spool_is_emptied_soon_after_the_database_caught_up_even_when_nothing_follows(log: EnquiryLog) -> None:
    """Emptied at once at most every TIDY_EVERY seconds (an ftruncate per commit held up the writer
    under load); a file left with rows the database has is emptied by the flusher within that time."""
    from bot.records.spool import TIDY_EVERY

    record(log, 1)
    log.flush()
    wait_for(lambda: log.spool.path.stat().st_size == 0)  # the first time: at once
    record(log, 2, start=1)
    log.flush()  # a moment after the last emptying: left to the flusher
    assert count(log) == 3
    wait_for(lambda: log.spool.path.stat().st_size == 0, timeout=TIDY_EVERY + 5)
    assert log.spool.pending == 0 and log.health()["problems"] == []
