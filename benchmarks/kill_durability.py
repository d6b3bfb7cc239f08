"""kill -9 under load, several times: is every enquiry answered with HTTP 200 in the log afterwards?

    .venv/bin/python benchmarks/kill_durability.py [--runs 3] [--replies 2000] [--sessions 50] [--workers 1]

Each run starts the real server (`cbec-bot serve` on a free port of 127.0.0.1, a fresh SQLite
file, flood limits off; see benchmarks/web_load.py), lets ``--sessions`` concurrent web chat
sessions talk to it until at least ``--replies`` replies came back plus a random few hundred more
(so the kill falls at no particular moment), sends SIGKILL to the server's process group, starts
the server again on the same database (which writes what the dead process left in its spool),
stops it, and counts the enquiries answered with HTTP 200 that have no row. Bounded: at most
``--runs`` runs of at most 5 minutes each. Exit status 1 when any enquiry was lost.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_load import Background, is_enquiry, missing_rows, start_server  # noqa: E402


def rows(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM enquiries").fetchone()[0]
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--replies", type=int, default=2000, help="replies before the kill, at least [2000]")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the server [1]")
    args = parser.parse_args()
    total_answered = total_lost = 0
    for run in range(1, min(args.runs, 10) + 1):
        with tempfile.TemporaryDirectory(prefix="kill-durability-") as folder:
            db = Path(folder) / "kill.db"
            server = start_server(db, workers=args.workers)
            load = Background(server.url, sessions=args.sessions, duration=300, seed=run)
            target = args.replies + random.randrange(0, 400)
            started = time.monotonic()
            try:
                load.wait_for_replies(target, timeout=290)
            finally:
                server.kill()
                results = load.stop()
            seconds = time.monotonic() - started
            before = rows(db)
            restarted = start_server(db, workers=1)
            code = restarted.stop()
            replayed = rows(db) - before
            enquiries = sum(1 for _, text in results.answered if is_enquiry(text))
            lost = missing_rows(db, results.answered)
            spooled = list(db.with_name(db.name + ".spool").glob("*.jsonl"))
            total_answered += enquiries
            total_lost += lost
            print(f"run {run}: killed after {len(results.answered)} replies in {seconds:.1f} s "
                  f"({len(results.answered) / seconds:.0f} req/s); {enquiries} enquiries answered, lost {lost}; "
                  f"{replayed} rows written from the spool at the restart (exit {code}), spool files left {len(spooled)}", flush=True)  # fmt: skip
    print(f"total: {total_answered} enquiries answered with HTTP 200 over {args.runs} kill -9 runs, lost {total_lost}")
    return 1 if total_lost else 0


if __name__ == "__main__":
    sys.exit(main())
