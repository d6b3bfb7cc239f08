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
def ask(question: tuple[str, ...], region: str | None, as_json: bool, jsonl: bool) -> None:
    """Answer QUESTION the way every channel would (kind, intent, confidence, answer, sources)."""
    from intents.respond import get_responder

    if jsonl:
        if question:
            raise click.UsageError("--jsonl reads the enquiries from stdin; give no QUESTION with it")
        responder = get_responder()  # the index is built once for the whole batch
        _answer_lines(responder, region)
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


def _answer_lines(responder, region: str | None) -> None:
    stdin = sys.stdin
    if hasattr(stdin, "buffer"):  # UTF-8 whatever the locale; a broken byte must not end the batch
        stdin = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="replace")
    for line in stdin:
        text = line.rstrip("\r\n")
        line_region = region
        if text.startswith("{"):  # also accepts {"q": "...", "region": "..."} lines
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("q", data.get("text")), str):
                text = data.get("q", data.get("text"))
                line_region = data.get("region") or region
        try:
            reply = responder.respond(text, region=line_region)
            payload = reply.as_json()
        except Exception as error:  # noqa: BLE001 - one bad line must not stop the batch
            payload = {"kind": "fallback", "intent": None, "confidence": 0.0, "answer": f"抱歉,处理这条问题时出错了,请换个说法或回复\"转人工\"。({type(error).__name__})", "sources": [], "suggestions": []}
        try:
            click.echo(json.dumps(payload, ensure_ascii=False))  # click.echo flushes every line
        except BrokenPipeError:
            return
