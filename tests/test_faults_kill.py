"""A hard kill (SIGKILL) and a stop (SIGTERM) of `cbec-bot serve` while 20 web chat sessions talk
to it: every enquiry answered with HTTP 200 is in the log afterwards (issue 15, D1). After the
kill the server is started again on the same database, which writes what the dead process left
in its spool; the SIGTERM stop writes everything itself and leaves no spool behind."""

from __future__ import annotations

import signal
from pathlib import Path

from fault_harness import Background, lost, phones_in, start_server


def test_kill_9_under_load_loses_no_answered_enquiry(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    server = start_server(db)
    load = Background(server.url, sessions=20)
    try:
        load.wait_for_replies(300)
    finally:
        server.kill()  # SIGKILL mid-load: no shutdown, no drain
        results = load.stop()
    assert len(results.answered) >= 300
    restarted = start_server(db)  # replays the dead process's spool at start-up
    assert restarted.stop() == 0
    assert lost(db, results) == 0
    assert list((tmp_path / "kill.db.spool").glob("*.jsonl")) == []
    assert results.phones and phones_in(server.log, results.phones) == 0  # nor in the server's log


def test_sigterm_under_load_loses_no_answered_enquiry(tmp_path: Path) -> None:
    db = tmp_path / "term.db"
    server = start_server(db)
    load = Background(server.url, sessions=20)
    try:
        load.wait_for_replies(300)
        assert server.stop(signal.SIGTERM, timeout=30) == 0  # drains and writes the last rows itself
    finally:
        results = load.stop()
        if server.process.poll() is None:
            server.kill()
    assert len(results.answered) >= 300
    assert lost(db, results) == 0
    assert list((tmp_path / "term.db.spool").glob("*.jsonl")) == []  # nothing left to replay
    assert results.phones and phones_in(server.log, results.phones) == 0
