"""Hand-off tickets: every 转人工 is a ticket in the database, whatever the channel.

A ticket carries the conversation so far (redacted), the region, the intents asked about and
the channel; it goes open -> answered -> closed (by staff, or after ``idle_days`` without a
word once answered). Staff answer it from the dashboard, the CLI or the Telegram staff chat;
each reply is a ``ticket_messages`` row that the user's channel collects (``take_pending``):
the web chat's poll, the Telegram bot's delivery loop, the terminal chat. Every write goes
through the database's one writer thread, so the server and ``cbec-bot handoff`` may work on
the same file at once.

The call-back number a user may leave is stored in the ticket only (never in the enquiry log
or a log line), shown to staff only, and erased 30 days after the ticket closes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.records.clock import parse_utc, utc_text
from bot.records.redact import redact
from bot.storage.sqlite import Database

STATES = ("open", "answered", "closed")
PHONE_KEPT_DAYS = 30
REPLY_LIMIT = 2000
TIMEOUT = 30.0


class TicketError(ValueError):
    """No such ticket, or it cannot take this step; the message says which, in Chinese."""


@dataclass(frozen=True)
class Ticket:
    id: int
    handoff_id: str
    channel: str
    chat_id: str
    user_key: str
    region: str | None
    intents: list
    transcript: list
    state: str
    opened_at: str
    updated_at: str
    answered_at: str | None
    answered_by: str | None
    closed_at: str | None
    closed_by: str | None
    callback_phone: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Ticket:
        fields = {name: row.get(name) for name in cls.__dataclass_fields__}
        fields["intents"] = json.loads(row.get("intents") or "[]")
        fields["transcript"] = json.loads(row.get("transcript") or "[]")
        return cls(**fields)

    def as_dict(self, *, with_phone: bool = True) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if not with_phone:
            data.pop("callback_phone")
        return data


def _wait(db: Database, fn) -> Any:
    return db.execute_write_fn(fn).result(TIMEOUT)


# -- opening and what the user adds ---------------------------------------------------------------
def open_ticket(
    db: Database, *, handoff_id: str, channel: str, chat_id: str, user_key: str, region: str | None,
    intents: list, transcript: list, now: datetime | None = None,
) -> Ticket:  # fmt: skip
    stamp = utc_text(now)
    clean = [{**entry, "text": redact(str(entry.get("text", "")))} for entry in transcript]
    row = {
        "handoff_id": handoff_id, "channel": channel, "chat_id": str(chat_id), "user_key": user_key,
        "region": region, "intents": json.dumps(intents, ensure_ascii=False),
        "transcript": json.dumps(clean, ensure_ascii=False), "state": "open", "opened_at": stamp, "updated_at": stamp,
    }  # fmt: skip

    def insert(conn) -> int:
        return conn["tickets"].insert(row).last_pk

    ticket_id = _wait(db, insert)
    return get(db, ticket_id)


def add_user_message(db: Database, ticket_id: int, text: str, now: datetime | None = None,
                     write: Callable[[Callable[[Any], Any]], Any] | None = None) -> None:  # fmt: skip
    """What the user wrote while the ticket is open. ``write`` runs the write function (a turn's
    ``store.write``: queued with the turn's state save, the reply waits for both); without it the
    write is waited for here."""
    stamp = utc_text(now)
    params = [ticket_id, stamp, redact(text), stamp]

    def add(conn) -> None:
        conn.execute(ADD_USER_MESSAGE, params)
        conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", [stamp, ticket_id])

    if write is None:
        _wait(db, add)
    else:
        write(add)


ADD_USER_MESSAGE = "INSERT INTO ticket_messages (ticket_id, time, author, text, delivered_at) VALUES (?, ?, 'user', ?, ?)"


def set_callback(db: Database, ticket_id: int, phone: str, now: datetime | None = None) -> None:
    stamp = utc_text(now)
    _wait(db, lambda conn: conn.execute(
        "UPDATE tickets SET callback_phone = ?, updated_at = ? WHERE id = ?", [phone, stamp, ticket_id]
    ))  # fmt: skip


# -- staff ---------------------------------------------------------------------------------------
def reply(
    db: Database, ticket_id: int, text: str, staff: str, *, via: str, delivered: bool = False,
    now: datetime | None = None,
) -> Ticket:  # fmt: skip
    """A staff reply: stored for the user's channel to collect (``delivered`` when the caller
    hands it over itself), the ticket marked answered (first answer's time and author kept)."""
    text = (text or "").strip()
    if not text:
        raise TicketError("回复内容是空的。")
    if len(text) > REPLY_LIMIT:
        raise TicketError(f"回复太长（最多{REPLY_LIMIT}字）。")
    stamp = utc_text(now)

    def write(conn) -> None:
        rows = list(conn.query("SELECT state, handoff_id FROM tickets WHERE id = ?", [ticket_id]))
        if not rows:
            raise TicketError(f"没有编号为{ticket_id}的工单。")
        if rows[0]["state"] == "closed":
            raise TicketError(f"工单#{ticket_id}已关闭，不能再回复。")
        conn["ticket_messages"].insert({
            "ticket_id": ticket_id, "time": stamp, "author": "staff", "name": staff, "via": via, "text": text,
            "delivered_at": stamp if delivered else None, "mirrored_at": stamp if via == "telegram-staff" else None,
        })  # fmt: skip
        conn.execute(
            "UPDATE tickets SET state = 'answered', updated_at = ?, answered_at = COALESCE(answered_at, ?), "
            "answered_by = COALESCE(answered_by, ?) WHERE id = ?",
            [stamp, stamp, staff, ticket_id],
        )
        # the enquiry log's hand-off row (bot/records/enquiry_log.py) says it was answered too
        conn.execute(
            "INSERT INTO handoffs (id, answered_at, answered_by) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "answered_at = COALESCE(handoffs.answered_at, excluded.answered_at), "
            "answered_by = COALESCE(handoffs.answered_by, excluded.answered_by)",
            [rows[0]["handoff_id"], stamp, staff],
        )

    _wait(db, write)
    return get(db, ticket_id)


def close(db: Database, ticket_id: int, staff: str, now: datetime | None = None) -> Ticket:
    stamp = utc_text(now)

    def write(conn) -> None:
        rows = list(conn.query("SELECT state FROM tickets WHERE id = ?", [ticket_id]))
        if not rows:
            raise TicketError(f"没有编号为{ticket_id}的工单。")
        if rows[0]["state"] != "closed":
            conn.execute(
                "UPDATE tickets SET state = 'closed', closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?",
                [stamp, staff, stamp, ticket_id],
            )

    _wait(db, write)
    return get(db, ticket_id)


def housekeeping(db: Database, idle_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Close answered tickets idle for ``idle_days``; erase call-back numbers of tickets closed
    more than 30 days ago. Returns (closed, numbers erased)."""
    now = now or datetime.now(UTC)
    idle_before, phone_before = utc_text(now - timedelta(days=idle_days)), utc_text(now - timedelta(days=PHONE_KEPT_DAYS))
    stamp = utc_text(now)

    def write(conn) -> tuple[int, int]:
        closed = conn.execute(
            "UPDATE tickets SET state = 'closed', closed_at = ?, closed_by = 'idle', updated_at = ? "
            "WHERE state = 'answered' AND updated_at < ?",
            [stamp, stamp, idle_before],
        ).rowcount
        erased = conn.execute(
            "UPDATE tickets SET callback_phone = NULL WHERE state = 'closed' AND closed_at < ? "
            "AND callback_phone IS NOT NULL",
            [phone_before],
        ).rowcount
        return closed, erased

    return _wait(db, write)


# -- reading ---------------------------------------------------------------------------------------
def get(db: Database, ticket_id: int) -> Ticket:
    rows = db.query("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if not rows:
        raise TicketError(f"没有编号为{ticket_id}的工单。")
    return Ticket.from_row(rows[0])


def by_handoff(db: Database, handoff_id: str) -> Ticket | None:
    rows = db.query("SELECT * FROM tickets WHERE handoff_id = ?", (handoff_id,))
    return Ticket.from_row(rows[0]) if rows else None


def active_for(db: Database, channel: str, chat_id: str) -> Ticket | None:
    """The user's newest ticket not yet closed."""
    rows = db.query(
        "SELECT * FROM tickets WHERE channel = ? AND chat_id = ? AND state != 'closed' ORDER BY id DESC LIMIT 1",
        (channel, str(chat_id)),
    )
    return Ticket.from_row(rows[0]) if rows else None


def messages(db: Database, ticket_id: int) -> list[dict[str, Any]]:
    return db.query("SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,))


def list_tickets(db: Database, state: str | None = None, sort: str = "oldest", limit: int = 500) -> list[Ticket]:
    where, params = ("WHERE state = ?", [state]) if state else ("", [])
    order = "DESC" if sort == "newest" else "ASC"
    rows = db.query(f"SELECT * FROM tickets {where} ORDER BY opened_at {order}, id {order} LIMIT ?", (*params, limit))
    return [Ticket.from_row(row) for row in rows]


def count_open(db: Database) -> int:
    return db.query("SELECT count(*) AS n FROM tickets WHERE state = 'open'")[0]["n"]


def oldest_open_age(db: Database, now: datetime | None = None) -> float:
    """Seconds the oldest open ticket has waited (0 when none is open)."""
    rows = db.query("SELECT min(opened_at) AS t FROM tickets WHERE state = 'open'")
    if not rows or not rows[0]["t"]:
        return 0.0
    return max(0.0, ((now or datetime.now(UTC)) - parse_utc(rows[0]["t"])).total_seconds())


def waiting_seconds(ticket: Ticket, now: datetime | None = None) -> float:
    """How long the user has waited: until the first answer, or until now."""
    end = parse_utc(ticket.answered_at) if ticket.answered_at else (now or datetime.now(UTC))
    return max(0.0, (end - parse_utc(ticket.opened_at)).total_seconds())


def waited_label(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}小时{minutes}分"
    days, hours = divmod(hours, 24)
    return f"{days}天{hours}小时"


# -- delivery --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    message_id: int
    ticket_id: int
    channel: str
    chat_id: str
    text: str
    name: str | None

    def for_user(self) -> str:
        return f"人工客服回复（工单#{self.ticket_id}）：\n{self.text}"


def take_pending(db: Database, channel: str, chat_id: str | None = None, now: datetime | None = None) -> list[Pending]:
    """Staff replies not yet delivered to ``channel`` (one chat, or all), marked delivered in
    the same write: two pollers never both get one."""
    where = "m.author = 'staff' AND m.delivered_at IS NULL AND t.channel = ?"
    params: list[Any] = [channel]
    if chat_id is not None:
        where += " AND t.chat_id = ?"
        params.append(str(chat_id))

    def write(conn) -> list[Pending]:
        rows = list(conn.query(
            f"SELECT m.id, m.ticket_id, m.text, m.name, t.channel, t.chat_id FROM ticket_messages m "
            f"JOIN tickets t ON t.id = m.ticket_id WHERE {where} ORDER BY m.id", params,
        ))  # fmt: skip
        if rows:
            marks = ",".join("?" for _ in rows)
            conn.execute(f"UPDATE ticket_messages SET delivered_at = ? WHERE id IN ({marks})", [utc_text(now), *[r["id"] for r in rows]])
        return [Pending(r["id"], r["ticket_id"], r["channel"], r["chat_id"], r["text"], r["name"]) for r in rows]

    if not has_pending(db, channel, chat_id):  # the common case: a read, no write queued
        return []
    return _wait(db, write)


def pending_query(channel: str, chat_id: str | None = None) -> tuple[str, tuple]:
    """The query ``has_pending`` runs (a row when a staff reply waits), to ask with others at once."""
    sql = (
        "SELECT 1 FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
        "WHERE m.author = 'staff' AND m.delivered_at IS NULL AND t.channel = ?"
    )
    params: tuple = (channel,)
    if chat_id is not None:
        sql, params = sql + " AND t.chat_id = ?", (channel, str(chat_id))
    return sql + " LIMIT 1", params


def has_pending(db: Database, channel: str, chat_id: str | None = None) -> bool:
    return bool(db.query(*pending_query(channel, chat_id)))


def take_unmirrored(db: Database, now: datetime | None = None) -> list[dict[str, Any]]:
    """Staff replies written outside the Telegram staff chat, not yet shown there."""
    stamp = utc_text(now)
    if not db.query("SELECT 1 FROM ticket_messages WHERE author = 'staff' AND mirrored_at IS NULL LIMIT 1"):
        return []

    def write(conn) -> list[dict[str, Any]]:
        rows = list(conn.query(
            "SELECT id, ticket_id, name, via, text FROM ticket_messages "
            "WHERE author = 'staff' AND mirrored_at IS NULL ORDER BY id"
        ))  # fmt: skip
        if rows:
            marks = ",".join("?" for _ in rows)
            conn.execute(f"UPDATE ticket_messages SET mirrored_at = ? WHERE id IN ({marks})", [stamp, *[r["id"] for r in rows]])
        return rows

    return _wait(db, write)
