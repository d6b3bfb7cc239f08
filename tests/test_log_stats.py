"""The figures the dashboard and the staff commands show, over a seeded log."""

from __future__ import annotations

from datetime import date

import pytest

from bot.records import stats as stats
from bot.records.enquiry_log import apply_record
from bot.storage import open_database
from bot.storage.sqlite import Database

TODAY = date(2026, 11, 22)


def enquiry(n: int, time: str, **columns: object) -> list[dict]:
    row = {"id": f"e{n:031d}", "time": time, "channel": "web", "user_key": "u", "region": "dalian-gxq",
           "text": f"问题{n}", "kind": "answer", "intent": "a", "confidence": 0.9}  # fmt: skip
    row.update(columns)
    return [{"t": "enquiries", "r": row, "m": "insert"}]


@pytest.fixture
def db(db_target):
    database = open_database(db_target)
    records = [
        enquiry(1, "2026-11-21T15:59:00.000Z"),  # 2026-11-21 23:59 China time
        enquiry(2, "2026-11-21T16:00:00.000Z"),  # 2026-11-22 00:00 China time
        enquiry(3, "2026-11-22T01:00:00.000Z", intent="b", channel="telegram", region="liaoning"),
        enquiry(4, "2026-11-22T02:00:00.000Z", kind="fallback", intent=None, confidence=0.1, text="天气 怎么样？"),
        enquiry(5, "2026-11-22T03:00:00.000Z", kind="fallback", intent=None, confidence=0.1, text="天气怎么样?"),
        enquiry(6, "2026-11-22T04:00:00.000Z", kind="clarify", intent="b", confidence=0.4, text="补贴"),
        enquiry(7, "2026-11-10T04:00:00.000Z"),  # outside the last 7 days
        [{"t": "feedback", "r": {"id": "f1", "time": "2026-11-22T05:00:00.000Z", "channel": "web", "user_key": "u",
                                  "enquiry_id": "e" + "0" * 30 + "1", "value": 1}, "m": "insert"}],  # fmt: skip
        [{"t": "feedback", "r": {"id": "f2", "time": "2026-11-22T05:00:00.000Z", "channel": "web", "user_key": "u",
                                  "enquiry_id": "e" + "0" * 30 + "4", "value": -1}, "m": "insert"}],  # fmt: skip
        [{"t": "handoffs", "r": {"id": "h1", "opened_at": "2026-11-22T05:00:00.000Z", "channel": "web",
                                  "summary": "找人工"}, "m": "upsert"}],  # fmt: skip
        [{"t": "handoffs", "r": {"id": "h2", "opened_at": "2026-11-22T05:00:00.000Z", "channel": "web",
                                  "summary": "答过了", "answered_at": "2026-11-22T06:00:00.000Z"}, "m": "upsert"}],  # fmt: skip
        [
            {"t": "calculations", "r": {"id": "c1", "time": "2026-11-22T05:00:00.000Z", "channel": "web",
                                         "user_key": "u", "kind": "subsidy"}, "m": "insert"},  # fmt: skip
            {"t": "calculation_items", "r": {"calculation_id": "c1", "item": "training", "claimed": 100.0,
                                              "estimate": 50.0}, "m": "insert"},  # fmt: skip
        ],
    ]
    for record in records:
        database.execute_write_fn(lambda d, r=record: apply_record(d, r))
    database.flush()
    yield database
    database.close()


def test_days_are_china_time_days(db: Database) -> None:
    per_day = stats.enquiries_per_day(db, stats.Scope.last(7, TODAY))
    assert len(per_day) == 7 and per_day[0][0] == date(2026, 11, 16)
    assert per_day[-2:] == [(date(2026, 11, 21), 1), (date(2026, 11, 22), 5)]
    assert stats.total_enquiries(db, stats.Scope.last(30, TODAY)) == 7


def test_filters_by_region_and_channel(db: Database) -> None:
    scope = stats.Scope.last(7, TODAY, region="liaoning")
    assert stats.total_enquiries(db, scope) == 1
    assert stats.count_by(db, stats.Scope.last(7, TODAY), "channel") == [("web", 5), ("telegram", 1)]
    assert stats.region_by_channel(db, stats.Scope.last(7, TODAY))[("liaoning", "telegram")] == 1


def test_top_intents_and_topics(db: Database) -> None:
    scope = stats.Scope.last(7, TODAY)
    assert stats.top_intents(db, scope) == [("a", 2), ("b", 2)]
    assert stats.top_topics(db, scope, {"a": "补贴", "b": "补贴"}.get) == [("补贴", 4)]


def test_unanswered_are_grouped_by_text(db: Database) -> None:
    scope = stats.Scope.last(7, TODAY)
    [group] = stats.unanswered(db, scope)
    assert group.count == 2 and "天气" in group.text
    [low] = stats.low_confidence(db, scope)
    assert low.text == "补贴" and low.count == 1


def test_feedback_handoffs_and_demand(db: Database) -> None:
    scope = stats.Scope.last(7, TODAY)
    votes = stats.feedback(db, scope)
    assert (votes.up, votes.down, votes.ratio) == (1, 1, 0.5)
    assert stats.feedback(db, stats.Scope.last(7, TODAY, region="liaoning")).ratio is None
    assert [h["id"] for h in stats.open_handoffs(db)] == ["h1"] and stats.count_open_handoffs(db) == 1
    assert stats.calculator_demand(db, scope) == [stats.Demand("training", 1, 100.0, 50.0)]


def test_enquiry_list_search_and_filters(db: Database) -> None:
    scope = stats.Scope.last(7, TODAY)
    rows, total = stats.list_enquiries(db, scope, stats.ListQuery(search="天气"))
    assert total == 2 and [r["id"][-1] for r in rows] == ["5", "4"]
    assert rows[1]["feedback"] == -1
    _, total = stats.list_enquiries(db, scope, stats.ListQuery(unanswered_only=True))
    assert total == 3
    _, total = stats.list_enquiries(db, scope, stats.ListQuery(search="%"))
    assert total == 0
    rows, total = stats.list_enquiries(db, scope, stats.ListQuery(limit=2, offset=0))
    assert total == 6 and len(rows) == 2
    assert stats.china_time("2026-11-21T16:00:00.000Z") == "2026-11-22 00:00"
