"""``cbec-bot ask``: answer one enquiry, or one enquiry per stdin line with ``--jsonl``.

``--session S`` reads the enquiry in the context of session S, as the chat would: the context
is kept in the conversation state of ``CBEC_DB`` (under a pseudonymous key, like a chat user),
so one ``ask --session S`` after another holds a conversation.
"""

from __future__ import annotations

import io
import json
import sys

import click

from intents.matcher import REGIONS

SESSION_CHANNEL = "ask"


@click.command()
@click.argument("question", nargs=-1)
@click.option("--region", type=click.Choice(REGIONS), default=None, help="The company's region; its intents rank first.")
@click.option("--session", default=None, help="Read the question in this session's context (kept in CBEC_DB between calls).")
@click.option("--json", "as_json", is_flag=True, help="Print the reply as one JSON object.")
@click.option("--jsonl", is_flag=True, help='Read one enquiry per stdin line (or {"session", "text", "region"}); print one JSON object per line, same order.')
@click.option("--workers", type=click.IntRange(1, 16), default=None, help="--jsonl: processes answering (default: one per core, at most 4).")
@click.pass_obj
def ask(settings, question: tuple[str, ...], region: str | None, session: str | None, as_json: bool, jsonl: bool, workers: int | None) -> None:
    """Answer QUESTION the way every channel would (kind, intent, confidence, answer, sources)."""
    from intents.respond import get_responder

    if jsonl:
        if question or session:
            raise click.UsageError("--jsonl reads the enquiries (and their sessions) from stdin; give no QUESTION or --session with it")
        responder = get_responder()  # the index is built once for the whole batch
        _answer_lines(responder, region, workers)
        return
    text = " ".join(question)
    if not question:
        raise click.UsageError('give a question, e.g. cbec-bot ask "海外仓补贴多少"; or --jsonl to read stdin')
    if session is not None:
        if not session.strip():
            raise click.UsageError("--session needs a non-empty id")
        reply = _in_session(settings, session, text, region)
    else:
        reply = get_responder().respond(text, region=region)
    if as_json:
        click.echo(json.dumps(reply.as_json(), ensure_ascii=False))
        return
    click.echo(reply.answer)
    if reply.related and reply.kind in ("answer", "calculation", "checklist"):
        click.echo("相关问题：" + "、".join(title for _, title in reply.related))


def _in_session(settings, session: str, text: str, region: str | None):
    """The reply in the session's context; the context after it saved for the next call."""
    from bot.conversation.state import SqliteStateStore
    from bot.records.pseudonym import pseudonymise
    from bot.storage import open_storage
    from intents.context import Context
    from intents.respond import get_responder

    with open_storage(settings) as db:
        store = SqliteStateStore(db)
        key = pseudonymise(settings.secret.get_secret_value(), SESSION_CHANNEL, session)
        state = store.load(key)
        reply, context = get_responder().respond_in_context(text, Context.from_dict(state.context), region=region)
        state.context = context.as_dict() if context is not None else None
        store.save(key, state)
    return reply


def _answer_lines(responder, region: str | None, workers: int | None) -> None:
    from intents.batch import answer_lines

    stdin = sys.stdin
    if hasattr(stdin, "buffer"):  # UTF-8 whatever the locale; a broken byte must not end the batch
        stdin = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="replace")
    stdout = sys.stdout
    for line in answer_lines(responder, stdin, region, workers):
        try:
            stdout.write(line + "\n")
            stdout.flush()  # every line as soon as it is ready: a caller may wait for each reply
        except BrokenPipeError:
            return
