"""Messages for web sessions that arrive outside a request (a staff member answering a hand-off).

The page collects them with /api/chat/poll. Kept in memory, at most ``limit`` per session and
``sessions`` sessions (oldest dropped first); a restart loses undelivered ones, which the
staff member's own channel still shows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Any


class Outbox:
    def __init__(self, limit: int = 20, sessions: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._boxes: OrderedDict[str, deque[Any]] = OrderedDict()
        self._limit, self._sessions = limit, sessions

    def deliver(self, session: str, message: Any) -> None:
        with self._lock:
            box = self._boxes.pop(str(session), None) or deque(maxlen=self._limit)
            box.append(message)
            self._boxes[str(session)] = box
            while len(self._boxes) > self._sessions:
                self._boxes.popitem(last=False)

    def take(self, session: str) -> list[Any]:
        with self._lock:
            box = self._boxes.pop(session, None)
        return list(box) if box else []
