"""When staff answer hand-offs: ``CBEC_HANDOFF_HOURS``, parsed and validated at start-up.

Format: ``DAYS HH:MM-HH:MM [ZONE]``

- ``DAYS``: ``daily``, a day (``mon``), a range (``mon-fri``) or a comma list of both
  (``mon-fri,sun``); days are ``mon tue wed thu fri sat sun``.
- ``HH:MM-HH:MM``: start and end of the working day (24-hour clock, start before end).
- ``ZONE``: an IANA time zone, ``Asia/Shanghai`` when left out.

Example: ``mon-fri 09:00-17:00 Asia/Shanghai``. Empty: no working hours are set, and the
assistant promises no time for an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
FORMAT = "expected 'DAYS HH:MM-HH:MM [ZONE]', e.g. 'mon-fri 09:00-17:00 Asia/Shanghai'"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class ServiceHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.zone)

    def is_open(self, now: datetime) -> bool:
        here = self.local(now)
        return here.weekday() in self.days and self.start <= here.time() < self.end

    def next_opening(self, now: datetime) -> datetime:
        """The next start of a working day after ``now`` (local time of the zone)."""
        here = self.local(now)
        for ahead in range(8):
            day = (here + timedelta(days=ahead)).date()
            opening = datetime.combine(day, self.start, tzinfo=self.zone)
            if day.weekday() in self.days and opening > here:
                return opening
        raise AssertionError("no working day in a week")  # parse_hours refuses an empty set

    def closing_today(self, now: datetime) -> datetime:
        return datetime.combine(self.local(now).date(), self.end, tzinfo=self.zone)

    def label(self) -> str:
        """「周一至周五9:00—17:00（北京时间）」"""
        return f"{days_label(self.days)}{clock(self.start)}—{clock(self.end)}（{zone_label(self.zone)}）"


def clock(moment: time | datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def zone_label(zone: ZoneInfo) -> str:
    return "北京时间" if zone.key in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else zone.key


def days_label(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return "每天"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]}至{DAY_NAMES[ordered[-1]]}"
    return "、".join(DAY_NAMES[d] for d in ordered)


def parse_hours(raw: str) -> ServiceHours:
    """Parse the setting; raise ValueError saying what is wrong."""
    parts = raw.split()
    if len(parts) not in (2, 3):
        raise ValueError(FORMAT)
    days = _days(parts[0].lower())
    match = _CLOCK.match(parts[1])
    if match is None:
        raise ValueError(f"bad hours {parts[1]!r}: {FORMAT}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = time(h1, m1)
    end = time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2, m2)
    if h2 == 24 and m2:
        raise ValueError(f"bad hours {parts[1]!r}: {FORMAT}")
    if not start < end:
        raise ValueError(f"the working day must start before it ends (got {parts[1]!r})")
    name = parts[2] if len(parts) == 3 else "Asia/Shanghai"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None
    return ServiceHours(days, start, end, zone)


def _days(text: str) -> frozenset[int]:
    if text == "daily":
        return frozenset(range(7))
    chosen: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"bad days {text!r}: use mon tue wed thu fri sat sun, ranges (mon-fri), commas or daily")
        a, b = DAYS.index(first), DAYS.index(last or first)
        chosen.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(chosen)
