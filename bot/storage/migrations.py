"""Schema migrations, applied in order once each and recorded in ``_migrations``.

Each migration is a named function of a sqlite_utils Database. Append new ones at the end;
never edit one that has shipped. Names are prefixed by the concept that owns the tables
(``state-…`` conversation state, ``log-…`` enquiry log, ``audit-…`` FAQ edits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from bot.storage.schema import LOG_TABLES, create_table


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: list[Migration] = []


def migration(name: str) -> Callable[[Callable[[sqlite_utils.Database], None]], Callable[[sqlite_utils.Database], None]]:
    def register(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
        if any(m.name == name for m in MIGRATIONS):
            raise ValueError(f"duplicate migration {name}")
        MIGRATIONS.append(Migration(name, fn))
        return fn

    return register


def apply_migrations(db: sqlite_utils.Database, migrations: list[Migration]) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for m in migrations:
        if m.name in done:
            continue
        with db.conn:
            m.apply(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [m.name, datetime.now(UTC).isoformat()])
        applied.append(m.name)
    return applied


# ---- migrations ---------------------------------------------------------------------------
# (Modules owning tables add theirs below, in the order they were written.)


# -- enquiry log (bot/records/enquiry_log.py, issue 7) -------------------------------------------------------
# Times are UTC ISO-8601 strings ("2026-11-22T14:05:09.123Z"); JSON columns hold JSON text.
@migration("log-0001-tables")
def _log_tables(db: sqlite_utils.Database) -> None:
    for table in LOG_TABLES:  # their columns: bot/storage/schema.py, which the log's writer reads too
        db.execute(create_table(table))
    db.execute("CREATE INDEX enquiries_time ON enquiries (time)")
    db.execute("CREATE INDEX enquiries_intent ON enquiries (intent, time)")
    db.execute("CREATE INDEX enquiries_user ON enquiries (user_key, time)")
    db.execute("CREATE INDEX feedback_time ON feedback (time)")
    db.execute("CREATE INDEX feedback_enquiry ON feedback (enquiry_id)")
    db.execute("CREATE INDEX calculations_time ON calculations (time)")
    db.execute("CREATE INDEX handoffs_opened ON handoffs (opened_at)")


# Dashboard logins added with `cbec-bot staff add` (those in CBEC_STAFF_USERS need no row).
@migration("log-0002-staff-users")
def _log_staff_users(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE staff_users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('staff', 'operator')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )


# -- FAQ edits and reloads by operators (bot/ops/faq_ops.py, issue 8) ----------------------------
# before/after hold the whole YAML file, so any change can be put back exactly.
@migration("audit-0001-faq-changes")
def _audit_faq_changes(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE faq_audit (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            intent TEXT,
            file TEXT,
            before TEXT,
            after TEXT,
            outcome TEXT NOT NULL,
            reason TEXT,
            faq_version TEXT,
            rollback_of INTEGER REFERENCES faq_audit(id)
        )"""
    )
    db.execute("CREATE INDEX faq_audit_time ON faq_audit (time)")


# -- conversation state (bot/conversation/state.py, issue 6) ----------------------------------------------
# Keyed by the pseudonymous user key (never the raw id); texts are redacted before they are
# stored. Hand-offs keep the chat to answer (the one raw id we must have to route a reply).
@migration("state-0001-tables")
def _state_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE conversation_state (
            user_key TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE conversation_handoffs (
            id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            answered_at TEXT
        )"""
    )
    # every message the staff chat got for a hand-off (the first one and the user's additions):
    # a staff member may reply to any of them
    db.execute(
        """CREATE TABLE conversation_relays (
            message_id TEXT PRIMARY KEY,
            handoff_id TEXT NOT NULL REFERENCES conversation_handoffs(id)
        )"""
    )


# -- hand-off tickets (bot/records/tickets.py, issue 14) ----------------------------------------------
# One ticket per hand-off, whatever the channel. ``chat_id`` routes the reply (as in
# conversation_handoffs); ``transcript`` is the conversation so far, redacted; the call-back
# number is kept here only and erased 30 days after the ticket closes. Staff replies and what
# the user adds are ticket_messages; ``delivered_at`` is set once the user's channel took a staff
# reply, ``mirrored_at`` once the Telegram staff chat was shown a reply written elsewhere.
@migration("tickets-0001-tables")
def _tickets_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            handoff_id TEXT UNIQUE NOT NULL,
            channel TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_key TEXT NOT NULL,
            region TEXT,
            intents TEXT NOT NULL DEFAULT '[]',
            transcript TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed')),
            opened_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            answered_at TEXT,
            answered_by TEXT,
            closed_at TEXT,
            closed_by TEXT,
            callback_phone TEXT
        )"""
    )
    db.execute("CREATE INDEX tickets_state ON tickets (state, opened_at)")
    db.execute("CREATE INDEX tickets_chat ON tickets (channel, chat_id, state)")
    db.execute(
        """CREATE TABLE ticket_messages (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            time TEXT NOT NULL,
            author TEXT NOT NULL CHECK (author IN ('user', 'staff')),
            name TEXT,
            via TEXT,
            text TEXT NOT NULL,
            delivered_at TEXT,
            mirrored_at TEXT
        )"""
    )
    db.execute("CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id)")
    db.execute("CREATE INDEX ticket_messages_pending ON ticket_messages (author, delivered_at)")


# -- staff sessions ended by logging out (bot/channels/web/auth.py, issue 15) ------------------------------
# A session cookie whose id is here no longer logs in; rows older than the cookie's 12 h are moot.
@migration("log-0003-staff-sessions-ended")
def _log_staff_sessions_ended(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE staff_sessions_ended (
            session_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            ended_at TEXT NOT NULL
        )"""
    )


# -- WeChat replies by message (bot/channels/wechat/replies.py, issue 19) ----------------------------------
# WeChat retries a push it got no answer to within 5 s (up to 3 times): the first push claims
# its key (MsgId, or sender + CreateTime + event for events), the reply is kept so a retry, also
# after a restart, gets the same one and the conversation core sees the message once. The user
# is stored pseudonymised; rows older than a day are removed as new ones come.
@migration("wechat-0001-replies")
def _wechat_replies(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE wechat_replies (
            message_key TEXT PRIMARY KEY,
            user_key TEXT NOT NULL,
            received_at TEXT NOT NULL,
            reply TEXT,
            replied_at TEXT
        )"""
    )
    db.execute("CREATE INDEX wechat_replies_received ON wechat_replies (received_at)")


# -- policy updates and subscriptions (bot/conversation/subscriptions.py, bot/records/policy_changes.py, issue 18) ----
# subscriptions: who follows which topic or region, by pseudonymous user key only (HMAC of the
# channel's user id or the browser's session id). subscriber_routes: how to reach a key: nothing
# for the web (the page collects by session), the Telegram chat id encrypted with a key derived
# from CBEC_SECRET; last_event_id / last_digest_day make a digest at most once a day.
# policy_snapshots: what each intent and document looked like at the last check, to see changes;
# policy_changes: the changes found; digests: one message per subscriber and day.
@migration("subscriptions-0001-tables")
def _subscriptions_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE subscriptions (
            user_key TEXT NOT NULL,
            channel TEXT NOT NULL,
            topic TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_key, topic)
        )"""
    )
    db.execute("CREATE INDEX subscriptions_topic ON subscriptions (topic, channel)")
    db.execute(
        """CREATE TABLE subscriber_routes (
            user_key TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            address TEXT,
            last_event_id INTEGER NOT NULL DEFAULT 0,
            last_digest_day TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE policy_snapshots (
            item TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            detail TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE policy_changes (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            intent TEXT,
            document TEXT,
            topic TEXT,
            region TEXT,
            title TEXT NOT NULL,
            what TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            user_key TEXT NOT NULL,
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            text TEXT NOT NULL,
            buttons TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failed TEXT,
            UNIQUE (user_key, day)
        )"""
    )
    db.execute("CREATE INDEX digests_unsent ON digests (channel, sent_at)")


# -- several replicas on one database (bot/storage/, issue 17) ------------------------------------
# Plain portable SQL: the PostgreSQL backend reads the same statements (bot/storage/pg_sql.py).
# telegram_updates: update ids already taken by a replica, so a webhook update is handled once.
# rate_events: rate-limit and login-throttle events counted across replicas (keys are hashed:
# no client address or login name is stored). faq_published: each FAQ version an operator put
# live, with its files, so the other replicas load it too (bot/ops/faq_sync.py).
@migration("replicas-0001-shared-state")
def _replicas_shared_state(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE telegram_updates (update_id INTEGER PRIMARY KEY, received_at TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE rate_events (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX rate_events_key ON rate_events (scope, key, at)")
    db.execute(
        """CREATE TABLE faq_published (
            id INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            files TEXT NOT NULL,
            published_at TEXT NOT NULL,
            published_by TEXT
        )"""
    )


# -- triage queue decisions (bot/records/triage.py, issue 16) ---------------------------------------------
# One row per decision on a cluster of unanswered, asked-back or 👎 enquiries (add-question,
# new-intent, out-of-scope, dismissed, resolved by an FAQ change); triage_handled names the
# enquiries each decision took out of the queue. Plain SQL: the storage also runs on PostgreSQL.
@migration("triage-0001-decisions")
def _triage_decisions(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE triage_decisions (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            user_name TEXT NOT NULL,
            action TEXT NOT NULL,
            reason TEXT,
            intent TEXT,
            audit_id INTEGER,
            label TEXT NOT NULL,
            examples TEXT NOT NULL,
            enquiries INTEGER NOT NULL,
            first_seen TEXT,
            last_seen TEXT,
            reopened_at TEXT,
            reopened_by TEXT
        )"""
    )
    db.execute("CREATE INDEX triage_decisions_time ON triage_decisions (time)")
    db.execute(
        """CREATE TABLE triage_handled (
            enquiry_id TEXT PRIMARY KEY,
            decision_id INTEGER NOT NULL REFERENCES triage_decisions(id)
        )"""
    )
    db.execute("CREATE INDEX triage_handled_decision ON triage_handled (decision_id)")


# -- what an FAQ change changed (bot/ops/faq_ops.py, issue 16) ----------------------------------------
# ``change`` is JSON: the question or intent added, its title, and the dev-set top-1 before → after;
# the audit page shows it and a line diff of before/after instead of the whole files.
@migration("audit-0002-change-summary")
def _audit_change_summary(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE faq_audit ADD COLUMN change TEXT")


# -- PostgreSQL: cheaper rows on the chat's path (bot/storage/postgres.py, issue 17) ----------------
# Only on PostgreSQL (SQLite has nothing alike). conversation_state.state is rewritten on every
# message (8-9 KB of JSON once a conversation has a transcript): compressed with pglz and moved
# out of line to the TOAST table it cost the server ~0.22 ms a save, the most of any statement of a
# chat message; lz4 (where the server is built with it, as Debian's is) and a row kept in line up to
# a full page make it ~0.06 ms. rate_events are counts for the next minute, not records: UNLOGGED
# writes no WAL for them (a decision's commit does not wait for a WAL flush), and a server crash
# only forgets the last minute's counts (the table is emptied at restart). rate_windows: a
# one-key window's event times in one row (bot/storage/limits.py), UNLOGGED for the same reason.
@migration("replicas-0002-postgres-hot-rows")
def _postgres_hot_rows(db: sqlite_utils.Database) -> None:
    if getattr(db, "backend", None) != "postgresql":
        return
    db.execute("ALTER TABLE conversation_state SET (toast_tuple_target = 8160)")
    lz4 = db.execute(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    ).fetchall()
    if lz4:
        db.execute("ALTER TABLE conversation_state ALTER COLUMN state SET COMPRESSION lz4")
    db.execute("ALTER TABLE rate_events SET UNLOGGED")
    db.execute(
        """CREATE UNLOGGED TABLE rate_windows (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            times DOUBLE PRECISION[] NOT NULL,
            last_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (scope, key)
        )"""
    )
