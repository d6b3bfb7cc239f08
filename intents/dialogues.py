"""Multi-turn dialogues (``tests/data/dialogues.yaml``) and how the assistant does on them.

Each dialogue is a list of turns as a company would send them, each turn labelled with what it
is (``follow``) and what a right reply is:

- ``new`` / ``switch``: a complete question; right when the reply commits to a listed intent.
  Inside a dialogue (not its first turn) it must also get the same reply as on its own.
- ``same``, ``materials``, ``region``, ``sibling``, ``amount``, ``variant``: elliptical
  follow-ups; right when the reply commits to a listed intent (and has the listed ``kind``,
  calculation or checklist, where one is given).
- ``oos``: right when refused (fallback, or small talk / hand-off).
- ``expired`` (after ``after_minutes`` of silence): right when the reply does not simply answer
  the earlier topic again.

Dialogues marked ``part: holdout`` were written blind (by an author who saw only the intent
catalogue and the format) and are measured, never tuned on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

DIALOGUES = Path(__file__).resolve().parent.parent / "tests" / "data" / "dialogues.yaml"
FOLLOW_UPS = ("same", "materials", "region", "sibling", "amount", "variant", "oos", "expired")
COMPLETE = ("new", "switch")
COMMITTED = {"answer", "calculation", "checklist", "smalltalk", "handoff"}
REFUSED = {"fallback", "smalltalk", "handoff"}
START = 1_767_225_600.0  # 2026-01-01 00:00 UTC: the clock of a simulated dialogue


@dataclass(frozen=True)
class Turn:
    q: str
    follow: str
    intents: tuple[str, ...] = ()
    kind: str | None = None
    oos: bool = False
    after_minutes: float = 1.0


@dataclass(frozen=True)
class Dialogue:
    id: str
    turns: tuple[Turn, ...]
    region: str | None = None
    part: str = "dev"


def load_dialogues(path: Path = DIALOGUES) -> list[Dialogue]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    dialogues = []
    for entry in data:
        turns = tuple(
            Turn(
                q=str(t["q"]),
                follow=str(t["follow"]),
                intents=tuple(t.get("intents") or ()),
                kind=t.get("kind"),
                oos=bool(t.get("oos")),
                after_minutes=float(t.get("after_minutes", 1.0)),
            )
            for t in entry["turns"]
        )
        dialogues.append(Dialogue(str(entry["id"]), turns, entry.get("region"), str(entry.get("part", "dev"))))
    return dialogues


def run(responder, dialogue: Dialogue, with_context: bool = True, policy=None) -> list:
    """The replies to the dialogue's turns, in one session (``with_context``) or each alone."""
    replies, context, now = [], None, START
    for turn in dialogue.turns:
        now += turn.after_minutes * 60
        if with_context:
            reply, context = responder.respond_in_context(turn.q, context, region=dialogue.region, now=now)
        elif policy is not None:
            reply = responder.decide(turn.q, responder.matcher.rank(turn.q, region=dialogue.region), policy=policy)
        else:
            reply = responder.respond(turn.q, region=dialogue.region)
        replies.append(reply)
    return replies


def turn_right(turn: Turn, reply, previous_intent: str | None) -> bool:
    if turn.follow == "oos" or turn.oos:
        return reply.kind in REFUSED
    if turn.follow == "expired":
        return not (reply.kind in COMMITTED and reply.intent == previous_intent)
    if reply.kind not in COMMITTED or reply.intent not in turn.intents:
        return False
    return turn.kind is None or reply.kind == turn.kind


def score(responder, dialogues: list[Dialogue], with_context: bool = True, policy=None) -> dict:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    same_as_alone = [0, 0]
    misses = []
    kinds: Counter[str] = Counter()
    for dialogue in dialogues:
        replies = run(responder, dialogue, with_context, policy)
        previous = None
        for position, (turn, reply) in enumerate(zip(dialogue.turns, replies, strict=True)):
            right = turn_right(turn, reply, previous)
            per_kind[turn.follow][0] += right
            per_kind[turn.follow][1] += 1
            if turn.follow in FOLLOW_UPS:
                kinds[reply.kind] += 1
            if not right:
                misses.append({"dialogue": dialogue.id, "turn": position + 1, "q": turn.q, "follow": turn.follow, "gold": list(turn.intents), "got": reply.intent, "kind": reply.kind})
            if position and turn.follow in COMPLETE:
                alone = responder.respond(turn.q, region=dialogue.region) if policy is None else run(responder, Dialogue("", (turn,), dialogue.region), False, policy)[0]
                same_as_alone[0] += (alone.kind, alone.intent) == (reply.kind, reply.intent)
                same_as_alone[1] += 1
            if reply.kind in ("answer", "calculation", "checklist"):
                previous = reply.intent
    follow_right = sum(per_kind[k][0] for k in FOLLOW_UPS)
    follow_total = sum(per_kind[k][1] for k in FOLLOW_UPS)
    return {
        "dialogues": len(dialogues),
        "turns": sum(n for _, n in per_kind.values()),
        "follow_ups": follow_total,
        "follow_up_right": round(follow_right / follow_total, 4) if follow_total else None,
        "complete_same_as_alone": round(same_as_alone[0] / same_as_alone[1], 4) if same_as_alone[1] else None,
        "complete_in_dialogue": same_as_alone[1],
        "by_follow": {k: {"right": round(c / n, 4), "n": n} for k, (c, n) in sorted(per_kind.items())},
        "follow_up_kinds": dict(kinds.most_common()),
        "misses": misses,
    }
