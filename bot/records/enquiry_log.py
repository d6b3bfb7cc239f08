"""The enquiry log: what companies asked, what they got, and what they thought of it.

``EnquiryLog`` implements the ``Recorder`` protocol (bot/records/recorder.py) the conversation core
calls for every channel. Each method builds the row in the caller's thread — user id
pseudonymised (HMAC-SHA256 with ``CBEC_SECRET``), texts redacted (bot/records/redact.py) — and submits it
to the log's group commit (bot/records/durable.py): a flusher thread appends what was submitted to
the spool file and syncs it (one write and one fdatasync per batch), then gives the batch, as one
write function, to the database's single writer thread. The caller does no file I/O and never
waits for SQLite; a channel awaits ``durable()`` before it sends the reply, so every enquiry
answered is in the spool or the database, also after a ``kill -9``. A busy, locked or failing
database, or a full disk under the spool, delays rows (kept in memory and retried, reported by
``health()``), it never drops them; ``close()`` writes the last rows on shutdown; rows spooled
but unwritten when the process died are replayed at the next start.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import sqlite_utils

from bot.records.clock import utc_text
from bot.records.durable import DurableQueue
from bot.records.pseudonym import pseudonymise
from bot.records.redact import redact, redact_value
from bot.records.spool import Spool
from bot.storage import schema
from bot.storage.base import Storage

if TYPE_CHECKING:
    from intents.respond import Reply, Suggestion

log = logging.getLogger(__name__)


class Operation(TypedDict):
    """One row of a record. A record is a list of operations applied in one transaction; the
    keys are short because every record is also a line of the spool file."""

    t: str  # the table
    r: dict[str, Any]  # the row: column -> value (times as UNIX seconds, lists and dicts as JSON)
    m: Literal["insert", "upsert"]  # INSERT OR IGNORE (replays are harmless), or update the row with that id


class ReplyFields(TypedDict):
    """The columns an enquiry row takes from the reply."""

    kind: str | None
    intent: str | None
    confidence: float | None
    top3: list[dict[str, Any]]
    sources: list[str]
    faq_version: str | None


def new_id() -> str:
    return os.urandom(16).hex()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _suggestion(intent: str | None, title: str | None, confidence: object) -> dict[str, Any]:
    return {"intent": intent, "title": title, "confidence": _number(confidence)}


def reply_fields(reply: Reply | Mapping[str, Any] | None) -> ReplyFields:
    """The columns an enquiry row takes from an ``intents.respond.Reply`` (or its JSON,
    ``Reply.as_json()``): the top three candidates (a confident answer, which carries no
    suggestions, is its own top one).

    Lists stay lists here (cheap, on the caller's thread); the writer stores them as JSON.
    """
    if reply is None:
        return ReplyFields(kind=None, intent=None, confidence=None, top3=[], sources=[], faq_version=None)
    if isinstance(reply, Mapping):
        kind, intent, version = reply.get("kind"), reply.get("intent"), reply.get("faq_version")
        confidence, sources = _number(reply.get("confidence")), reply.get("sources") or ()
        listed = (reply.get("suggestions") or ())[:3]
        top3 = [_suggestion(s.get("intent"), s.get("title"), s.get("confidence")) for s in listed]
    else:
        kind, intent, version = reply.kind, reply.intent, reply.faq_version
        # (replies made up for a test may leave out what they do not need)
        confidence, sources = _number(reply.confidence), getattr(reply, "sources", ())
        suggestions: tuple[Suggestion, ...] = getattr(reply, "suggestions", ())
        top3 = [_suggestion(s.intent, s.title, s.confidence) for s in suggestions[:3]]
    if not top3 and intent:
        top3 = [_suggestion(intent, None, confidence)]
    return ReplyFields(kind=kind, intent=intent, confidence=confidence, top3=top3, sources=[str(s) for s in sources],
                       faq_version=version)  # fmt: skip


def calculation_items(kind: str, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per-item claimed amounts and estimates from a calculator's ``as_dict()``.

    The subsidy calculator lists its items; the other calculators count as one item named
    after the calculator (``first-order``, ``eit``) with their total.
    """
    items = []
    for entry in result.get("items") or ():
        if not isinstance(entry, Mapping):
            continue
        item = entry.get("item") or entry.get("id") or entry.get("item_id")
        if not item:
            continue
        items.append(
            {
                "item": str(item),
                "claimed": _number(entry.get("claimed", entry.get("amount", entry.get("spent")))),
                "estimate": _number(entry.get("estimate", entry.get("subsidy", entry.get("amount_estimate")))),
            }
        )
    if not items:
        items.append({"item": kind, "claimed": None, "estimate": _total(result)})
    return items


def _total(result: Mapping[str, Any]) -> float | None:
    for key in ("total", "estimate", "compensation", "tax", "amount"):
        if key in result:
            return _number(result[key])
    return None


class EnquiryLog:
    """Recorder over SQLite. ``spool_dir`` defaults to ``<db>.spool`` next to the database."""

    def __init__(self, db: Storage, secret: str, spool_dir: Path | None = None, replay: bool = True) -> None:
        self.db = db
        self._secret = secret
        self._regions: dict[str, str] = {}  # user key -> region of their latest enquiry
        self._regions_lock = threading.Lock()
        self._keys: dict[tuple[str, str], str] = {}  # recent users' keys (bounded cache)
        self.spool = Spool(spool_dir or db.spool_dir)
        if replay:
            self._replay_orphans()
        self._queue = DurableQueue(db, self.spool, apply_records)

    # -- Recorder ---------------------------------------------------------------------------
    def enquiry(
        self, *, channel: str, user_id: str, region: str | None, text: str, reply: Reply | Mapping[str, Any] | None,
        latency_ms: float,
    ) -> str:  # fmt: skip
        enquiry_id = new_id()
        user_key = self.user_key(channel, user_id)
        if region:
            with self._regions_lock:
                if len(self._regions) >= 10_000 and user_key not in self._regions:
                    self._regions.clear()
                self._regions[user_key] = region
        row = {
            "id": enquiry_id,
            "time": time.time(),
            "channel": channel,
            "user_key": user_key,
            "region": region,
            "text": redact(text or ""),
            **reply_fields(reply),
            "latency_ms": _number(latency_ms),
        }
        self._submit([{"t": "enquiries", "r": row, "m": "insert"}])
        return enquiry_id

    def feedback(self, *, channel: str, user_id: str, enquiry_id: str, value: int) -> None:
        row = {
            "id": new_id(),
            "time": time.time(),
            "channel": channel,
            "user_key": self.user_key(channel, user_id),
            "enquiry_id": enquiry_id or None,
            "value": 1 if value > 0 else -1,
        }
        self._submit([{"t": "feedback", "r": row, "m": "insert"}])

    def calculation(self, *, channel: str, user_id: str, kind: str, inputs: dict, result: dict) -> None:
        calculation_id = new_id()
        user_key = self.user_key(channel, user_id)
        plain_result = json.loads(_json(result))
        row = {
            "id": calculation_id,
            "time": time.time(),
            "channel": channel,
            "user_key": user_key,
            "region": self._region_of(user_key),
            "kind": kind,
            "inputs": redact_value(json.loads(_json(inputs))),
            "result": plain_result,
            "total": _total(plain_result) if isinstance(plain_result, dict) else None,
        }
        operations = [{"t": "calculations", "r": row, "m": "insert"}]
        if isinstance(plain_result, dict):
            for item in calculation_items(kind, plain_result):
                operations.append({"t": "calculation_items", "r": {"calculation_id": calculation_id, **item}, "m": "insert"})
        self._submit(operations)

    def handoff_opened(self, *, channel: str, user_id: str, handoff_id: str, summary: str) -> None:
        user_key = self.user_key(channel, user_id)
        row = {
            "id": handoff_id,
            "opened_at": time.time(),
            "channel": channel,
            "user_key": user_key,
            "region": self._region_of(user_key),
            "summary": redact(summary or ""),
        }
        self._submit([{"t": "handoffs", "r": row, "m": "upsert"}])

    def handoff_answered(self, *, handoff_id: str, staff: str) -> None:
        row = {"id": handoff_id, "answered_at": time.time(), "answered_by": staff}
        self._submit([{"t": "handoffs", "r": row, "m": "upsert"}])

    # -- helpers ----------------------------------------------------------------------------
    def user_key(self, channel: str, user_id: object) -> str:
        cache_key = (channel, str(user_id))
        key = self._keys.get(cache_key)
        if key is None:
            key = pseudonymise(self._secret, channel, user_id)
            if len(self._keys) >= 10_000:
                self._keys.clear()
            self._keys[cache_key] = key
        return key

    def _region_of(self, user_key: str) -> str | None:
        with self._regions_lock:
            return self._regions.get(user_key)

    def _submit(self, record: list[Operation]) -> None:
        """Hand the record to the group commit: the caller neither writes a file nor waits."""
        self._queue.submit(record)

    def durable(self) -> Future[None]:
        """Resolves once every row recorded so far is in the synced spool or the database: what a
        channel awaits before it sends a reply."""
        return self._queue.durable()

    def late_reply(self) -> None:
        """A reply went out before its rows were durable (``DURABLE_WAIT`` passed): count it."""
        self._queue.late_reply()

    def health(self) -> dict[str, Any]:
        """Problems writing the log (empty when all is well), rows not yet in the database, and
        the failure counters."""
        return self._queue.health()

    def flush(self, timeout: float = 30.0) -> None:
        """Write everything recorded so far (tests, shutdown, and before reading one's own rows)."""
        self._queue.flush(timeout)

    def _replay_orphans(self) -> None:
        for path, records in self.spool.orphans():
            ok = True
            for start in range(0, len(records), 500):  # one transaction per 500 rows
                chunk = records[start : start + 500]
                if self.db.execute_write_fn(lambda db, c=chunk: apply_records(db, c)).exception() is not None:
                    futures = [self.db.execute_write_fn(lambda db, r=record: apply_record(db, r)) for record in chunk]
                    ok = ok and all(future.exception() is None for future in futures)
            self.spool.release(path, replayed=ok)
            log.info("replayed spooled log rows", extra={"rows": len(records), "spool": str(path), "ok": ok})

    def __enter__(self) -> EnquiryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float = 60.0) -> None:
        """Write the last rows and wait for them, then forget the spool file. Call before
        ``Database.close()``; rows it cannot write stay in the spool for the next start."""
        self._queue.close(timeout)
        self.spool.close()


_TIME_COLUMNS = frozenset({"time", "opened_at", "answered_at"})


def _cell(column: str, value: Any) -> Any:
    if isinstance(value, float) and column in _TIME_COLUMNS:
        return utc_text(value)
    if isinstance(value, list | dict):
        return _json(value)
    return value


def apply_records(db: sqlite_utils.Database, records: list[list[Operation]]) -> None:
    """Apply a batch of records (one transaction on the writer thread)."""
    for record in records:
        apply_record(db, record)


def apply_record(db: sqlite_utils.Database, record: list[Operation]) -> None:
    """Apply one record's operations (runs on the writer thread, inside its transaction)."""
    for operation in record:
        row = operation["r"]
        columns = tuple(row)
        sql, used = _statement(operation["t"], columns, operation.get("m") == "upsert")
        db.conn.execute(sql, [_cell(column, row[column]) for column in used])


@functools.lru_cache(maxsize=64)
def _statement(table: str, columns: tuple[str, ...], upsert: bool) -> tuple[str, tuple[str, ...]]:
    """SQL inserting (or upserting) the known ``columns`` of ``table``, and those columns (a
    table's columns come from bot/storage/schema.py, the list its migration creates)."""
    if table not in schema.LOG_TABLES:
        raise ValueError(f"unknown log table {table!r}")
    known = schema.columns(table)
    used = tuple(column for column in columns if column in known)
    names, marks = ", ".join(used), ", ".join("?" for _ in used)
    if upsert:
        updates = ", ".join(f"{column} = excluded.{column}" for column in used if column != "id")
        return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}", used
    return f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", used
