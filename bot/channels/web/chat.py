"""POST /api/chat: the web chat's one endpoint, and /api/chat/poll for messages staff send later.

The browser keeps a random session id (localStorage) and sends either the text typed or the
value of a button pressed; the conversation core answers with messages, each with buttons.
The core is synchronous and may touch SQLite, so it runs in the thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from bot.records.durable import DURABLE_WAIT
from intents.personal import clean, has_lone_surrogate

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])

SESSION = r"^[A-Za-z0-9_-]{8,64}$"
SLOW_DOWN = "您的消息发得有点快，请稍等一分钟再继续提问。"
REBALANCE = 10_000  # several workers: a reply closes its connection once per this much of (messages being answered)² a reply


class ChatLimits:
    """The web chat's flood control: messages per session (CBEC_FLOOD_LIMIT, as on Telegram) and
    per client address (CBEC_WEB_CLIENT_LIMIT) in a minute."""

    def __init__(self, per_session: int, per_client: int, db: Any = None) -> None:
        from bot.channels.web.guard import rate_limit

        self.session = rate_limit(db, "web-session", per_session)
        self.client = rate_limit(db, "web-client", per_client)
        self.in_memory = not (db is not None and getattr(db, "shared", False))  # else it asks the database

    def check(self, session: str, client: str) -> str | None:
        """None when the message may go on, else which limit it hit ("session" or "client")."""
        if not self.client.allow(client):
            return "client"
        if not self.session.allow(session):
            return "session"
        return None


def chat_threads(db: Any) -> int:
    """Threads answering web messages at once. Few on SQLite: they take turns at the GIL, and a turn
    waits for little (its reads are local, its state save is not waited for in the thread; 6 were
    needed while each turn waited for the writer). PostgreSQL reads are round trips: more there."""
    return 8 if getattr(db, "shared", False) else 2


class ChatHandler(Protocol):
    def __call__(self, session: str, text: str | None, button: str | None) -> Sequence[Any]:
        """Handle one web message; return the conversation core's OutMessages."""


class ChatButton(BaseModel):
    label: str = Field(description="What the button shows.")
    value: str = Field(description="What to send back as `button` when it is pressed.")


class ChatReply(BaseModel):
    text: str = Field(description="Plain text (the page escapes it); may contain line breaks.")
    buttons: list[ChatButton] = Field(default_factory=list, description="Suggestion and menu buttons under the text.")


class ChatRequest(BaseModel):
    session: str = Field(pattern=SESSION, description="Random id the page keeps for this browser (8-64 of A-Z a-z 0-9 _ -).")
    text: str | None = Field(None, max_length=2000, description="What the user typed.")
    button: str | None = Field(None, max_length=200, description="Value of the button the user pressed.")

    @field_validator("text", "button")
    @classmethod
    def _visible(cls, value: str | None) -> str | None:
        """Invalid Unicode is refused; bidi controls and zero-width characters are dropped."""
        if value is None:
            return None
        if has_lone_surrogate(value):
            raise ValueError("invalid unicode")
        return clean(value)

    @model_validator(mode="after")
    def _one_of(self) -> ChatRequest:
        if (self.text is None or not self.text.strip()) == (self.button is None or not self.button):
            raise ValueError("send exactly one of text or button")
        return self

    model_config = {
        "json_schema_extra": {
            "examples": [{"session": "k3J9x2mQ7pLw", "text": "海外仓去年花了80万，高新区能补多少？"},
                         {"session": "k3J9x2mQ7pLw", "button": "menu"}]  # fmt: skip
        }
    }


class PollRequest(BaseModel):
    session: str = Field(pattern=SESSION)


class ChatResponse(BaseModel):
    replies: list[ChatReply]


def to_reply(message: Any) -> dict[str, Any]:
    """An OutMessage (text, rows of Button(label, value)) as the API's reply object (ChatReply's
    JSON: built as a dict, the response is written straight from it)."""
    rows = getattr(message, "buttons", None) or ()
    buttons = []
    for row in rows:
        for button in row if isinstance(row, list | tuple) and not hasattr(row, "label") else (row,):
            buttons.append({"label": str(button.label), "value": str(button.value)})
    return {"text": str(getattr(message, "text", message)), "buttons": buttons}


def _json_response(replies: list[dict[str, Any]], status_code: int = 200) -> Response:
    """ChatResponse as JSON, without FastAPI validating and encoding the model again (a good part
    of the CPU a reply took; the replies are built to the schema here)."""
    body = orjson.dumps({"replies": replies})
    return Response(body, status_code=status_code, media_type="application/json")


@router.post("/chat", response_model=ChatResponse, summary="Send one message to the assistant")
async def chat(body: ChatRequest, request: Request) -> Response:
    """Send what the user typed (`text`) or the button they pressed (`button`); get the assistant's replies."""
    return await answer(request.app.state.web, body, request.client.host if request.client else "-")


async def answer(web: Any, body: ChatRequest, client: str) -> Response:
    """POST /api/chat once the body is valid (the route above, or ChatFastPath)."""
    if web.chat is None:
        return _json_response([{"text": "助手正在启动或维护中，请稍后再试。", "buttons": []}])
    web.answering += 1
    try:
        return await _answered(web, body, client)
    finally:
        web.answering -= 1


async def _answered(web: Any, body: ChatRequest, client: str) -> Response:
    limits = web.chat_limits
    # In memory (one host) the limits are a lock and a deque, checked here; counted in the database
    # (replicas) they are checked in the answering thread, on the same trip as the answer.
    limited = limits.check(body.session, client) if limits.in_memory else None
    text = body.text.strip() if body.text else None
    if limited is None:
        limits_there = None if limits.in_memory else (limits, client)
        # the enquiry is in the spool or the database, and the conversation state in the database
        # (for the next message on any worker), before the reply goes
        answered = await _Turn(web).answer(body.session, text, body.button, limits_there)
        limited = answered if isinstance(answered, str) else None
    if limited is not None:
        web.metrics.rate_limited.labels(scope=limited).inc()
        return _json_response([{"text": SLOW_DOWN, "buttons": []}], status_code=429)
    messages, from_staff, _logged, _saved = answered
    replies = []
    for message in messages:
        target = getattr(message, "chat_id", None)
        if target is None or str(target) == body.session:
            replies.append(to_reply(message))
        else:  # e.g. a hand-off notice for the staff chat
            await web.forward(message)
    replies.extend(to_reply(message) for message in web.outbox.take(body.session))
    replies.extend(from_staff)
    response = _json_response(replies)
    if web.rebalance:
        _rebalance(web, response)
    return response


def _rebalance(web: Any, response: Response) -> None:
    """Several workers share one listening socket and a burst of new keep-alive connections goes to
    whichever accepts first (49 of 50 to one worker was seen; that worker then answers nearly
    everything). So a worker asks a client to connect again (``connection: close``) once every
    REBALANCE / (messages it is answering at once)² replies: a crowded worker sheds connections
    much faster than a quiet one, each new connection lands on either, and the shares even out
    (25 each of 50 busy sessions: one reply in 16 reconnects; 40 of 50: one in 6)."""
    web.rebalance_debt += web.answering * web.answering
    if web.rebalance_debt >= REBALANCE:
        web.rebalance_debt -= REBALANCE
        response.headers["connection"] = "close"


def _answer(web: Any, session: str, text: str | None, button: str | None,
            limits: tuple[ChatLimits, str] | None = None) -> tuple[Sequence[Any], list[dict[str, Any]], Any, list] | str:  # fmt: skip
    """The conversation's reply, the staff replies and policy digests waiting for this session (in
    one trip to the thread pool: each trip costs two thread switches), the log's durable(), and
    the futures of the state saves (queued, not waited for here: this thread goes on to the next
    message while the writer commits them). With ``limits`` (counted in the database) they are
    checked first: the name of the limit hit instead of an answer."""
    if limits is not None:
        limited = limits[0].check(session, limits[1])
        if limited is not None:
            return limited
    with _read_ahead(web, session) as waits:
        deferred = getattr(web.chat, "deferred", None)
        if deferred is None:
            messages, saved = web.chat(session, text, button), []
        else:
            with deferred() as saved:
                messages = web.chat(session, text, button)
    waiting = _waiting(web, session, waits)
    return messages, waiting, web.log.durable() if web.log is not None else None, saved


class _Turn:
    """One web message on the chat pool, woken on the event loop once: when its answer is ready,
    its log rows durable and its state saves committed. (Awaiting the pool's future, then the
    log's, then each save's took three wake-ups of the loop and three future chains a message,
    a tenth of the loop's CPU.) Ready but not durable after DURABLE_WAIT seconds, the reply goes
    anyway and the log counts it (late_reply); a save that failed or still waits does not hold it."""

    __slots__ = ("web", "loop", "ready", "answered", "answered_at", "timer")

    def __init__(self, web: Any) -> None:
        self.web = web
        self.loop = asyncio.get_running_loop()
        self.ready: asyncio.Future = self.loop.create_future()
        self.answered: Any = None
        self.answered_at = 0.0
        self.timer: asyncio.TimerHandle | None = None

    async def answer(self, session: str, text: str | None, button: str | None, limits: tuple[ChatLimits, str] | None) -> Any:
        self.web.chat_pool.submit(self._run, session, text, button, limits)
        self.timer = self.loop.call_later(DURABLE_WAIT, self._overdue)
        try:
            return await self.ready
        finally:
            self.timer.cancel()
            # The futures waited for keep their callbacks, and so this turn; it lets go of them and
            # the answer, so that no reference cycle is left (one was ~55 objects a message for the
            # cyclic collector, whose collections of them stalled a worker for up to 60 ms).
            self.timer = self.ready = self.answered = None

    # -- on the answering thread -----------------------------------------------------------
    def _run(self, session: str, text: str | None, button: str | None, limits: tuple[ChatLimits, str] | None) -> None:
        try:
            answered = _answer(self.web, session, text, button, limits)
        except BaseException as error:  # noqa: BLE001 - raised again on the loop (a 500, as before)
            self._wake(error)
            return
        self.answered_at = time.monotonic()
        self.answered = answered
        if isinstance(answered, str):
            self._wake(answered)
            return
        _messages, _from_staff, logged, saved = answered
        waiting = [future for future in (logged, *saved) if future is not None and not future.done()]
        if not waiting:
            self._wake(answered)
            return
        left, lock = [len(waiting)], threading.Lock()

        def one_done(_: Future) -> None:  # on the log's flusher or the database writer
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:  # (self.answered, not the answer itself: a closure over it would be a cycle through the futures)
                self._wake(self.answered)

        for future in waiting:
            future.add_done_callback(one_done)

    def _wake(self, outcome: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self.loop.call_soon_threadsafe(self._settle, outcome)

    # -- on the event loop -----------------------------------------------------------------
    def _settle(self, outcome: Any) -> None:
        if self.ready is None or self.ready.done():  # cancelled, or sent already as late
            return
        if isinstance(outcome, BaseException):
            self.ready.set_exception(outcome)
        else:
            self.ready.set_result(outcome)

    def _overdue(self) -> None:
        answered = self.answered
        if self.ready is None or self.ready.done():
            return
        if answered is None:  # still being answered (e.g. a write waiting for a locked database)
            self.timer = self.loop.call_later(0.5, self._overdue)
            return
        left = self.answered_at + DURABLE_WAIT - time.monotonic()
        if left > 0:
            self.timer = self.loop.call_later(left, self._overdue)
            return
        logged = answered[2] if isinstance(answered, tuple) else None
        if logged is not None and not logged.done():
            late = getattr(self.web.log, "late_reply", None)
            if late is not None:
                late()
            log.error("a reply went out before its log rows were durable")
        self.ready.set_result(answered)


def _read_ahead(web: Any, session: str) -> contextlib.AbstractContextManager[dict[str, bool] | None]:
    """The session's state (for the turn) and whether staff replies or digests wait (collected after
    the turn), in one query (``SqliteStateStore.read_ahead``): one round trip to PostgreSQL, not three."""
    read_ahead = getattr(web.chat, "read_ahead", None)
    if read_ahead is None:
        return contextlib.nullcontext(None)
    from bot.records import tickets

    user_key = _user_key(web, session)
    checks = {"staff": tickets.pending_query("web", session)}
    if getattr(web, "subscriptions", None) is not None:
        checks["digests"] = web.subscriptions.web_query(user_key)
    return read_ahead(user_key, checks)


@router.post("/chat/poll", response_model=ChatResponse, summary="Fetch messages sent to this session since")
async def poll(body: PollRequest, request: Request) -> Response:
    """Messages that reached this web session outside a reply, such as a staff member answering
    a hand-off (kept in the database until this session collects them, across restarts)."""
    web = request.app.state.web
    replies = [to_reply(message) for message in web.outbox.take(body.session)]
    replies.extend(await run_in_threadpool(_waiting, web, body.session))
    return _json_response(replies)


def _waiting(web: Any, session: str, waits: dict[str, bool] | None = None) -> list[dict[str, Any]]:
    """Staff replies and digests for the session (only those ``waits``, read ahead, says are there)."""
    staff = staff_replies(web.db, session) if waits is None or waits["staff"] else []
    return staff + (digests_for(web, session) if waits is None or waits.get("digests") else [])


def digests_for(web: Any, session: str) -> list[dict[str, Any]]:
    """Policy-update digests made for this browser's session since its last visit (bot/conversation/subscriptions.py)."""
    if getattr(web, "subscriptions", None) is None:
        return []
    return [to_reply(digest) for digest in web.subscriptions.take_web(_user_key(web, session))]


def _user_key(web: Any, session: str) -> str:
    """The pseudonymous key of this browser's session, as the conversation stores it."""
    from bot.records.pseudonym import pseudonymise

    return pseudonymise(web.settings.secret.get_secret_value(), "web", session)


def staff_replies(db: Any, session: str) -> list[dict[str, Any]]:
    """Ticket replies (bot/records/tickets.py) written for this session and not yet shown."""
    from bot.records import tickets

    return [{"text": pending.for_user(), "buttons": []} for pending in tickets.take_pending(db, "web", session)]


class ChatFastPath:
    """ASGI middleware: POST /api/chat with a JSON body that validates goes straight to ``answer``,
    past FastAPI's routing, dependency solving and request handling (a tenth of a reply's CPU
    under load). Everything else, and a body that does not validate, goes on to the FastAPI route
    unchanged: it gives the usual 422 and documents the API. Sits inside BodyLimit and the
    security headers."""

    PATH = "/api/chat"

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != self.PATH or scope.get("method") != "POST" or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        try:
            body = ChatRequest.model_validate_json(raw)
        except ValidationError:
            await self.app(scope, _replay(raw, receive), send)
            return
        client = scope.get("client")
        response = await answer(scope["app"].state.web, body, client[0] if client else "-")
        await response(scope, receive, send)


def _json_body(scope: dict) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


def _replay(raw: bytes, receive: Any) -> Any:
    """A receive() that hands the body read already to the app, then listens to the client again."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


Forward = Callable[[Any], Any]
