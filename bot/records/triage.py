"""The triage queue: unanswered, asked-back and 👎 enquiries grouped into clusters to decide on.

The pool is every enquiry of the last ``days`` days that the FAQ did not answer (fallback, a
clause excerpt), that it asked back about (clarify), or whose answer got a 👎, minus those a
decision already took out of the queue. Texts are grouped with intents/grouping.py (the same
normalised text counts once, with its number of enquiries) and shown largest cluster first.

A decision on a cluster (add to an intent, new intent, out of scope with a reason, dismiss) is
a ``triage_decisions`` row and one ``triage_handled`` row per enquiry it covers: the cluster
leaves the queue and is listed as 已处理, and can be put back. After an FAQ change
(bot/ops/faq_ops.py) ``rerun`` answers the queued enquiries again with the new FAQ and marks the
clusters the change now answers as resolved. A cluster is named by its earliest enquiry's id,
which stays in it while the cluster grows. Writes go through the writer thread in plain SQL.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.records.clock import utc_now, utc_text
from bot.storage.sqlite import Database
from intents.grouping import group
from intents.normalize import normalize

if TYPE_CHECKING:
    from intents.respond import Responder

log = logging.getLogger(__name__)
POOL_KINDS = ("fallback", "excerpt", "clarify")
ANSWERED_KINDS = ("answer", "calculation", "checklist")
DAYS = 90
POOL_LIMIT = 3000  # most recent queued enquiries grouped at once (a few hundred ms)
ACTIONS = {
    "add-question": "加入已有意图", "new-intent": "新建意图", "out-of-scope": "不属于本助手范围",
    "dismissed": "忽略", "resolved": "FAQ修改后已能解答",
}  # fmt: skip


@dataclass
class Cluster:
    key: str  # id of its earliest enquiry
    members: list[dict[str, Any]]
    examples: list[tuple[str, int]]  # distinct texts (as stored, redacted), most frequent first
    first_seen: str
    last_seen: str
    kinds: dict[str, int]  # 未能回答 / 追问 / 差评 counts
    closest: list[tuple[str, float]] = field(default_factory=list)  # intent id, score

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        return self.examples[0][0]


def _since(days: int, now: datetime | None = None) -> str:
    return utc_text((now or datetime.now(UTC)) - timedelta(days=max(days, 1)))


def pool(db: Database, days: int = DAYS, limit: int = POOL_LIMIT) -> list[dict[str, Any]]:
    """Queued enquiries, newest first: not answered, asked back or 👎, and not yet decided on."""
    kinds = ", ".join("?" for _ in POOL_KINDS)
    return db.query(
        f"""SELECT e.id, e.time, e.text, e.kind, e.intent, e.region, e.confidence, e.top3,
                   (SELECT min(f.value) FROM feedback f WHERE f.enquiry_id = e.id) AS vote
            FROM enquiries e
            WHERE e.time >= ? AND e.text IS NOT NULL AND e.text <> ''
              AND (e.kind IN ({kinds})
                   OR EXISTS (SELECT 1 FROM feedback f WHERE f.enquiry_id = e.id AND f.value = -1))
              AND NOT EXISTS (SELECT 1 FROM triage_handled h WHERE h.enquiry_id = e.id)
            ORDER BY e.time DESC, e.id LIMIT ?""",
        [_since(days), *POOL_KINDS, limit],
    )


def cluster_rows(rows: list[dict[str, Any]], rank: Callable[[str], list[tuple[str, float]]] | None = None) -> list[Cluster]:
    """Group enquiry rows into clusters, largest first. ``rank`` gives the closest intents of a
    text for clusters whose enquiries logged none (a fallback logs no candidates)."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_text.setdefault(normalize(row["text"]) or row["text"], []).append(row)
    keys = list(by_text)
    grouping = group(keys, [len(by_text[k]) for k in keys])
    clusters: list[list[str]] = [[] for _ in grouping.sizes]
    for key, label in zip(keys, grouping.labels, strict=True):
        clusters[label].append(key)
    result = []
    for texts in clusters:
        members = [row for key in texts for row in by_text[key]]
        members.sort(key=lambda row: (row["time"], row["id"]))
        shown = Counter()
        for row in members:
            shown[row["text"]] += 1
        kinds = Counter()
        for row in members:
            kinds["未能回答" if row["kind"] in ("fallback", "excerpt") else "追问" if row["kind"] == "clarify" else "差评"] += 1
        cluster = Cluster(
            key=members[0]["id"], members=members,
            examples=sorted(shown.items(), key=lambda pair: (-pair[1], pair[0]))[:5],
            first_seen=members[0]["time"], last_seen=members[-1]["time"], kinds=dict(kinds),
        )  # fmt: skip
        cluster.closest = _closest(members, cluster.label, rank)
        result.append(cluster)
    result.sort(key=lambda c: c.last_seen, reverse=True)
    result.sort(key=lambda c: c.count, reverse=True)  # largest first, the most recent first among equals
    return result


def _closest(members: list[dict[str, Any]], label: str, rank) -> list[tuple[str, float]]:
    """The intents the cluster came closest to: the candidates its enquiries were given (summed
    confidence), or, when none were logged, the current matcher's ranking of its commonest text."""
    scores: Counter = Counter()
    for row in members:
        try:
            candidates = json.loads(row.get("top3") or "[]")
        except ValueError:
            candidates = []
        for candidate in candidates[:3]:
            if isinstance(candidate, dict) and candidate.get("intent"):
                scores[candidate["intent"]] += float(candidate.get("confidence") or 0.0) or 0.01
    if not scores and rank is not None:
        return rank(label)[:3]
    total = sum(scores.values()) or 1.0
    return [(intent, score / total) for intent, score in scores.most_common(3)]


NEAR = 0.2  # a matcher confidence below this is no sign of closeness (weather gets 0.01 to 0.11)


def matcher_rank(text: str) -> list[tuple[str, float]]:
    """The current FAQ's best intents for a text (policy intents it is at all near to)."""
    from intents.respond import get_responder

    match = get_responder().matcher.rank(text)
    return [(c.intent, c.confidence) for c in match.candidates if c.kind == "policy" and c.confidence >= NEAR][:3]


def queue(db: Database, days: int = DAYS) -> list[Cluster]:
    return cluster_rows(pool(db, days), matcher_rank)


# --- decisions ----------------------------------------------------------------------------------
def _record(db: Database, cluster: Cluster, action: str, user: str, reason: str | None = None,
            intent: str | None = None, audit_id: int | None = None, members: list[dict] | None = None) -> int:  # fmt: skip
    members = members if members is not None else cluster.members
    params = [utc_now(), user, action, reason, intent, audit_id, cluster.label,
              json.dumps([text for text, _ in cluster.examples], ensure_ascii=False), len(members),
              members[0]["time"] if members else None, members[-1]["time"] if members else None]  # fmt: skip
    ids = [row["id"] for row in members]

    def write(d) -> int:
        cursor = d.execute(
            """INSERT INTO triage_decisions (time, user_name, action, reason, intent, audit_id, label, examples,
                                             enquiries, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            params,
        )
        decision_id = cursor.fetchone()[0]
        for enquiry_id in ids:
            d.execute(
                "INSERT INTO triage_handled (enquiry_id, decision_id) VALUES (?, ?) ON CONFLICT (enquiry_id) DO NOTHING",
                [enquiry_id, decision_id],
            )
        return decision_id

    return db.execute_write_fn(write).result(60)


def find(db: Database, key: str, days: int = DAYS) -> Cluster | None:
    """The queued cluster that holds enquiry ``key`` now (None when it was decided on or is gone)."""
    return next((c for c in queue(db, days) if any(row["id"] == key for row in c.members)), None)


def decide(db: Database, key: str, action: str, user: str, reason: str | None = None, intent: str | None = None,
           audit_id: int | None = None, days: int = DAYS) -> int | None:  # fmt: skip
    """Take the cluster holding ``key`` out of the queue; the decision's id, or None if the
    cluster is no longer queued."""
    if action not in ACTIONS:
        raise ValueError(action)
    cluster = find(db, key, days)
    if cluster is None:
        return None
    return _record(db, cluster, action, user, reason, intent, audit_id)


def handled(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """Decisions newest first, with the enquiries each still holds (a reopened one holds none)."""
    rows = db.query(
        """SELECT d.*, (SELECT count(*) FROM triage_handled h WHERE h.decision_id = d.id) AS held
           FROM triage_decisions d ORDER BY d.id DESC LIMIT ?""",
        [limit],
    )
    for row in rows:
        row["examples"] = json.loads(row["examples"] or "[]")
    return rows


SIMILAR = 85  # rapidfuzz ratio of normalised texts: 「今天天气怎么样」 and 「今天天气怎么样啊」


def earlier_decisions(db: Database, clusters: list[Cluster]) -> dict[str, dict[str, Any]]:
    """For queued clusters that look like one already marked out of scope or dismissed (a text
    nearly the same as one of its examples), that decision: the page says so, so that the same
    noise is settled in one click, with the reason given last time."""
    from rapidfuzz import fuzz, process

    decided = db.query(
        """SELECT id, time, user_name, action, reason, examples FROM triage_decisions
           WHERE action IN ('out-of-scope', 'dismissed') AND reopened_at IS NULL ORDER BY id DESC LIMIT 500"""
    )
    choices: list[str] = []
    owners: list[dict[str, Any]] = []
    for row in decided:
        for text in json.loads(row["examples"] or "[]"):
            choices.append(normalize(text))
            owners.append(row)
    found: dict[str, dict[str, Any]] = {}
    if not choices:
        return found
    for cluster in clusters:
        for text, _ in cluster.examples:
            best = process.extractOne(normalize(text), choices, scorer=fuzz.ratio, score_cutoff=SIMILAR)
            if best is not None:
                found[cluster.key] = owners[best[2]]
                break
    return found


def reopen(db: Database, decision_id: int, user: str) -> bool:
    """Put a decision's enquiries back in the queue; False when it holds none."""

    def write(d) -> bool:
        held = d.execute("SELECT count(*) FROM triage_handled WHERE decision_id = ?", [decision_id]).fetchone()[0]
        if not held:
            return False
        d.execute("DELETE FROM triage_handled WHERE decision_id = ?", [decision_id])
        d.execute("UPDATE triage_decisions SET reopened_at = ?, reopened_by = ? WHERE id = ?", [utc_now(), user, decision_id])
        return True

    return db.execute_write_fn(write).result(60)


# --- after an FAQ change ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Rerun:
    clusters: int  # clusters marked resolved
    enquiries: int  # enquiries taken out of the queue
    checked: int


def rerun(db: Database, responder: Responder, user: str, audit_id: int | None = None, days: int = DAYS) -> Rerun:
    """Answer the queued enquiries again with ``responder`` (the FAQ just loaded). An enquiry is
    answered now when it gets a direct answer (and, for a 👎 one, from another intent than before).
    A cluster at least half of which is answered now is resolved as a whole; in the others, the
    enquiries answered now leave the queue on their own."""
    rows = pool(db, days, limit=2000)
    answered: dict[str, str] = {}
    for row in rows:
        try:
            reply = responder.respond(row["text"], region=row["region"])
        except Exception:  # noqa: BLE001 - one odd row must not stop the others
            log.exception("re-running enquiry %s failed", row["id"])
            continue
        if reply.kind in ANSWERED_KINDS and (row["kind"] in POOL_KINDS or reply.intent != row["intent"]):
            answered[row["id"]] = reply.intent or ""
    if not answered:
        return Rerun(0, 0, len(rows))
    resolved = enquiries = 0
    for cluster in cluster_rows(rows):
        hits = [row for row in cluster.members if row["id"] in answered]
        if not hits:
            continue
        whole = 2 * len(hits) >= cluster.count
        members = cluster.members if whole else hits
        intent = Counter(answered[row["id"]] for row in hits).most_common(1)[0][0] or None
        reason = f"FAQ修改后已能解答（{len(hits)}/{cluster.count}条）"
        _record(db, cluster, "resolved", user, reason, intent, audit_id, members)
        resolved += whole
        enquiries += len(members)
    return Rerun(resolved, enquiries, len(rows))
