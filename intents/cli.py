"""``cbec-bot ask``: answer one enquiry, or one enquiry per stdin line with ``--jsonl``."""

from __future__ import annotations

import io
import json
import sys

import click

from intents.matcher import REGIONS


@click.command()
@click.argument("question", nargs=-1)
@click.option("--region", type=click.Choice(REGIONS), default=None, help="The company's region; its intents rank first.")
@click.option("--json", "as_json", is_flag=True, help="Print the reply as one JSON object.")
@click.option("--jsonl", is_flag=True, help="Read one enquiry per stdin line; print one JSON object per line, same order.")
@click.option("--workers", type=click.IntRange(1, 16), default=None, help="--jsonl: processes answering (default: one per core, at most 4).")
def ask(question: tuple[str, ...], region: str | None, as_json: bool, jsonl: bool, workers: int | None) -> None:
    """Answer QUESTION the way every channel would (kind, intent, confidence, answer, sources)."""
    from intents.respond import get_responder

    if jsonl:
        if question:
            raise click.UsageError("--jsonl reads the enquiries from stdin; give no QUESTION with it")
        responder = get_responder()  # the index is built once for the whole batch
        _answer_lines(responder, region, workers)
        return
    text = " ".join(question)
    if not question:
        raise click.UsageError('give a question, e.g. cbec-bot ask "海外仓补贴多少"; or --jsonl to read stdin')
    reply = get_responder().respond(text, region=region)
    if as_json:
        click.echo(json.dumps(reply.as_json(), ensure_ascii=False))
        return
    click.echo(reply.answer)
    if reply.related and reply.kind in ("answer", "calculation", "checklist"):
        click.echo("相关问题: " + "、".join(title for _, title in reply.related))


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
