"""The cyclic garbage collector, set for a server process.

A web worker keeps tens of thousands of long-lived objects that the matcher caches as it answers
(replies, candidates, parsed texts; the FAQ index itself is frozen, intents/respond.py). With
CPython's default thresholds a full collection walks them every few seconds under load, each one
30-40 ms of CPU with the GIL held: every message that worker is answering waits, and those waits
were a good part of the web chat's p99 (issue 15). A full collection every ``FULL_EVERY`` younger
ones instead of every 10 makes them ten times rarer. Reference counting frees nearly everything
a message makes (tests/test_web_throughput.py checks that an answered message leaves no cycle),
so what waits longer for a full collection is little.
"""

from __future__ import annotations

import gc

FULL_EVERY = 100  # collections of the middle generation between two full collections (CPython: 10)


def tune_for_serving() -> None:
    """Full collections ``FULL_EVERY`` times rarer than the default; the younger generations as they are."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
