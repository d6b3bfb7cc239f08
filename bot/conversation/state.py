"""Per-user conversation state behind a small interface, kept in SQLite so that a dialogue
(an unfinished /calc, the region chosen, the suggestions just offered) survives a restart.

Users are stored under their pseudonymous key (HMAC, as in the enquiry log), and the recent
messages kept for a hand-off are redacted first: no phone number reaches the database file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from bot.records.clock import utc_text
from bot.storage.sqlite import Database

if TYPE_CHECKING:
    from bot.conversation.calc.dialogue import CalcDialogue

log = logging.getLogger(__name__)
RECENT = 5  # messages a hand-off shows the staff
TRANSCRIPT = 16  # lines of the conversation (user and assistant) a ticket carries
AHEAD_SLOTS = 4096  # read_ahead: saves counted by slot of the user key (a save elsewhere in the slot only costs a read)


@dataclass
class UserState:
    region: str | None = None
    dialogue: CalcDialogue | None = None  # the unfinished /calc dialogue (bot/conversation/calc/dialogue.py)
    recent: list[str] = field(default_factory=list)  # the user's last messages, redacted
    suggestions: list[str] = field(default_factory=list)  # intent ids a clarify reply numbered 1, 2, 3
    last_text: str = ""  # the last free-text enquiry (a suggestion pressed answers it with its amount)
    handoff: str | None = None  # the open hand-off: what the user adds goes to the staff chat too
    handoff_until: float = 0.0  # epoch seconds when it stops being open
    context: dict[str, Any] | None = None  # what follow-ups are read against (intents/context.py)
    more: dict[str, str] = field(default_factory=dict)  # 「查看更多」: the rest of recent long replies
    transcript: list[dict[str, str]] = field(default_factory=list)  # the conversation so far, redacted (a ticket's copy)
    asked: list[list[str]] = field(default_factory=list)  # [intent id, title] of the last answers
    downvotes: int = 0  # 👎 in a row: after two a ticket is offered
    awaiting_phone: int | None = None  # the ticket whose call-back number the next message gives
    numbered: dict[str, str] = field(default_factory=dict)  # "1" -> button value, on channels without buttons (bot/conversation/numbered.py)

    def note(self, who: str, text: str) -> None:
        from bot.records.redact import redact

        if text:
            self.transcript = [*self.transcript, {"who": who, "text": redact(text)[:300]}][-TRANSCRIPT:]

    def remember(self, text: str) -> None:
        from bot.records.redact import redact

        self.recent = [*self.recent, redact(text)][-RECENT:]

    @classmethod
    def from_json(cls, raw: str | None) -> UserState:
        if not raw:
            return cls()
        data = orjson.loads(raw)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if known.get("dialogue") is not None:  # stored as a plain dict, as it always was
            from bot.conversation.calc.dialogue import CalcDialogue  # (it imports turn, which imports this)

            known["dialogue"] = CalcDialogue.from_dict(known["dialogue"])
        return cls(**known)

    def to_json(self) -> str:
        # Every field holds plain JSON values already: dumping the fields directly is what
        # dataclasses.asdict() did, minus its deep copy (which cost more than matching the text).
        # The one field that is not plain, the /calc dialogue, is written as its dict.
        # orjson: a turn dumps the state twice (to see whether it changed), json took 3% of a reply.
        try:
            return orjson.dumps(
                vars(self), default=_as_dict, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
            ).decode()
        except TypeError:  # a value orjson does not take (e.g. a float subclass): what json makes of it
            return json.dumps(vars(self), ensure_ascii=False, default=_as_dict)


def _report_failure(done: Future) -> None:
    if done.exception() is not None:
        log.error("a write of the conversation failed", extra={"error": type(done.exception()).__name__})


def _as_dict(dialogue: CalcDialogue) -> dict:
    return dialogue.as_dict()


@dataclass(frozen=True)
class Handoff:
    id: str
    channel: str
    chat_id: str
    answered: bool = False


class StateStore(Protocol):
    def load(self, user_key: str) -> UserState: ...

    def save(self, user_key: str, state: UserState, raw: str | None = None) -> None: ...

    def write(self, fn: Callable[[Any], Any]) -> None: ...

    def open_handoff(self, handoff: Handoff) -> None: ...

    def add_staff_message(self, handoff_id: str, message_id: str) -> None: ...

    def handoff_for_message(self, message_id: str) -> Handoff | None: ...

    def mark_answered(self, handoff_id: str) -> None: ...


SAVE_STATE = (
    "INSERT INTO conversation_state (user_key, state, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT(user_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
)


class SqliteStateStore:
    """StateStore over the shared Database: writes go through its one writer thread and are
    waited for, so the next event of the same user reads what this one wrote.

    Inside ``deferred()`` a state save is queued and not waited for (the web chat: its thread
    takes the next message at once); the futures of the saves are handed to the caller, which
    must see them done before the reply goes (another process or replica reads the state from
    the database), and until then this process reads the queued state instead of the database."""

    def __init__(self, db: Database, timeout: float = 30.0) -> None:
        self._db, self._timeout = db, timeout
        self._queued: dict[str, tuple[object, str]] = {}  # user key -> (token, state JSON) not yet committed
        self._queued_lock = threading.Lock()
        self._local = threading.local()
        self._saves = [0] * AHEAD_SLOTS  # saves queued or committed here, by slot of the user key (read_ahead)

    def _saving(self, user_key: str) -> None:
        with self._queued_lock:
            self._saves[hash(user_key) % AHEAD_SLOTS] += 1

    @contextlib.contextmanager
    def read_ahead(self, user_key: str, exists: dict[str, tuple[str, tuple]]) -> Iterator[dict[str, bool] | None]:
        """One query instead of several (each a round trip to PostgreSQL): ``user_key``'s state, which
        the next ``load`` of it in this thread (within the block) then uses, and for each of ``exists``
        (name -> a query and its parameters) whether it finds a row. The state read ahead is not used
        once a save of that user was queued or committed in this process since (another turn ran in
        between). None when the query fails (the callers read as without it)."""
        slot = hash(user_key) % AHEAD_SLOTS
        with self._queued_lock:
            mark = self._saves[slot]
        parts = ["(SELECT state FROM conversation_state WHERE user_key = ?) AS state"]
        params: list[Any] = [user_key]
        for n, (sql, values) in enumerate(exists.values()):
            parts.append(f"EXISTS ({sql}) AS found_{n}")
            params.extend(values)
        try:
            row = self._db.query("SELECT " + ", ".join(parts), params)[0]
        except Exception:  # noqa: BLE001 - the turn reads the state itself (and reports the error)
            log.warning("reading ahead failed", exc_info=True)
            yield None
            return
        self._local.ahead = (user_key, slot, mark, row["state"])
        try:
            yield {name: bool(row[f"found_{n}"]) for n, name in enumerate(exists)}
        finally:
            self._local.ahead = None

    def _write(self, sql: str, params: tuple) -> None:
        self._db.execute_write_fn(lambda db: db.execute(sql, params)).result(self._timeout)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[list[Future]]:
        """State saves in this block (this thread) are queued, their futures put in the list."""
        writes: list[Future] = []
        self._local.writes = writes
        try:
            yield writes
        finally:
            self._local.writes = None

    def write(self, fn: Callable[[Any], Any]) -> None:
        """Another write of this turn (what the user adds to an open ticket): inside ``deferred()``
        queued like the state save, its future in the same list (the reply waits for it, this
        thread does not); elsewhere waited for. A queued write that fails is logged."""
        writes = getattr(self._local, "writes", None)
        if writes is None:
            self._db.execute_write_fn(fn).result(self._timeout)
            return
        future = self._db.execute_write_fn(fn)
        future.add_done_callback(_report_failure)
        writes.append(future)

    def load(self, user_key: str) -> UserState:
        with self._queued_lock:
            queued = self._queued.get(user_key)
        if queued is not None:
            return UserState.from_json(queued[1])
        ahead = getattr(self._local, "ahead", None)
        if ahead is not None and ahead[0] == user_key:
            self._local.ahead = None
            with self._queued_lock:
                unchanged = self._saves[ahead[1]] == ahead[2]
            if unchanged:
                return UserState.from_json(ahead[3])
        rows = self._db.query("SELECT state FROM conversation_state WHERE user_key = ?", (user_key,))
        return UserState.from_json(rows[0]["state"] if rows else None)

    def save(self, user_key: str, state: UserState, raw: str | None = None) -> None:
        """``raw``: ``state.to_json()`` when the caller has it already."""
        params = (user_key, raw if raw is not None else state.to_json(), utc_text())
        writes = getattr(self._local, "writes", None)
        if writes is None:
            self._saving(user_key)
            self._write(SAVE_STATE, params)
            self._saving(user_key)
            return
        token = object()
        with self._queued_lock:
            self._queued[user_key] = (token, params[1])
            self._saves[hash(user_key) % AHEAD_SLOTS] += 1
        try:
            future = self._db.execute_write_fn(lambda db: db.execute(SAVE_STATE, params))
        except BaseException:
            self._committed(user_key, token, None)
            raise
        future.add_done_callback(lambda done: self._committed(user_key, token, done))
        writes.append(future)

    def _committed(self, user_key: str, token: object, done: Future | None) -> None:
        """The queued save ended: from now on the database has it (or, failed, the last state it had)."""
        with self._queued_lock:
            if self._queued.get(user_key, (None,))[0] is token:
                del self._queued[user_key]
            self._saves[hash(user_key) % AHEAD_SLOTS] += 1
        if done is not None and done.exception() is not None:
            log.error("conversation state not saved", extra={"error": type(done.exception()).__name__})

    def open_handoff(self, handoff: Handoff) -> None:
        self._write(
            "INSERT INTO conversation_handoffs (id, channel, chat_id, opened_at) VALUES (?, ?, ?, ?)",
            (handoff.id, handoff.channel, handoff.chat_id, utc_text()),
        )

    def add_staff_message(self, handoff_id: str, message_id: str) -> None:
        self._write(
            "INSERT INTO conversation_relays (message_id, handoff_id) VALUES (?, ?) "
            "ON CONFLICT(message_id) DO UPDATE SET handoff_id = excluded.handoff_id",
            (str(message_id), handoff_id),
        )

    def handoff_for_message(self, message_id: str) -> Handoff | None:
        rows = self._db.query(
            "SELECT h.id, h.channel, h.chat_id, h.answered_at FROM conversation_relays r "
            "JOIN conversation_handoffs h ON h.id = r.handoff_id WHERE r.message_id = ?",
            (str(message_id),),
        )
        if not rows:
            return None
        row = rows[0]
        return Handoff(row["id"], row["channel"], row["chat_id"], row["answered_at"] is not None)

    def mark_answered(self, handoff_id: str) -> None:
        self._write(
            "UPDATE conversation_handoffs SET answered_at = COALESCE(answered_at, ?) WHERE id = ?",
            (utc_text(), handoff_id),
        )
