"""/staff/sql on PostgreSQL: the staff's own read-only queries over the enquiry log.

Datasette serves SQLite only, so on PostgreSQL this small page takes its place at the same
address, behind the same staff login (``guarded``). Each query runs in a READ ONLY transaction
with a statement timeout, on a pooled connection, and at most ``ROW_LIMIT`` rows come back. As
Datasette's authorizer does for SQLite, it may read only the log's tables: a query naming any
other table (staff logins, conversation state, tickets), a system catalog (``pg_*``,
``information_schema``) or a function that runs SQL given as text (``query_to_xml`` …) is
refused before it reaches the server.
"""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.channels.web.sql import LOG_TABLES
from bot.channels.web.sql_metadata import QUERIES, TABLES

ROW_LIMIT = 1000
TIMEOUT_MS = 3000
_FORBIDDEN_WORDS = re.compile(
    r"^(pg_.*|information_schema|query_to_xml.*|table_to_xml.*|cursor_to_xml.*|database_to_xml.*|schema_to_xml.*"
    r"|dblink.*|lo_.*|set_config|current_setting|copy)$"
)  # fmt: skip


class Refused(Exception):
    """The query may not run here; the message says why, in Chinese."""


def check(sql: str, tables: set[str]) -> None:
    words = {word.lower() for word in re.findall(r"[A-Za-z_][A-Za-z0-9_$]*", sql)}
    hidden = sorted(words & (tables - LOG_TABLES))
    if hidden:
        raise Refused(f"这里只能查询咨询日志的表，不能查询：{'、'.join(hidden)}。")
    banned = sorted(word for word in words if _FORBIDDEN_WORDS.match(word))
    if banned:
        raise Refused(f"这里不能使用：{'、'.join(banned)}。")


def run(db: Any, sql: str) -> tuple[list[str], list[list[Any]], bool]:
    """(columns, rows, cut) of a read-only query, or Refused."""
    tables = {row["table_name"] for row in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}  # fmt: skip
    check(sql, tables)
    import psycopg

    with db.pool.connection() as conn:
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(f"SET LOCAL statement_timeout = {TIMEOUT_MS}")
                cursor = conn.execute(sql)  # no parameters: a % in the query stays as written
                if cursor.description is None:
                    return [], [], False
                rows = cursor.fetchmany(ROW_LIMIT + 1)
                columns = [column.name for column in cursor.description]
        except psycopg.errors.QueryCanceled:
            raise Refused(f"查询超过{TIMEOUT_MS // 1000}秒，已停止。请缩小范围后再试。") from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise Refused("这里只能读取，不能修改数据。") from None
        except psycopg.Error as error:
            message = (error.diag.message_primary or type(error).__name__) if hasattr(error, "diag") else str(error)
            raise Refused(f"查询出错：{message}") from None
    return columns, [[_cell(value) for value in row] for row in rows[:ROW_LIMIT]], len(rows) > ROW_LIMIT


def _cell(value: Any) -> Any:
    from bot.storage.pg_sql import value as plain

    value = plain(value)
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


class PostgresSqlApp:
    """The ASGI app mounted at /staff/sql/ when CBEC_DB is a PostgreSQL URL."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        sql = (request.query_params.get("sql") or "").strip()
        wants_json = request.url.path.endswith(".json")
        result: tuple[list[str], list[list[Any]], bool] | None = None
        error = None
        if sql:
            try:
                result = await run_in_threadpool(run, self.db, sql)
            except Refused as refused:
                error = str(refused)
        if wants_json:
            if error or result is None:
                return JSONResponse({"ok": False, "error": error or "请用 ?sql= 给出查询。"}, status_code=400)
            columns, rows, cut = result
            return JSONResponse({"ok": True, "columns": columns, "rows": rows, "truncated": cut})
        return HTMLResponse(_page(sql, result, error), status_code=400 if error else 200,
                            headers={"cache-control": "no-store"})  # fmt: skip


def _page(sql: str, result: tuple[list[str], list[list[Any]], bool] | None, error: str | None) -> str:
    e = html.escape
    canned = "".join(
        f'<li><a href="/staff/sql/?sql={e(_quote(query["sql"]))}">{e(query["title"])}</a></li>' for query in QUERIES.values()
    )
    tables = "".join(f"<li><code>{e(name)}</code>：{e(info['description'])}</li>" for name, info in TABLES.items())
    body = ""
    if error:
        body = f'<p class="error" role="alert">{e(error)}</p>'
    elif result is not None:
        columns, rows, cut = result
        head = "".join(f"<th>{e(column)}</th>" for column in columns)
        lines = "".join("<tr>" + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in row) + "</tr>" for row in rows)
        note = f"<p>只显示前{ROW_LIMIT}行。</p>" if cut else f"<p>共{len(rows)}行。</p>"
        body = f'{note}<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table></div>'
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>SQL 查询 · 跨境电商政策助手 · 工作台</title>
<link rel="stylesheet" href="/static/staff.css"></head>
<body><header class="top"><a class="brand" href="/staff">跨境电商政策助手 · 工作台</a></header><main>
<h1>SQL 查询（只读）</h1>
<p>咨询日志存放在 PostgreSQL 中。查询在只读事务中运行，超过{TIMEOUT_MS // 1000}秒自动停止。</p>
<form method="get" action="/staff/sql/"><textarea name="sql" rows="6" style="width:100%">{e(sql)}</textarea>
<button type="submit">运行</button></form>
{body}
<h2>常用查询</h2><ul>{canned}</ul>
<h2>可查询的表</h2><ul>{tables}</ul>
</main></body></html>"""


def _quote(sql: str) -> str:
    from urllib.parse import quote

    return quote(sql, safe="")
