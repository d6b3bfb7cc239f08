"""``cbec-bot telegram``: the Telegram bot on its own (``serve`` runs it beside the web app).

SIGTERM and SIGINT stop it cleanly: polling or the webhook ends, the HTTP sessions close, and
the enquiry log hands over and writes its last rows before the process exits with status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click

from bot.settings import Settings

log = logging.getLogger(__name__)


@click.command()
@click.option("--runtime", type=click.Choice(["aiogram", "ptb"]), default=None,
              help="Telegram library [default: CBEC_TELEGRAM_RUNTIME or aiogram].")  # fmt: skip
@click.option("--mode", type=click.Choice(["polling", "webhook"]), default=None,
              help="Long polling or webhook [default: CBEC_TELEGRAM_MODE or polling].")  # fmt: skip
@click.pass_obj
def telegram(settings: Settings, runtime: str | None, mode: str | None) -> None:
    """Run the Telegram bot (needs CBEC_TELEGRAM_TOKEN; CBEC_TELEGRAM_API_URL picks the Bot API server)."""
    from bot.cli.commands import BadSetting
    from bot.ops.jsonlog import configure_logging

    overrides = {
        key: value for key, value in (("telegram_runtime", runtime), ("telegram_mode", mode)) if value
    }
    settings = settings.model_copy(update=overrides)
    if settings.telegram_token is None:
        raise BadSetting("CBEC_TELEGRAM_TOKEN is not set: get a bot token from @BotFather and export it")
    if settings.telegram_mode == "webhook" and settings.webhook_secret is None:
        raise BadSetting("webhook mode needs CBEC_WEBHOOK_SECRET (Telegram sends it with every update)")
    from bot.cli.serve import refuse_weak_secret

    refuse_weak_secret(settings, public=True)
    configure_logging(settings.log_level)
    click.echo(
        f"cbec-bot: Telegram bot ({settings.telegram_runtime}, {settings.telegram_mode}) via "
        f"{settings.telegram_api_url} · database {settings.db_label}",
        err=True,
    )
    from intents.respond import get_responder

    get_responder()  # the FAQ index and what loads lazily, before the first update is read
    try:
        asyncio.run(run(settings))
    except StartFailed as error:
        raise click.ClickException(f"the bot could not start: {error}") from None


class StartFailed(Exception):
    pass


async def run(settings: Settings) -> None:
    from bot.channels.telegram.runtime import start
    from bot.records.enquiry_log import EnquiryLog
    from bot.storage import open_storage

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    opened = contextlib.ExitStack()  # closed in a worker thread: the last rows reach the database
    db = opened.enter_context(open_storage(settings))
    enquiry_log = opened.enter_context(EnquiryLog(db, settings.secret.get_secret_value()))
    try:
        starting = asyncio.create_task(start(settings, db, enquiry_log))
        await asyncio.wait(
            [starting, asyncio.create_task(stopping.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if not starting.done():  # stopped while still connecting (e.g. the Bot API is down)
            starting.cancel()
        try:
            bot = await starting
        except asyncio.CancelledError:
            return
        except Exception as error:
            raise StartFailed(error) from error
        log.info("Telegram bot running; SIGTERM or Ctrl-C stops it")
        from bot.channels import digest_delivery, ticket_delivery
        from bot.channels.web.app import _intents

        couriers = [asyncio.create_task(ticket_delivery.run(settings, db, lambda: bot.send)),
                    asyncio.create_task(digest_delivery.run(settings, db, lambda: bot.send_digest, _intents))]  # fmt: skip
        await stopping.wait()
        for courier in couriers:
            courier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await courier
        log.info("stopping the Telegram bot")
        await bot.stop()
    finally:
        await asyncio.to_thread(opened.close)
