"""One time format for every stored row (bot/records/clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.records.clock import parse_utc, utc_text


def test_every_kind_of_moment_is_stored_alike() -> None:
    moment = datetime(2026, 11, 22, 14, 5, 9, 123456, tzinfo=UTC)
    china = moment.astimezone(timezone(timedelta(hours=8)))
    assert utc_text(moment) == utc_text(china) == utc_text(moment.timestamp()) == "2026-11-22T14:05:09.123Z"
    assert parse_utc(utc_text(moment)) == moment.replace(microsecond=123000)
    assert utc_text().endswith("Z") and len(utc_text()) == len("2026-11-22T14:05:09.123Z")
