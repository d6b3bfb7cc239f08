"""Read side of the enquiry log: the figures the dashboard and the staff commands show.

Every function takes a ``Database`` (reads only, on the calling thread's connection) and a
``Scope``: a period of calendar days in China time (UTC+8, where the users are) and optional
region and channel filters. Async callers run these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.records import clock
from bot.records.clock import CHINA, parse_utc
from bot.storage.sqlite import Database

LOW_CONFIDENCE = 0.5
UNANSWERED_KINDS = ("fallback", "excerpt")  # no FAQ answer: nothing, or only a clause excerpt


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def _utc(day: date) -> str:
    """Start of a China-time day as the log's UTC time string."""
    return clock.utc_text(datetime.combine(day, time(0), CHINA))


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    region: str | None = None
    channel: str | None = None

    @classmethod
    def last(cls, days: int, today: date | None = None, **filters: Any) -> Scope:
        today = today or today_in_china()
        return cls(today - timedelta(days=max(days, 1) - 1), today, **filters)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def where(self, time_column: str = "time", alias: str = "") -> tuple[str, list[Any]]:
        """SQL condition and parameters selecting the scope's rows of a table with these columns."""
        prefix = f"{alias}." if alias else ""
        clauses = [f"{prefix}{time_column} >= ?", f"{prefix}{time_column} < ?"]
        params: list[Any] = [_utc(self.start), _utc(self.end + timedelta(days=1))]
        if self.region:
            clauses.append(f"{prefix}region = ?")
            params.append(self.region)
        if self.channel:
            clauses.append(f"{prefix}channel = ?")
            params.append(self.channel)
        return " AND ".join(clauses), params


def enquiries_per_day(db: Database, scope: Scope) -> list[tuple[date, int]]:
    where, params = scope.where()
    rows = db.query(
        f"SELECT date(time, '+8 hours') AS day, count(*) AS n FROM enquiries WHERE {where} GROUP BY day", params
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [(day, counts.get(day.isoformat(), 0)) for day in scope.days]


def total_enquiries(db: Database, scope: Scope) -> int:
    where, params = scope.where()
    return db.query(f"SELECT count(*) AS n FROM enquiries WHERE {where}", params)[0]["n"]


def count_by(db: Database, scope: Scope, column: str) -> list[tuple[str | None, int]]:
    """Enquiries per value of ``column`` (kind, intent, region or channel), most first."""
    if column not in {"kind", "intent", "region", "channel"}:
        raise ValueError(column)
    where, params = scope.where()
    rows = db.query(
        f"SELECT {column} AS value, count(*) AS n FROM enquiries WHERE {where} GROUP BY {column} ORDER BY n DESC, value",
        params,
    )
    return [(row["value"], row["n"]) for row in rows]


def region_by_channel(db: Database, scope: Scope) -> dict[tuple[str | None, str], int]:
    where, params = scope.where()
    rows = db.query(f"SELECT region, channel, count(*) AS n FROM enquiries WHERE {where} GROUP BY region, channel", params)
    return {(row["region"], row["channel"]): row["n"] for row in rows}


def top_intents(db: Database, scope: Scope, limit: int = 10) -> list[tuple[str, int]]:
    return [(intent, n) for intent, n in count_by(db, scope, "intent") if intent][:limit]


def top_topics(
    db: Database, scope: Scope, topic_of: Callable[[str], str | None], limit: int = 10
) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for intent, n in count_by(db, scope, "intent"):
        if intent:
            topic = topic_of(intent) or "其他"
            totals[topic] = totals.get(topic, 0) + n
    return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


@dataclass(frozen=True)
class QuestionGroup:
    text: str
    count: int
    last_time: str
    kinds: str
    best_intent: str | None
    confidence: float | None


def _grouped(db: Database, scope: Scope, condition: str, limit: int) -> list[QuestionGroup]:
    where, params = scope.where()
    rows = db.query(
        f"""SELECT min(text) AS text, count(*) AS n, max(time) AS last_time, group_concat(DISTINCT kind) AS kinds,
                   max(intent) AS best_intent, avg(confidence) AS confidence
            FROM enquiries WHERE {where} AND ({condition})
            GROUP BY lower(replace(replace(trim(text), ' ', ''), '？', '?'))
            ORDER BY n DESC, last_time DESC LIMIT ?""",
        [*params, limit],
    )
    return [
        QuestionGroup(row["text"], row["n"], row["last_time"], row["kinds"] or "", row["best_intent"], row["confidence"])
        for row in rows
    ]


def unanswered(db: Database, scope: Scope, limit: int = 20) -> list[QuestionGroup]:
    """Questions the FAQ had no answer for (fallback, or only a clause excerpt), grouped by text."""
    kinds = ", ".join(f"'{kind}'" for kind in UNANSWERED_KINDS)
    return _grouped(db, scope, f"kind IN ({kinds})", limit)


def unanswered_needs(db: Database, scope: Scope, limit: int = 20) -> list[QuestionGroup]:
    """The unanswered enquiries of ``scope`` in clusters of similar questions (the triage queue's
    grouping, bot/records/triage.py), largest first: where the policies are silent. Each group is
    named by its commonest text; its count is the whole cluster's."""
    from bot.records.triage import cluster_rows

    where, params = scope.where()
    kinds = ", ".join(f"'{kind}'" for kind in UNANSWERED_KINDS)
    rows = db.query(
        f"""SELECT id, time, text, kind, intent, confidence, top3 FROM enquiries
            WHERE {where} AND kind IN ({kinds}) AND text IS NOT NULL AND text <> ''""",
        params,
    )
    groups = []
    for cluster in cluster_rows(rows)[:limit]:
        best, confidence = cluster.closest[0] if cluster.closest else (None, None)
        kinds_seen = "、".join(sorted({row["kind"] for row in cluster.members}))
        groups.append(QuestionGroup(cluster.label, cluster.count, cluster.last_seen, kinds_seen, best, confidence))
    return groups


def low_confidence(db: Database, scope: Scope, limit: int = 20) -> list[QuestionGroup]:
    """Answered, but unsure: the assistant asked back, or its confidence was below the threshold."""
    kinds = ", ".join(f"'{kind}'" for kind in UNANSWERED_KINDS)
    return _grouped(
        db,
        scope,
        f"kind NOT IN ({kinds}, 'smalltalk') AND (kind = 'clarify' OR confidence < {LOW_CONFIDENCE})",
        limit,
    )


@dataclass(frozen=True)
class Feedback:
    up: int
    down: int

    @property
    def ratio(self) -> float | None:
        """Share of 👍 among all votes, or None without votes."""
        total = self.up + self.down
        return self.up / total if total else None


def feedback(db: Database, scope: Scope) -> Feedback:
    where, params = scope.where(alias="f")
    if scope.region:  # feedback rows carry no region: take the enquiry's
        where = where.replace("f.region", "e.region")
    row = db.query(
        f"""SELECT coalesce(sum(f.value = 1), 0) AS up, coalesce(sum(f.value = -1), 0) AS down
            FROM feedback f LEFT JOIN enquiries e ON e.id = f.enquiry_id WHERE {where}""",
        params,
    )[0]
    return Feedback(row["up"], row["down"])


def open_handoffs(db: Database, scope: Scope | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Hand-offs nobody has answered yet, oldest first (whatever the period: they still wait)."""
    clauses, params = ["answered_at IS NULL"], []
    if scope and scope.region:
        clauses.append("region = ?")
        params.append(scope.region)
    if scope and scope.channel:
        clauses.append("channel = ?")
        params.append(scope.channel)
    return db.query(
        f"SELECT id, opened_at, channel, region, summary FROM handoffs WHERE {' AND '.join(clauses)} "
        "ORDER BY opened_at LIMIT ?",
        [*params, limit],
    )


def count_open_handoffs(db: Database) -> int:
    return db.query("SELECT count(*) AS n FROM handoffs WHERE answered_at IS NULL")[0]["n"]


@dataclass(frozen=True)
class Demand:
    item: str
    count: int
    claimed: float
    estimate: float


def calculator_demand(db: Database, scope: Scope) -> list[Demand]:
    """Calculator runs per subsidy item (and first-order, eit) with summed claims and estimates."""
    where, params = scope.where(alias="c")
    rows = db.query(
        f"""SELECT i.item, count(*) AS n, coalesce(sum(i.claimed), 0) AS claimed, coalesce(sum(i.estimate), 0) AS estimate
            FROM calculation_items i JOIN calculations c ON c.id = i.calculation_id
            WHERE {where} GROUP BY i.item ORDER BY n DESC, i.item""",
        params,
    )
    return [Demand(row["item"], row["n"], row["claimed"], row["estimate"]) for row in rows]


@dataclass(frozen=True)
class ListQuery:
    """The enquiry list's filters (besides the scope)."""

    search: str = ""
    kind: str | None = None
    intent: str | None = None
    unanswered_only: bool = False
    limit: int | None = 50
    offset: int = 0
    columns: tuple[str, ...] = field(
        default=(
            "id", "time", "channel", "region", "user_key", "text", "kind", "intent", "confidence", "top3", "sources",
            "latency_ms", "faq_version",
        )
    )  # fmt: skip


def list_enquiries(db: Database, scope: Scope, query: ListQuery = ListQuery()) -> tuple[list[dict[str, Any]], int]:
    """(rows newest first, total matching) for the list page and the exports."""
    where, params = scope.where(alias="e")
    if query.search:
        escaped = query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where += " AND (e.text LIKE ? ESCAPE '\\' OR e.intent LIKE ? ESCAPE '\\')"
        params += [f"%{escaped}%", f"%{escaped}%"]
    if query.kind:
        where += " AND e.kind = ?"
        params.append(query.kind)
    if query.intent:
        where += " AND e.intent = ?"
        params.append(query.intent)
    if query.unanswered_only:
        kinds = ", ".join(f"'{kind}'" for kind in UNANSWERED_KINDS)
        where += f" AND (e.kind IN ({kinds}) OR e.kind = 'clarify' OR e.confidence < {LOW_CONFIDENCE})"
    total = db.query(f"SELECT count(*) AS n FROM enquiries e WHERE {where}", params)[0]["n"]
    columns = ", ".join(f"e.{column}" for column in query.columns)
    votes = "(SELECT sum(value) FROM feedback f WHERE f.enquiry_id = e.id) AS feedback"
    sql = f"SELECT {columns}, {votes} FROM enquiries e WHERE {where} ORDER BY e.time DESC"
    if query.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [query.limit, query.offset]
    return db.query(sql, params), total


def china_time(utc_text: str | None) -> str:
    """'2026-11-22T06:05:09.123Z' -> '2026-11-22 14:05' (China time) for display."""
    if not utc_text:
        return ""
    return parse_utc(utc_text).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


SESSION_GAP = timedelta(minutes=30)


def session_of(db: Database, enquiry_id: str, gap: timedelta = SESSION_GAP) -> list[dict[str, Any]]:
    """The whole conversation an enquiry belongs to: the same user's enquiries on the same channel
    with no pause longer than ``gap`` between two of them, oldest first, each with its vote.
    Empty when the enquiry is not in the log."""
    found = db.query("SELECT user_key, channel, time FROM enquiries WHERE id = ?", [enquiry_id])
    if not found:
        return []
    anchor = found[0]
    moment = parse_utc(anchor["time"])
    window = [clock.utc_text(moment + delta) for delta in (-timedelta(days=1), timedelta(days=1))]
    rows = db.query(
        """SELECT e.id, e.time, e.channel, e.region, e.text, e.kind, e.intent, e.confidence, e.top3, e.sources,
                  e.latency_ms, (SELECT sum(value) FROM feedback f WHERE f.enquiry_id = e.id) AS feedback
           FROM enquiries e WHERE e.user_key = ? AND e.channel = ? AND e.time >= ? AND e.time <= ?
           ORDER BY e.time, e.id""",
        [anchor["user_key"], anchor["channel"], *window],
    )
    index = next(i for i, row in enumerate(rows) if row["id"] == enquiry_id)

    def moment_of(row: dict[str, Any]) -> datetime:
        return parse_utc(row["time"])

    first = index
    while first > 0 and moment_of(rows[first]) - moment_of(rows[first - 1]) <= gap:
        first -= 1
    last = index
    while last + 1 < len(rows) and moment_of(rows[last + 1]) - moment_of(rows[last]) <= gap:
        last += 1
    return rows[first : last + 1]
