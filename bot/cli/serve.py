"""``cbec-bot serve``, ``cbec-bot staff add`` and the ``cbec-bot db`` group.

``serve`` runs one uvicorn server: the web chat, the staff dashboard, /staff/sql, the API,
/healthz and /metrics, and the Telegram bot beside them when ``CBEC_TELEGRAM_TOKEN`` is set.
On SIGINT/SIGTERM uvicorn stops taking requests and the app's lifespan drains the log queue.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from bot.settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def refuse_weak_secret(settings: Settings, *, public: bool) -> None:
    """Stop with one line when CBEC_SECRET is weak and the service is reachable from outside (a
    host other than loopback, or Telegram): pseudonyms and staff sessions hang on it."""
    from bot.cli.commands import BadSetting

    reason = settings.weak_secret
    if reason and (public or settings.telegram_token is not None):
        where = "Telegram is on" if settings.telegram_token is not None else "the server listens beyond loopback"
        raise BadSetting(f"{reason} and {where}: set 32+ random bytes, e.g. export CBEC_SECRET=$(cbec-bot secret)")


@click.command()
def secret() -> None:
    """Print a new random CBEC_SECRET."""
    import secrets

    click.echo(secrets.token_urlsafe(48))


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: CBEC_HOST or 127.0.0.1].")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port [default: CBEC_PORT or 8000].")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Run the web chat, the staff dashboard and the API (and Telegram when a token is set)."""
    import uvicorn

    from bot.channels.web.app import create_app
    from bot.channels.web.passwords import parse_staff_users
    from bot.cli.commands import BadSetting
    from bot.ops.collector import tune_for_serving
    from bot.ops.jsonlog import configure_logging

    try:
        parse_staff_users(settings.staff_users)
    except ValueError as error:
        raise BadSetting(f"bad setting: {error}") from None
    host = host or settings.host
    port = port or settings.port
    refuse_weak_secret(settings, public=host not in LOOPBACK)
    if not isinstance(settings.db, Path):  # PostgreSQL: say so now if it cannot be reached (and migrate)
        from bot.storage import open_storage

        open_storage(settings).close()
    configure_logging(settings.log_level)
    click.echo(f"cbec-bot: web chat on http://{host}:{port}/ · dashboard /staff · database {settings.db_label}", err=True)
    # uvicorn drains requests and runs the lifespan shutdown (log queue written) on SIGTERM, then
    # raises the signal again; ending with status 0 then tells systemd/docker the stop was clean.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tune_for_serving()  # full garbage collections rarer (bot/ops/collector.py); each worker does the same
    app: object = create_app(settings)
    if settings.workers > 1:
        if settings.telegram_token is not None:
            raise BadSetting("CBEC_WORKERS: more than one worker needs Telegram off (each would poll the bot)")
        if settings.wechat_token is not None:
            raise BadSetting("CBEC_WORKERS: more than one worker needs WeChat off (each would send the staff replies)")
        # Each worker process builds its own app from the environment (its own writer thread and
        # spool file; SQLite serialises the workers' transactions, a busy database is retried).
        os.environ.update(CBEC_HOST=host, CBEC_PORT=str(port))
        app = "bot.channels.web.app:app_from_environment"
    uvicorn.run(
        app,
        factory=settings.workers > 1,
        workers=settings.workers,
        host=host,
        port=port,
        log_config=None,  # keep our JSON logs
        proxy_headers=True,
        forwarded_allow_ips=settings.proxies,  # CBEC_TRUSTED_PROXIES
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
    from bot.channels.web.passwords import StaffUser, hash_password
    from bot.records.clock import utc_now
    from bot.storage import open_storage

    if not name or any(c in name for c in ":; \t") or len(name) > 40:
        raise click.BadParameter("use 1-40 characters without spaces, ':' or ';'", param_hint="NAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("the password needs at least 8 characters", param_hint="password")
    user = StaffUser(name, role, hash_password(password))
    db = open_storage(settings)
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
    click.echo(f"added {role} {name!r} to {settings.db_label}; it can log in at /staff now.", err=True)
    click.echo("For CBEC_STAFF_USERS (entries separated by ';'):", err=True)
    click.echo(user.entry)


@staff.command("remove")
@click.argument("name")
@click.pass_obj
def staff_remove(settings: Settings, name: str) -> None:
    """Remove a dashboard login added with `staff add`; its sessions end at once."""
    from bot.channels.web.passwords import parse_staff_users
    from bot.storage import open_storage

    db = open_storage(settings)
    try:
        removed = db.execute_write_fn(
            lambda d: d.execute("DELETE FROM staff_users WHERE name = ?", [name]).rowcount
        ).result(60)
    finally:
        db.close()
    configured = name in parse_staff_users(settings.staff_users)
    if removed:
        click.echo(f"removed {name!r} from {settings.db_label}; its sessions have ended.", err=True)
    if configured:
        raise click.ClickException(f"{name!r} is also in CBEC_STAFF_USERS: remove the entry there and restart")
    if not removed:
        raise click.ClickException(f"no login {name!r} in {settings.db_label}")


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def db_backup(settings: Settings, target: Path) -> None:
    """Copy the live database to TARGET (online: the server keeps running)."""
    from bot.storage.maintenance import backup

    if not isinstance(settings.db, Path):
        raise click.ClickException("db backup copies a SQLite file; for PostgreSQL use pg_dump (see deploy/README.md)")
    if not settings.db.exists():
        raise click.ClickException(f"no database at {settings.db} (CBEC_DB)")
    try:
        size = backup(settings.db, target)
    except (FileExistsError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {settings.db} to {target} ({size:,} bytes)")


@db.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, metavar="DAYS",
              help="Remove enquiry texts and hand-off summaries older than this many days.")  # fmt: skip
@click.pass_obj
def db_purge(settings: Settings, days: int) -> None:
    """Retention: erase what users wrote after DAYS days; counts and intents stay for the statistics."""
    from bot.storage import open_storage
    from bot.storage.maintenance import purge

    database = open_storage(settings)
    try:
        result = purge(database, days)
    finally:
        database.close()
    click.echo(f"purged the text of {result.enquiries} enquiries and {result.handoffs} hand-off summaries before {result.cutoff}Z")



@db.command("migrate-to")
@click.argument("url")
@click.pass_obj
def db_migrate_to(settings: Settings, url: str) -> None:
    """Copy this installation's SQLite database (CBEC_DB) into the PostgreSQL database at URL
    (postgresql://user:password@host:5432/dbname), then check every table's row count."""
    from bot.storage.copy import CopyRefused, copy_sqlite_to_postgres
    from bot.storage.url import parse_postgres_url

    if not isinstance(settings.db, Path):
        raise click.ClickException("CBEC_DB must name the SQLite file to copy from (stop the server first)")
    try:
        target = parse_postgres_url(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="URL") from None
    click.echo(f"copying {settings.db} to {target.redacted}", err=True)
    try:
        counts = copy_sqlite_to_postgres(settings.db, str(target), lambda table, n: click.echo(f"  {table}: {n} rows", err=True))
    except CopyRefused as error:
        raise click.ClickException(str(error)) from None
    width = max(len(count.table) for count in counts)
    for count in counts:
        mark = "ok" if count.ok else "MISMATCH"
        click.echo(f"{count.table:<{width}}  {count.source:>9}  {count.target:>9}  {mark}")
    source_rows, target_rows = sum(c.source for c in counts), sum(c.target for c in counts)
    share = target_rows / source_rows if source_rows else 1.0
    click.echo(f"{'total':<{width}}  {source_rows:>9}  {target_rows:>9}  {share:.0%} of rows copied")
    if any(not count.ok for count in counts):
        raise click.ClickException("row counts differ; the target is incomplete")
