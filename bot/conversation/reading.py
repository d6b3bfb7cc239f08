"""A reply sized for a phone: what fits one screen now, the rest behind 「查看更多」, and the
cited clause's own text behind 「查看原文」.

The limit: the web chat on a 390×844 phone shows about 17 Chinese characters a line and 670
px of chat under the header, room for about 24 lines of text with four rows of buttons under
them. A reply's first part keeps to ``SCREEN_CHARS`` characters and ``SCREEN_LINES`` lines,
cut at the end of a line (or of a sentence, for one long paragraph); the basis line (依据：…)
stays in the first part, so a reader who stops there still knows what the answer rests on."""

from __future__ import annotations

import hashlib
import re

from bot.conversation.messages import Button, OutMessage
from bot.conversation.turn import Turn, message
from bot.conversation.vocabulary import Prefix, button_value
from policy_faq.citation import original_text, source_button_label
from policy_faq.corpus import clauses_by_ref

SCREEN_CHARS = 300
SCREEN_LINES = 14
SMALL_REST = 80  # characters: a rest this short is shown, not cut off
KEPT = 6  # the rests kept for 「查看更多」 of earlier replies
MORE = "查看更多"
TAIL = re.compile(r"^(依据：|注意：.|摘自：)")
SENTENCE_END = re.compile(r"(?<=[。；！？])")


def split_for_phone(text: str) -> tuple[str, str]:
    """(first screen, rest): the rest is "" when the whole reply fits."""
    lines = text.split("\n")
    tail = [line for line in lines if TAIL.match(line)]
    body = [line for line in lines if not TAIL.match(line)]
    if _size(body) <= SCREEN_CHARS and len(body) <= SCREEN_LINES:
        return text, ""
    shown: list[str] = []
    for index, line in enumerate(body):
        if shown and (_size([*shown, line]) > SCREEN_CHARS or len(shown) >= SCREEN_LINES):
            rest = body[index:]
            break
        if not shown and len(line) > SCREEN_CHARS:  # one long paragraph: cut at a sentence
            head, remainder = _cut_sentence(line)
            shown.append(head)
            rest = [remainder, *body[index + 1 :]]
            break
        shown.append(line)
    else:  # pragma: no cover - the size check above returned already
        rest = []
    rest_text = "\n".join(rest).strip()
    if len(rest_text) <= SMALL_REST and len(rest) <= 2:
        return text, ""  # a line or two more: better shown than behind a button
    return "\n".join([*shown, "……", *tail]), rest_text


def _size(lines: list[str]) -> int:
    return sum(len(line) for line in lines)


def _cut_sentence(line: str) -> tuple[str, str]:
    head = ""
    for sentence in SENTENCE_END.split(line):
        if head and len(head) + len(sentence) > SCREEN_CHARS:
            break
        head += sentence
    head = head[:SCREEN_CHARS]
    return head, line[len(head) :]


def paged(turn: Turn, text: str, label: str = MORE) -> tuple[str, list[Button]]:
    """The text cut for a phone, and the 「查看更多」 button for the rest (none when it fits).
    The rest is kept in the user's state under a key of its own, so the button of an earlier
    reply still shows that reply's rest."""
    shown, rest = split_for_phone(text)
    if not rest:
        return text, []
    key = hashlib.blake2s(rest.encode(), digest_size=4).hexdigest()
    turn.state.more = {**dict(list(turn.state.more.items())[-(KEPT - 1) :]), key: rest}
    return shown, [Button(label, button_value(Prefix.MORE, key))]


def show_more(turn: Turn, key: str) -> list[OutMessage]:
    rest = turn.state.more.get(key)
    if rest is None:
        return [message("这部分内容已过期，请重新提问。")]
    text, more = paged(turn, rest)
    return [message(text, [more], verbatim=True)]  # an answer's rest is set already, a clause's is verbatim


def source_buttons(sources: tuple[str, ...], limit: int = 2) -> list[Button]:
    """「查看原文：第5条」 for the first cited clauses (适用范围 and 前言 only when nothing else is cited)."""
    substantive = [ref for ref in sources if not ref.endswith((":scope", ":preamble"))] or list(sources)
    return [
        Button(source_button_label(ref), button_value(Prefix.SOURCE, ref))
        for ref in substantive[:limit]
        if ref in clauses_by_ref()
    ]  # (a known clause: its text is built only when the button is pressed)


def show_source(turn: Turn, ref: str) -> list[OutMessage]:
    text = original_text(ref)
    if text is None:
        return [message("没有找到这条原文，请直接输入您的问题。")]
    text, more = paged(turn, text)
    return [message(text, [more], verbatim=True)]
