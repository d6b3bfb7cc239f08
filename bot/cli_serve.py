"""``cbec-bot serve``, ``cbec-bot staff add`` and the ``cbec-bot db`` group.

``serve`` runs one uvicorn server: the web chat, the staff dashboard, /staff/sql, the API,
/healthz and /metrics, and the Telegram bot beside them when ``CBEC_TELEGRAM_TOKEN`` is set.
On SIGINT/SIGTERM uvicorn stops taking requests and the app's lifespan drains the log queue.
"""

from __future__ import annotations

import sys

import click

from bot.settings import Settings


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: CBEC_HOST or 127.0.0.1].")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port [default: CBEC_PORT or 8000].")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Run the web chat, the staff dashboard and the API (and Telegram when a token is set)."""
    import uvicorn

    from bot.cli import BadSetting
    from bot.jsonlog import configure_logging
    from bot.web.app import create_app
    from bot.web.passwords import parse_staff_users

    try:
        parse_staff_users(settings.staff_users)
    except ValueError as error:
        raise BadSetting(f"bad setting: {error}") from None
    configure_logging(settings.log_level)
    host = host or settings.host
    port = port or settings.port
    if settings.secret.get_secret_value() == "change-me-in-production" and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("warning: CBEC_SECRET is the default; set a random secret before exposing the server", err=True)
    click.echo(f"cbec-bot: web chat on http://{host}:{port}/ · dashboard /staff · database {settings.db}", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,  # keep our JSON logs
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=10,
    )


@click.group()
def staff() -> None:
    """Dashboard logins."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "operator"]), default="staff", show_default=True,
              help="operator may also edit and reload the FAQ.")  # fmt: skip
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@click.pass_obj
def staff_add(settings: Settings, name: str, role: str, password_stdin: bool) -> None:
    """Add (or replace) a dashboard login; prints its CBEC_STAFF_USERS entry."""
    from bot.db import Database
    from bot.log import utc_now
    from bot.web.passwords import StaffUser, hash_password

    if not name or any(c in name for c in ":; \t") or len(name) > 40:
        raise click.BadParameter("use 1-40 characters without spaces, ':' or ';'", param_hint="NAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("the password needs at least 8 characters", param_hint="password")
    user = StaffUser(name, role, hash_password(password))
    db = Database(settings.db)
    try:
        db.execute_write_fn(
            lambda d: d.execute(
                "INSERT INTO staff_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
                [user.name, user.role, user.password_hash, utc_now()],
            )
        ).result(60)
    finally:
        db.close()
    click.echo(f"added {role} {name!r} to {settings.db}; it can log in at /staff now.", err=True)
    click.echo("For CBEC_STAFF_USERS (entries separated by ';'):", err=True)
    click.echo(user.entry)


@click.group()
def db() -> None:
    """Database maintenance."""
