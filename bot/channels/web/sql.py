"""/staff/sql: read-only Datasette over the enquiry log, for staff who want to ask their own questions.

Datasette opens the database file with ``?mode=ro`` (SQLite refuses every write on that
connection), the file download is switched off, and an SQLite authorizer on Datasette's
connections lets queries read only the log's tables: columns of any other table (conversation
state, staff logins) read as NULL, and ATTACH is refused. The whole app sits behind the staff
login (``guarded``), checked before Datasette sees the request.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm

from bot.channels.web.sql_metadata import metadata

LOG_TABLES = frozenset(
    {"enquiries", "feedback", "calculations", "calculation_items", "handoffs", "_migrations"}
)
BASE_URL = "/staff/sql/"


def _authorizer(
    action: int, arg1: str | None, arg2: str | None, db_name: str | None, source: str | None
) -> int:
    if action == sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and arg1 and not arg1.startswith("sqlite_") and arg1 not in LOG_TABLES:
        return sqlite3.SQLITE_IGNORE  # the column reads as NULL
    return sqlite3.SQLITE_OK


class _LogOnlyPlugin:
    """Installs the authorizer on connections of the Datasette instances made here."""

    __name__ = "cbec-log-only"

    @hookimpl
    def prepare_connection(self, conn: sqlite3.Connection, database: str, datasette: Datasette) -> None:
        if getattr(datasette, "_cbec_log_database", None) == database:
            conn.set_authorizer(_authorizer)


_PLUGIN = _LogOnlyPlugin()


def make_datasette(db_path: Path) -> Datasette:
    if not pm.is_registered(_PLUGIN):
        pm.register(_PLUGIN, name="cbec-log-only")
    hidden = {"staff_users": {"hidden": True}}
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        conn.close()
        hidden |= {
            name: {"hidden": True}
            for name in names
            if name not in LOG_TABLES and not name.startswith("sqlite_")
        }
    except sqlite3.Error:
        pass
    datasette = Datasette(
        files=[str(db_path)],
        settings={"base_url": BASE_URL, "allow_download": False, "sql_time_limit_ms": 3000},
        metadata=metadata(db_path.stem, hidden),
    )
    datasette._cbec_log_database = db_path.stem  # type: ignore[attr-defined]
    return datasette


def staff_sql_app(db: Any) -> Any:
    """What /staff/sql serves: Datasette over a SQLite file, bot/channels/web/sql_pg.py over PostgreSQL."""
    if db.path is None:
        from bot.channels.web.sql_pg import PostgresSqlApp

        return PostgresSqlApp(db)
    return make_datasette(db.path).app()


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def guarded(
    app: ASGIApp, is_staff: Callable[[dict], Awaitable[bool]], login_url: str = "/staff/login"
) -> ASGIApp:
    """Wrap an ASGI app so that only logged-in staff reach it; others are sent to the login page."""

    async def guard(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not await is_staff(scope):
            location = f"{login_url}?next=/staff/sql/"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode()),
                        (b"cache-control", b"no-store"),
                        (b"content-type", b"text/plain; charset=utf-8"),
                    ],  # fmt: skip
                }
            )
            await send({"type": "http.response.body", "body": b"login required"})
            return
        await app(scope, receive, send)

    return guard
