"""``cbec-bot handoff list|reply|close``: the hand-off tickets (bot/records/tickets.py) from a shell, on
the same database the server uses, while it runs (writes go through this process's writer
thread; SQLite's lock and the writer's retries keep the two apart). A reply written here
reaches a web user's open page at its next poll (2 s), a Telegram user through the running
bot, a terminal user at their next prompt."""

from __future__ import annotations

import json
import os

import click

from bot.settings import Settings
from bot.storage.base import Storage


def _open(settings: Settings) -> Storage:
    from bot.storage import open_storage

    return open_storage(settings)


def _staff_name() -> str:
    return os.environ.get("USER") or os.environ.get("LOGNAME") or "cli"


@click.group()
def handoff() -> None:
    """Hand-off tickets: list them, reply to one, close one."""


@handoff.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the tickets.")
@click.option("--state", type=click.Choice(["open", "answered", "closed"]), help="Only tickets in this state.")
@click.option("--sort", type=click.Choice(["oldest", "newest"]), default="oldest", show_default=True)
@click.pass_obj
def list_command(settings: Settings, as_json: bool, state: str | None, sort: str) -> None:
    """The tickets, oldest first (waiting time, channel, region, first message)."""
    from bot.records import tickets

    with _open(settings) as db:
        rows = tickets.list_tickets(db, state, sort)
        if as_json:
            listed = []
            for ticket in rows:
                data = ticket.as_dict()
                data["waiting_seconds"] = round(tickets.waiting_seconds(ticket), 1)
                data["messages"] = tickets.messages(db, ticket.id)
                listed.append(data)
            click.echo(json.dumps({"count": len(listed), "tickets": listed}, ensure_ascii=False, indent=1))
            return
        if not rows:
            click.echo("没有工单。")
            return
        for ticket in rows:
            first = next((line["text"] for line in ticket.transcript if line.get("who") == "user"), "")
            phone = f"  回电 {ticket.callback_phone}" if ticket.callback_phone else ""
            click.echo(
                f"#{ticket.id}  {ticket.state:<8} {ticket.channel:<8} {ticket.region or '-':<10} "
                f"等待{tickets.waited_label(tickets.waiting_seconds(ticket))}{phone}  {first[:40]}"
            )


@handoff.command("reply")
@click.argument("ticket_id", type=int)
@click.argument("text")
@click.option("--as", "staff", default=None, help="Name shown as the one who answered (default: $USER).")
@click.pass_obj
def reply_command(settings: Settings, ticket_id: int, text: str, staff: str | None) -> None:
    """Reply to ticket TICKET_ID; the user gets TEXT on their channel."""
    from bot.records import tickets

    with _open(settings) as db:
        try:
            ticket = tickets.reply(db, ticket_id, text, staff or _staff_name(), via="cli")
        except tickets.TicketError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"已回复工单#{ticket.id}（{ticket.channel}），状态：{ticket.state}")


@handoff.command("close")
@click.argument("ticket_id", type=int)
@click.option("--as", "staff", default=None, help="Name recorded as the one who closed it (default: $USER).")
@click.pass_obj
def close_command(settings: Settings, ticket_id: int, staff: str | None) -> None:
    """Close ticket TICKET_ID."""
    from bot.records import tickets

    with _open(settings) as db:
        try:
            ticket = tickets.close(db, ticket_id, staff or _staff_name())
        except tickets.TicketError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"已关闭工单#{ticket.id}")
