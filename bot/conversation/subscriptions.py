"""Subscriptions to policy updates and the daily digests they receive.

A subscriber is a pseudonymous user key (bot/records/pseudonym.py ``pseudonymise``: HMAC of the Telegram user
id or of the web chat's session id) following topics (the menu's 补贴申报, 税收, 海外仓 …) or
regions. The subscription table holds nothing else. To reach a Telegram subscriber the chat id
is kept in ``subscriber_routes``, encrypted (Fernet, key derived from CBEC_SECRET); a web
subscriber needs no address: the page collects its digest with its session on its next visit.

``make_digests`` turns the changes found since each subscriber's last digest (bot/records/policy_changes.py)
into one message per subscriber and day: ``UNIQUE (user_key, day)`` and ``last_digest_day`` make
it at most one a day, ``last_event_id`` makes each change reach each subscriber once. Every write
goes through the one writer thread; the SQL is plain (portable to PostgreSQL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.conversation.flows.menu import TOPICS
from bot.conversation.messages import Button
from bot.conversation.vocabulary import REGION_LABELS, Prefix, button_value
from bot.records.clock import utc_text

if TYPE_CHECKING:
    from bot.storage.base import Storage

REGIONS = {key: name for key, name in REGION_LABELS.items() if key != "other"} | {"national": "全国性规定"}
MAX_LINES = 8  # changes listed in one digest; more are counted
MAX_BUTTONS = 3  # 查看 buttons of changed answers in one digest


def topic_label(topic: str) -> str:
    """t:warehouse -> 海外仓, r:sichuan -> 四川（地区）."""
    kind, _, key = topic.partition(":")
    if kind == "t" and key in TOPICS:
        return TOPICS[key][0]
    if kind == "r" and key in REGIONS:
        return f"{REGIONS[key]}（地区）"
    return topic


def all_topics() -> list[str]:
    return [f"t:{key}" for key in TOPICS] + [f"r:{key}" for key in REGIONS]


def topics_of_change(topic: str | None, region: str | None) -> set[str]:
    """The subscription topics a change concerns: the menu topic its FAQ topic belongs to, and its region."""
    found = {f"t:{key}" for key, (_, faq_topics) in TOPICS.items() if topic in faq_topics}
    if region in REGIONS:
        found.add(f"r:{region}")
    return found


# --- the encrypted route to a Telegram chat ---------------------------------------------------
def _fernet(secret: str):
    from cryptography.fernet import Fernet

    key = hmac.new(secret.encode(), b"cbec-bot subscriber route", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, address: str) -> str:
    return _fernet(secret).encrypt(address.encode()).decode()


def unseal(secret: str, sealed: str) -> str:
    return _fernet(secret).decrypt(sealed.encode()).decode()


# --- subscribing -------------------------------------------------------------------------------
class Subscriptions:
    def __init__(self, db: Storage, secret: str) -> None:
        self.db, self._secret = db, secret

    def subscribe(self, user_key: str, channel: str, topic: str, address: str | None = None) -> bool:
        """Follow ``topic``; False when already followed. Changes before now are not sent."""
        if topic not in all_topics():
            raise ValueError(f"unknown topic {topic!r}")
        sealed = seal(self._secret, address) if address and channel == "telegram" else None

        def write(db) -> bool:
            exists = db.execute("SELECT 1 FROM subscriptions WHERE user_key = ? AND topic = ?", [user_key, topic]).fetchone()
            if exists:
                return False
            db.execute("INSERT INTO subscriptions (user_key, channel, topic, created_at) VALUES (?, ?, ?, ?)",
                       [user_key, channel, topic, utc_text()])  # fmt: skip
            latest = db.execute("SELECT COALESCE(MAX(id), 0) FROM policy_changes").fetchone()[0]
            route = db.execute("SELECT 1 FROM subscriber_routes WHERE user_key = ?", [user_key]).fetchone()
            if route:
                db.execute("UPDATE subscriber_routes SET address = COALESCE(?, address) WHERE user_key = ?", [sealed, user_key])
            else:
                db.execute("INSERT INTO subscriber_routes (user_key, channel, address, last_event_id) VALUES (?, ?, ?, ?)",
                           [user_key, channel, sealed, latest])  # fmt: skip
            return True

        return self.db.execute_write_fn(write).result(30)

    def unsubscribe(self, user_key: str, topic: str | None = None) -> int:
        """Stop following ``topic`` (None: everything, and forget the route); how many were removed."""

        def write(db) -> int:
            if topic is None:
                removed = db.execute("DELETE FROM subscriptions WHERE user_key = ?", [user_key]).rowcount
            else:
                removed = db.execute("DELETE FROM subscriptions WHERE user_key = ? AND topic = ?", [user_key, topic]).rowcount
            left = db.execute("SELECT 1 FROM subscriptions WHERE user_key = ?", [user_key]).fetchone()
            if not left:
                db.execute("DELETE FROM subscriber_routes WHERE user_key = ?", [user_key])
                db.execute("DELETE FROM digests WHERE user_key = ? AND sent_at IS NULL", [user_key])
            return removed

        return self.db.execute_write_fn(write).result(30)

    def topics(self, user_key: str) -> list[str]:
        rows = self.db.query("SELECT topic FROM subscriptions WHERE user_key = ?", (user_key,))
        order = all_topics()
        return sorted((r["topic"] for r in rows), key=lambda t: order.index(t) if t in order else len(order))

    def counts(self) -> list[dict]:
        """Subscribers per topic and channel, for the dashboard (every topic, zeros too)."""
        rows = self.db.query("SELECT topic, channel, COUNT(*) AS n FROM subscriptions GROUP BY topic, channel")
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(row["topic"], {})[row["channel"]] = row["n"]
        return [
            {"topic": t, "label": topic_label(t), "telegram": found.get(t, {}).get("telegram", 0), "web": found.get(t, {}).get("web", 0)}
            for t in all_topics()
        ]

    # --- digests --------------------------------------------------------------------------------
    def make_digests(self, day: date) -> int:
        """One digest for each subscriber with changes in their topics since their last digest,
        unless they had one today; returns how many were made."""
        changes = self.db.query("SELECT * FROM policy_changes ORDER BY id")
        if not changes:
            return 0
        latest = changes[-1]["id"]
        routes = self.db.query("SELECT user_key, channel, last_event_id, last_digest_day FROM subscriber_routes")
        topics: dict[str, set[str]] = {}
        for row in self.db.query("SELECT user_key, topic FROM subscriptions"):
            topics.setdefault(row["user_key"], set()).add(row["topic"])
        made: list[tuple[str, str, str, str]] = []
        advanced: list[str] = []
        for route in routes:
            if route["last_digest_day"] == day.isoformat() or route["last_event_id"] >= latest:
                continue
            followed = topics.get(route["user_key"], set())
            mine = [c for c in changes if c["id"] > route["last_event_id"] and topics_of_change(c["topic"], c["region"]) & followed]
            advanced.append(route["user_key"])
            if mine:
                text, buttons = digest_text(mine, followed, day)
                made.append((route["user_key"], route["channel"], text, json.dumps(buttons, ensure_ascii=False)))

        def write(db) -> int:
            count = 0
            for user_key, channel, text, buttons in made:
                inserted = db.execute(
                    "INSERT INTO digests (user_key, channel, day, text, buttons, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (user_key, day) DO NOTHING",
                    [user_key, channel, day.isoformat(), text, buttons, utc_text()],
                ).rowcount
                count += inserted
                db.execute("UPDATE subscriber_routes SET last_digest_day = ? WHERE user_key = ?", [day.isoformat(), user_key])
            for user_key in advanced:
                db.execute("UPDATE subscriber_routes SET last_event_id = ? WHERE user_key = ? AND last_event_id < ?",
                           [latest, user_key, latest])  # fmt: skip
            return count

        return self.db.execute_write_fn(write).result(60)

    def pending_telegram(self, limit: int = 1000) -> list[Digest]:
        """Unsent Telegram digests, oldest first, each with its chat id decrypted."""
        rows = self.db.query(
            "SELECT d.id, d.user_key, d.text, d.buttons, r.address FROM digests d "
            "JOIN subscriber_routes r ON r.user_key = d.user_key "
            "WHERE d.channel = 'telegram' AND d.sent_at IS NULL AND d.failed IS NULL ORDER BY d.id LIMIT ?",
            (limit,),
        )
        out = []
        for row in rows:
            if row["address"]:
                out.append(Digest(row["id"], row["user_key"], unseal(self._secret, row["address"]), row["text"],
                                  _buttons(row["buttons"])))  # fmt: skip
        return out

    def mark_sent(self, digest_id: int) -> None:
        self.db.execute_write_fn(
            lambda db: db.execute("UPDATE digests SET sent_at = ?, attempts = attempts + 1 WHERE id = ?", [utc_text(), digest_id])
        ).result(30)

    def note_attempt(self, digest_id: int, reason: str, max_attempts: int) -> int:
        """A send that failed: counted; after ``max_attempts`` the digest is given up (failed)."""

        def write(db) -> int:
            db.execute("UPDATE digests SET attempts = attempts + 1 WHERE id = ?", [digest_id])
            attempts = db.execute("SELECT attempts FROM digests WHERE id = ?", [digest_id]).fetchone()[0]
            if attempts >= max_attempts:
                db.execute("UPDATE digests SET failed = ? WHERE id = ?", [reason[:200], digest_id])
            return attempts

        return self.db.execute_write_fn(write).result(30)

    @staticmethod
    def web_query(user_key: str) -> tuple[str, tuple]:
        """The query ``take_web`` asks first (a row when a digest waits), to ask with others at once."""
        return "SELECT 1 FROM digests WHERE user_key = ? AND channel = 'web' AND sent_at IS NULL LIMIT 1", (user_key,)

    def take_web(self, user_key: str) -> list[Digest]:
        """The unsent digests of a web session, marked sent as they are handed over."""
        if not self.db.query(*self.web_query(user_key)):  # the common case (asked with every web message): a read, no write queued
            return []

        def write(db) -> list[Digest]:
            rows = db.execute(
                "SELECT id, text, buttons FROM digests WHERE user_key = ? AND channel = 'web' AND sent_at IS NULL ORDER BY id",
                [user_key],
            ).fetchall()
            for row in rows:
                db.execute("UPDATE digests SET sent_at = ?, attempts = attempts + 1 WHERE id = ?", [utc_text(), row[0]])
            return [Digest(row[0], user_key, "", row[1], _buttons(row[2])) for row in rows]

        return self.db.execute_write_fn(write).result(30)


@dataclass(frozen=True)
class Digest:
    id: int
    user_key: str
    chat_id: str  # Telegram chat ("" for the web)
    text: str
    buttons: tuple[tuple[Button, ...], ...]


def _buttons(raw: str) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(label, value) for label, value in row) for row in json.loads(raw))


def digest_text(changes: list[dict], followed: set[str], day: date) -> tuple[str, list[list[tuple[str, str]]]]:
    """The digest: what changed, one line each, the newest answer one tap away, 退订 one tap away."""
    from policy_faq.typography import fullwidth

    names = "".join(f"「{topic_label(t)}」" for t in sorted(followed, key=all_topics().index) if t in all_topics())
    lines = [f"【政策更新】您订阅的{names}有变化（{day.year}年{day.month}月{day.day}日）："]
    seen, buttons = set(), []
    for change in changes:
        line = f"• {change['title']}：{change['what']}"
        if line in seen:
            continue
        seen.add(line)
        if len(seen) <= MAX_LINES:
            lines.append(line)
        if change["intent"] and len(buttons) < MAX_BUTTONS and all(b[0][1] != button_value(Prefix.INTENT, change["intent"]) for b in buttons):
            buttons.append([(f"查看：{change['title']}"[:40], button_value(Prefix.INTENT, change["intent"]))])
    if len(seen) > MAX_LINES:
        lines.append(f"……另有{len(seen) - MAX_LINES}项变化。")
    lines.append("点下方按钮查看最新答复。不想再收到，点「退订」或发送 /unsubscribe。")
    buttons.append([("退订", button_value(Prefix.SUBSCRIBE, "off"))])
    return fullwidth("\n".join(lines)), buttons
