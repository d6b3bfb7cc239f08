"""Holding a database's writer thread in a write, so that what tests queue meanwhile is taken off
the queue together, as one batch (group commit). Shared by tests/test_storage.py and
tests/test_web_throughput.py."""

from __future__ import annotations

import threading


def hold_writer(db, timeout: float = 30.0) -> threading.Event:
    """Keep the writer busy until the returned event is set (or ``timeout`` seconds pass)."""
    started, release = threading.Event(), threading.Event()

    def hold(_handle) -> None:
        started.set()
        release.wait(timeout)

    db.execute_write_fn(hold)
    assert started.wait(timeout)
    return release
