"""A month of enquiries (November 2026) and the month before, written with the log's own
``apply_record`` into a real SQLite file: used by the report and dashboard tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.records.enquiry_log import apply_record
from bot.storage.sqlite import Database

# intent ids of the packaged FAQ (titles and topics come from it)
WAREHOUSE = "gxq-overseas-warehouse-subsidy"
KINDS_NOV = ["answer"] * 12 + ["clarify"] * 4 + ["fallback"] * 3 + ["calculation"] * 2 + ["smalltalk", "checklist", "excerpt"]
KINDS_OCT = ["answer"] * 8 + ["clarify"] * 4 + ["fallback"] * 4 + ["smalltalk"] * 2


def _t(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed(db: Database, intents: list[str]) -> dict[str, list[str]]:
    """November 2026: 60 enquiries, 12 votes, 3 hand-offs, 3 calculator runs; October: 36, 8, 2.
    Returns each month's reply kinds, in order, for the tests to count."""
    records: list[list[dict]] = []
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 China time
    regions = ["dalian-gxq", "dalian-gxq", "liaoning", "sichuan", "yingkou"]
    channels = ["web", "web", "telegram"]
    n = 0

    def enquiry(moment: datetime, kind: str, index: int, month: str) -> None:
        nonlocal n
        n += 1
        policy = kind not in {"fallback", "smalltalk", "excerpt"}
        intent = intents[index % len(intents)] if policy else ("chat-greeting" if kind == "smalltalk" else None)
        text = {"fallback": ["今天天气好不好", "失业金怎么领", "推荐一部电影"][index % 3],
                "smalltalk": "你好"}.get(kind, f"{month}问题{index}：海外仓补贴上限是多少")  # fmt: skip
        records.append([{"t": "enquiries", "m": "insert", "r": {
            "id": f"{month}-{n:04d}", "time": _t(moment), "channel": channels[index % 3], "user_key": f"user{index % 7}",
            "region": regions[index % 5], "text": text, "kind": kind, "intent": intent,
            "confidence": 0.9 if kind in {"answer", "calculation", "checklist"} else 0.35 if kind == "clarify" else 0.1,
            "top3": "[]", "sources": "[]", "latency_ms": 100.0 + (index % 5) * 20, "faq_version": "seed"}}])  # fmt: skip

    # November: 60 enquiries over the 30 days, 2 a day, 22 patterns spread out
    nov = (KINDS_NOV * 3)[:60]
    nov[-2:] = ["clarify", "fallback"]
    for index, kind in enumerate(nov):
        enquiry(start + timedelta(hours=12 * index), kind, index, "nov")
    # October: 36
    for index, kind in enumerate((KINDS_OCT * 2)[:36]):
        enquiry(datetime(2026, 10, 1, 2, 0, tzinfo=UTC) + timedelta(hours=20 * index), kind, index, "oct")
    # votes: November 9 👍 3 👎; October 4 👍 4 👎
    for i in range(12):
        records.append([{"t": "feedback", "m": "insert", "r": {"id": f"fn{i}", "time": _t(start + timedelta(days=i)),
                         "channel": "web", "user_key": "u", "enquiry_id": f"nov-{i + 1:04d}", "value": 1 if i < 9 else -1}}])  # fmt: skip
    for i in range(8):
        records.append([{"t": "feedback", "m": "insert", "r": {"id": f"fo{i}", "time": _t(datetime(2026, 10, 2 + i, 3, tzinfo=UTC)),
                         "channel": "web", "user_key": "u", "enquiry_id": None, "value": 1 if i < 4 else -1}}])  # fmt: skip
    # hand-offs: November 3 (answered after 30, 60 and 90 minutes... one still open), October 2
    for i, wait in enumerate([30, 90, None]):
        opened = start + timedelta(days=3 + i * 5)
        row = {"id": f"hn{i}", "opened_at": _t(opened), "channel": "web", "region": "dalian-gxq", "summary": "转人工"}
        if wait:
            row["answered_at"] = _t(opened + timedelta(minutes=wait))
        records.append([{"t": "handoffs", "m": "upsert", "r": row}])
    for i in range(2):
        opened = datetime(2026, 10, 5 + i, 3, tzinfo=UTC)
        records.append([{"t": "handoffs", "m": "upsert", "r": {"id": f"ho{i}", "opened_at": _t(opened), "channel": "web",
                         "answered_at": _t(opened + timedelta(minutes=120))}}])  # fmt: skip
    # calculator runs in November: 海外仓 twice (80万 → 40万, 120万 → 50万), 人才培训 once
    for i, (item, claimed, estimate) in enumerate([("overseas-warehouse", 800000.0, 400000.0),
                                                   ("overseas-warehouse", 1200000.0, 500000.0),
                                                   ("training", 100000.0, 50000.0)]):  # fmt: skip
        records.append([
            {"t": "calculations", "m": "insert", "r": {"id": f"c{i}", "time": _t(start + timedelta(days=4 + i)),
             "channel": "web", "user_key": "u", "region": "dalian-gxq", "kind": "subsidy"}},  # fmt: skip
            {"t": "calculation_items", "m": "insert", "r": {"calculation_id": f"c{i}", "item": item,
             "claimed": claimed, "estimate": estimate}},  # fmt: skip
        ])
    for record in records:
        db.execute_write_fn(lambda d, r=record: apply_record(d, r))
    db.flush()
    return {"nov": nov, "oct": (KINDS_OCT * 2)[:36]}
