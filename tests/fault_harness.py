"""What the fault tests (tests/test_faults_*.py) share: the real server started the way
benchmarks/web_load.py starts it (`cbec-bot serve` on 127.0.0.1, flood limits off, its own
process group), concurrent web chat sessions in a background thread, and the count of
enquiries answered with HTTP 200 that have no row in the log."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from web_load import Background, Results, Server, missing_rows, phones_in, start_server  # noqa: E402

__all__ = ["Background", "Results", "Server", "health", "lost", "missing_rows", "phones_in", "start_server"]


def health(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/healthz", timeout=10).json()


def lost(db: Path, results: Results) -> int:
    """Enquiries answered with HTTP 200 and missing from the log (after the restart)."""
    return missing_rows(db, results.answered)
