"""The web application: chat page and API, staff dashboard, /staff/sql, /healthz and /metrics.

``create_app(settings)`` opens the database and the enquiry log when the server starts and
drains and closes them when it stops (uvicorn's lifespan). Tests pass ``db`` and ``chat`` to
run everything in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from bot.channels import digest_delivery, ticket_delivery
from bot.channels.web import chat as chat_api
from bot.channels.web import dashboard, handoffs, operator, policies, triage
from bot.channels.web.auth import (
    COOKIE,
    LoginThrottle,
    SessionSigner,
    SharedLoginThrottle,
    StaffDirectory,
    login_throttle,
)
from bot.channels.web.chat import ChatFastPath, ChatHandler, ChatLimits, chat_threads
from bot.channels.web.guard import BodyLimit, validation_error
from bot.channels.web.outbox import Outbox
from bot.channels.web.runtime import build_chat, build_wechat, run_telegram
from bot.channels.web.sql import guarded, staff_sql_app
from bot.conversation.subscriptions import Subscriptions
from bot.ops.faq_ops import FaqOperations
from bot.ops.faq_sync import Follower
from bot.ops.metrics import MeteredRecorder, Metrics
from bot.records import tickets
from bot.records.enquiry_log import EnquiryLog
from bot.settings import Settings
from bot.storage import Storage as Database
from bot.storage import limits_storage, open_storage
from intents.respond import get_responder

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@dataclass
class WebState:
    """What the routes need, on ``app.state.web``."""

    settings: Settings
    db: Database
    directory: StaffDirectory
    signer: SessionSigner
    chat: ChatHandler | None = None
    log: EnquiryLog | None = None
    outbox: Outbox = field(default_factory=Outbox)
    throttle: LoginThrottle | SharedLoginThrottle = field(default_factory=LoginThrottle)
    metrics: Metrics = field(default_factory=Metrics)
    telegram: Any = None
    wechat: Any = None  # bot/channels/wechat/endpoint.py WeChatChannel, when CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID are set
    faq_ops: FaqOperations | None = None
    subscriptions: Any = None  # bot/conversation/subscriptions.py Subscriptions
    chat_limits: ChatLimits = field(default_factory=lambda: ChatLimits(0, 0))
    # The chat's own threads (bot/channels/web/chat.py chat_threads): few, so that answering threads
    # do not fight over the GIL, and apart from the dashboard's. A plain pool: a thread that
    # finishes a message takes the next queued one without going to sleep.
    chat_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="cbec-chat"))
    rebalance: bool = False  # several workers: now and then a chat reply closes its connection (chat._rebalance)
    answering: int = 0  # chat messages being answered now
    rebalance_debt: int = 0

    async def forward(self, message: Any) -> None:
        """A message the web chat produced for another chat (the staff group): hand it to Telegram."""
        sender = getattr(self.telegram, "send", None)
        if sender is None:
            log.info("message for chat %s not delivered: Telegram is off", getattr(message, "chat_id", None))
            return
        await sender(message)


def session_key(settings: Settings) -> str:
    """CBEC_SECRET signs staff sessions; while it is the published default, a random key does
    instead (sessions then end with the process, but nobody can forge one)."""
    secret = settings.secret.get_secret_value()
    if secret == Settings.model_fields["secret"].default.get_secret_value():
        return secrets.token_hex(32)
    return secret


def _intents() -> list:
    """The intents answering now (the digest courier compares them with the last look)."""
    from intents.respond import get_responder

    return list(get_responder().by_id.values())


def create_app(settings: Settings, *, db: Database | None = None, chat: ChatHandler | None = None) -> FastAPI:
    """The ASGI app. Without ``db`` it opens ``settings.db``; without ``chat`` it builds the
    conversation core for the web channel and logs to the enquiry log."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        opened = contextlib.ExitStack()  # closed on the way out: the log's last rows, then the database
        database = opened.enter_context(open_storage(settings)) if own_db else db
        counted = limits_storage(settings, database)  # flood limits and login throttle count there
        if counted is not database:
            opened.callback(counted.close)
        state = WebState(
            settings=settings,
            db=database,
            directory=StaffDirectory(settings.staff_users, database),
            signer=SessionSigner(session_key(settings)),
            chat_limits=ChatLimits(settings.flood_limit, settings.web_client_limit, counted),
            chat_pool=ThreadPoolExecutor(chat_threads(database), thread_name_prefix="cbec-chat"),
            rebalance=settings.workers > 1,
            throttle=login_throttle(counted),
        )
        if chat is None:
            state.log = opened.enter_context(
                EnquiryLog(database, settings.secret.get_secret_value(), spool_dir=settings.spool_dir)
            )
            state.metrics.track_log(state.log.health)
            recorder = MeteredRecorder(state.log, state.metrics)
            state.chat = build_chat(settings, database, recorder)
            state.telegram = await run_telegram(settings, database, recorder, state.outbox)
            state.wechat = build_wechat(settings, database, recorder, state.forward)
            # the FAQ index and what loads lazily, now: the first enquiry after a start is answered
            # as fast as the others (and within WeChat's 5 seconds)
            await run_in_threadpool(get_responder)
        else:
            state.chat = chat
        state.faq_ops = FaqOperations(database)
        state.subscriptions = Subscriptions(database, settings.secret.get_secret_value())
        state.metrics.track(
            lambda: database.queue_depth, lambda: tickets.count_open(database), lambda: tickets.oldest_open_age(database)
        )
        app.state.web = state
        sql_app.asgi = staff_sql_app(database)
        await run_in_threadpool(get_responder)  # built now, not on the first enquiry (each worker has its own)
        couriers = []
        if chat is None:  # the real server: Telegram deliveries, the staff chat, idle tickets, digests
            couriers.append(asyncio.create_task(ticket_delivery.run(settings, database, lambda: getattr(state.telegram, "send", None))))
            couriers.append(asyncio.create_task(digest_delivery.run(
                settings, database, lambda: getattr(state.telegram, "send_digest", None), _intents)))  # fmt: skip
            couriers.append(asyncio.create_task(Follower(database, state.faq_ops).run()))  # FAQ reloads on other replicas
        if state.wechat is not None and state.wechat.api is not None:  # staff replies as customer-service messages
            from bot.channels.wechat import delivery

            couriers.append(asyncio.create_task(delivery.run(database, state.wechat)))
        try:
            yield
        finally:
            for courier in couriers:
                courier.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await courier
            if state.wechat is not None:
                await state.wechat.stop()
            if state.telegram is not None:
                await state.telegram.stop()
            await run_in_threadpool(state.chat_pool.shutdown)  # the messages being answered end first
            await run_in_threadpool(opened.close)  # the log hands over and writes its last rows; the writer queue drains
            if not own_db:
                await run_in_threadpool(database.flush)

    app = FastAPI(
        title="cbec-bot",
        summary="跨境电商政策咨询助手: web chat API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # no OpenTelemetry here: FastAPI would otherwise ask for a configured provider on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.include_router(chat_api.router)
    app.include_router(dashboard.router)
    app.include_router(operator.router)
    app.include_router(handoffs.router)
    app.include_router(triage.router)
    if settings.wechat_on:
        from bot.channels.wechat import endpoint as wechat_endpoint

        app.include_router(wechat_endpoint.router)
    app.include_router(policies.router)
    app.add_exception_handler(dashboard.LoginRequired, dashboard.login_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_middleware(ChatFastPath)  # inside BodyLimit: the limit holds for it too
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    sql_app = _SqlApp()
    app.mount("/staff/sql", guarded(sql_app, _is_staff(app)))

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    health_threads = anyio.CapacityLimiter(2)  # its own threads: answers while the chat's are all busy

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> JSONResponse:
        web: WebState = request.app.state.web
        try:
            await anyio.to_thread.run_sync(web.db.query, "SELECT 1", limiter=health_threads)
        except Exception as error:  # noqa: BLE001 - reported as unhealthy
            return JSONResponse({"status": "error", "error": type(error).__name__}, status_code=503)
        # Degraded (the log's spool or database writes failing or waiting for a lock) is still 200:
        # the server answers and keeps every row in memory; a restart would not help, and would
        # lose what is not yet in the spool. /metrics has cbec_log_degraded for alerts.
        log_health = web.log.health() if web.log is not None else {"problems": []}
        status = "degraded" if log_health["problems"] else "ok"
        # faq_version: replicas behind one address must all show the same one (bot/ops/faq_sync.py)
        return JSONResponse({"status": status, "log_queue": web.db.queue_depth, "log": log_health,
                             "faq_version": get_responder().faq.version})  # fmt: skip

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        web: WebState = request.app.state.web
        body = await anyio.to_thread.run_sync(web.metrics.render, limiter=health_threads)
        return Response(body, media_type=web.metrics.content_type)

    app.add_middleware(SecurityHeaders)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process when `cbec-bot serve` runs several (CBEC_WORKERS)."""
    from bot.ops.collector import tune_for_serving
    from bot.ops.jsonlog import configure_logging
    from bot.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    tune_for_serving()
    return create_app(settings)


class SecurityHeaders:
    """Headers every response gets unless it set them itself. Pure ASGI: Starlette's
    ``@app.middleware("http")`` runs each request through extra tasks and streams, which cost
    as much as a quarter of the web chat's time under load."""

    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"))
    POLICY = (b"content-security-policy", PAGE_POLICY.encode())

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.HEADERS
        if not scope.get("path", "").startswith("/staff/sql"):  # Datasette brings its own inline scripts
            extra = (*extra, self.POLICY)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in extra if header[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _SqlApp:
    """Datasette, created at start-up (it needs the database path), behind a stable ASGI callable."""

    asgi: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.asgi is None:
            response = Response("starting", status_code=503)
            await response(scope, receive, send)
            return
        await self.asgi(scope, receive, send)


def _is_staff(app: FastAPI) -> Any:
    async def check(scope: dict) -> bool:
        request = Request(scope)
        web: WebState | None = getattr(app.state, "web", None)
        if web is None:
            return False
        user = await run_in_threadpool(web.directory.from_session, web.signer, request.cookies.get(COOKIE))
        return user is not None

    return check
