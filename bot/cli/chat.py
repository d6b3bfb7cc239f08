"""``cbec-bot chat``: the conversation in a terminal (channel ``cli``), logged like any channel.

Buttons are printed as numbered choices; typing a number presses that button of the last
message. Reads stdin line by line, so it also works piped (tests); Ctrl-D ends it cleanly.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

import click

from bot.conversation.vocabulary import Prefix, has_prefix
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.records.enquiry_log import EnquiryLog
    from bot.storage.base import Storage

CHANNEL = "cli"
REPLY_POLL_SECONDS = 2.0
# control characters (ESC starts a terminal escape sequence) other than tab and line break
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """Text as the terminal shows it: the reply's lines as written (「• 」 bullets and empty lines
    kept, no trailing spaces), with no control characters a quoted user text could smuggle in."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(CONTROL.sub("", line).rstrip() for line in lines).strip("\n")


def render(messages: Sequence, out: TextIO) -> list[tuple[str, str]]:
    """Print the messages; return the buttons (label, value) in the order they were numbered.
    One button a line; the 👍/👎 row on one line of its own, after the others."""
    values: list[tuple[str, str]] = []
    for message in messages:
        if message.chat_id is not None:  # for the staff chat: only a Telegram runtime can deliver it
            out.write(f"[发往 {message.channel or CHANNEL} 聊天 {message.chat_id}]\n")
            out.write(plain(message.text) + "\n\n")
            continue
        values = []  # the last message's buttons are the ones a number picks
        out.write(plain(message.text) + "\n")
        for row in message.buttons:
            feedback = bool(row) and all(has_prefix(button.value, Prefix.FEEDBACK) for button in row)
            shown = []
            for button in row:
                values.append((button.label, button.value))
                shown.append(f"[{len(values)}] {plain(button.label)}")
            if feedback:
                out.write("  " + "  ".join(shown) + "\n")
            else:
                out.write("".join(f"  {item}\n" for item in shown))
        out.write("\n")
    out.flush()
    return values


def run(settings: Settings, user: str, lines: TextIO, out: TextIO) -> None:
    from bot.records.enquiry_log import EnquiryLog
    from bot.storage import open_storage

    # No Telegram bot runs in this process to carry a hand-off to the staff chat: the ticket
    # is still opened, and staff answer it from the dashboard or `cbec-bot handoff reply`.
    settings = settings.model_copy(update={"telegram_token": None})
    with open_storage(settings) as db, EnquiryLog(db, settings.secret.get_secret_value()) as log:
        _converse(settings, user, lines, out, db, log)


def _converse(settings: Settings, user: str, lines: TextIO, out: TextIO, db: Storage, log: EnquiryLog) -> None:
    from bot.conversation.core import build_conversation
    from bot.conversation.messages import InboundEvent
    from bot.records import tickets
    from bot.records.durable import DURABLE_WAIT

    printing = threading.Lock()
    stop = threading.Event()

    def staff_replies() -> None:
        """Ticket replies written for this user since (dashboard, CLI or staff chat)."""
        for pending in tickets.take_pending(db, CHANNEL, user):
            with printing:
                out.write(plain(pending.for_user()) + "\n\n")
                out.flush()

    def watch() -> None:  # an interactive terminal shows a reply while waiting for input
        while not stop.wait(REPLY_POLL_SECONDS):
            try:
                staff_replies()
            except Exception:  # noqa: BLE001 - the next prompt tries again
                pass

    try:
        conversation = build_conversation(settings=settings, db=db, recorder=log)
        interactive = lines.isatty()

        def send(text: str | None = None, button: str | None = None) -> list[tuple[str, str]]:
            kind = "button" if button is not None else "text"
            event = InboundEvent(
                channel=CHANNEL, user_id=user, chat_id=user, text=text, button=button, kind=kind
            )
            replies = conversation.handle(event)
            with contextlib.suppress(TimeoutError):  # logged (spool or database) before it is shown
                log.durable().result(DURABLE_WAIT)
            return render(replies, out)

        choices = send("/start")
        if interactive:
            threading.Thread(target=watch, name="cbec-chat-replies", daemon=True).start()
        while True:
            staff_replies()
            if interactive:
                out.write("> ")
                out.flush()
            line = lines.readline()
            if not line:  # Ctrl-D / end of input
                break
            text = line.rstrip("\n")
            if text.strip() in ("/quit", "/exit"):
                break
            typed = text.strip()
            by_label = {label: value for label, value in choices}
            if typed.isdigit() and 1 <= int(typed) <= len(choices):  # a button picked by its number
                choices = send(button=choices[int(typed) - 1][1])
            elif typed in by_label or any(label.startswith(typed + " ") for label in by_label):  # or by its label
                choices = send(button=next(v for label, v in choices if label == typed or label.startswith(typed + " ")))
            else:
                choices = send(text=text)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    if interactive:
        out.write("\n再见！\n")


@click.command()
@click.option("--user", default="local", show_default=True, help="User id the conversation is kept under.")
@click.pass_obj
def chat(settings: Settings, user: str) -> None:
    """Talk to the assistant in the terminal (buttons are numbered choices; Ctrl-D exits)."""
    run(settings, user, sys.stdin, sys.stdout)
