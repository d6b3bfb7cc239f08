"""Time as every table stores it: UTC text with milliseconds, '2026-11-22T14:05:09.123Z'.

One format for every row (enquiries, tickets, state, subscriptions, the audit), so times compare
as text in SQL and read back with one parser."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))  # where the users are: calendar days (figures, policy dates) are theirs


def utc_text(moment: datetime | float | None = None) -> str:
    """A moment (an aware datetime, a UNIX time, or now) as the stored time string."""
    if moment is None:
        moment = time.time()
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    # isoformat (C) rather than strftime: a web message stamps a few rows
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def utc_now() -> str:
    return utc_text()


def parse_utc(text: str) -> datetime:
    """A stored time string (or any ISO time) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
