"""What to do with a ranked enquiry: answer it, ask the question that tells two readings apart,
or turn it away. Pure: a ``Match`` and the thresholds in, a ``Decision`` out.

The policy (issue 12): an in-scope enquiry is answered with the first-ranked intent, and the
runners-up go under the answer (「您可能还想问」), so a wrong first pick is one tap from the right
one. A question back is asked only when the first candidates are really tied (their hybrid scores
within ``tie``) *and* differ in substance: another place, another support item, another topic.
Two intents of one place and item (高新区海外仓补贴 / 高新区海外仓申报材料) are no reason to ask,
nor, with no place known, a national rule and one place's restatement of it: the national rule
answers, the place's intent is a runner-up.
A question back always offers at least two options; one option is an answer or nothing.

``legacy_decision`` is the policy before issue 12 (answer from ``answer`` confidence, otherwise
a list of up to three titles), kept so that ``faq eval`` can report both in one run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from intents.context import MATERIALS_CUE, PLACE_KEYS, PUT_THROUGH, applies_with, residue
from intents.matcher import LOCAL, Candidate, Match
from intents.normalize import canonical, key_terms

ANSWER, CLARIFY, REJECT, ASK_ITEM = "answer", "clarify", "reject", "ask_item"
RUNNERS_UP = 3
GENERAL = ("national", "multi")
# an enquiry that is only an amount (80万, 5000元, 1.5亿): the topic must come from the user
BARE_AMOUNT = re.compile(r"(?:花了|投了|投入|大概|大约|约)?\d+(?:\.\d+)?(?:万|亿|千|元|块)*(?:元|块|人民币)?(?:左右)?")


# a request for a person, in words the handoff intent's questions use (its ranking first is required too)
ASKS_FOR_A_PERSON = re.compile(r"真人|人工(?!智能)|客服|工作人员|服务中心的?老师|real person|human|an agent|a person", re.IGNORECASE)


def bare_amount(text: str) -> bool:
    """An amount and nothing that says what it is for (花了120万, 80万左右)."""
    from calculators.amounts import ForeignCurrencyError, find_amounts

    if text.isdigit() and len(text) == 4:
        return False  # 9610 alone asks about a customs code (2025 about a year), not about money
    if BARE_AMOUNT.fullmatch(text):
        return True
    if key_terms(text) or residue(text):
        return False
    try:
        return bool(find_amounts(text))
    except ForeignCurrencyError:
        return True


@dataclass(frozen=True)
class Decision:
    action: str  # answer | clarify | reject | ask_item
    top: Candidate | None = None
    options: tuple[Candidate, ...] = ()  # clarify: the readings to choose from (two or more)
    runners_up: tuple[Candidate, ...] = ()  # answer: what else the enquiry may have meant
    reason: str = ""  # reject: the out-of-scope cue's reply, if one fired


def substance(intent) -> tuple[str, str]:
    """What an intent is about, coarsely: its place and its support item (the calculator or
    checklist it leads to) or, without one, its topic. Two intents with the same substance are
    two aspects of one thing, not two things to choose between."""
    action = intent.action or ""
    item = action.split(":", 1)[1].removeprefix("apply-") if ":" in action else ""
    place = intent.jurisdiction if intent.jurisdiction in LOCAL else "general"
    return place, item if item and place == "dalian-gxq" else intent.topic


@cache
def national_of() -> dict[str, str]:
    """Each place's restatement of a national rule and that rule (intents/counterparts.yaml:
    ln-tax-9810-refund -> reg-9810-refund)."""
    from intents.session import counterparts  # (imported here: session imports respond, which imports this)

    return {
        local: group["national"]
        for _, group in counterparts()
        if "national" in group
        for place, local in group.items()
        if place in LOCAL
    }


# no place known and a place's restatement of a national rule ranked first by at most this much of
# the score ahead of the rule (AEO咋弄: 辽宁's line 0.60, the rule 0.58): the rule answers
NATIONAL_GAP = 0.05


def differ(a, b) -> bool:
    """Two readings worth asking between: another place, item or topic; not an item and the
    materials checklist whose title names it (高新区国际通道: the item answers, its materials are
    one tap away)."""
    if substance(a) == substance(b):
        return False
    if a.jurisdiction == b.jurisdiction and (applies_with(a) or applies_with(b)):
        return not (_title_items(a.title) & _title_items(b.title))
    return True


# what a reading about several items at once is about (一家企业能否同时申报高新区多项支持)
COMBINING = re.compile(r"多项|几项|两项|同时|叠加|一起|兼得|重复|都能|都可以|一块")


def one_item_only(text: str, top, other) -> bool:
    """The message names one support item, which the top reading's title names, and nothing about
    several at once, which the other reading, of the same place, is about (大连高新区补贴海外仓
    near 多项支持能否同时申报): no real tie."""
    named = _items(text)
    return (
        top.jurisdiction == other.jurisdiction
        and len(named) == 1
        and bool(_title_items(top.title) & named)
        and bool(COMBINING.search(other.title))
        and not COMBINING.search(text)
    )


# the places whose own texts apply to an enquiry from a region: a city of 辽宁 has 辽宁's plan too
APPLIES_IN = {"dalian-gxq": {"dalian-gxq", "liaoning"}, "yingkou": {"yingkou", "liaoning"}, "panjin": {"panjin", "liaoning"}}


def _restating(a, b):
    """Of a national rule and a place's restatement of it (either order), the restatement; else None."""
    national = national_of()
    return a if national.get(a.intent) == b.intent else b if national.get(b.intent) == a.intent else None


def restatement(a, b, region: str | None) -> bool:
    """One is a national rule and the other the restatement of it by a place that applies in the
    enquiry's region (大连的企业9810退税怎么弄: the rule and 辽宁's line on it say the same)."""
    local = _restating(a, b)
    return local is not None and region is not None and local.jurisdiction in APPLIES_IN.get(region, {region})


def _items(text: str) -> frozenset[str]:
    """The key terms of a canonical text beyond its places: the items and topics it names."""
    return key_terms(text) - PLACE_KEYS


@cache
def _title_items(title: str) -> frozenset[str]:
    return _items(canonical(title))


def asks_each(text: str, intents) -> bool:
    """The message names a support item or topic of each intent's title, a different one for each
    (two questions in one message), not one item the titles share."""
    named = _items(text)
    items = [_title_items(intent.title) & named for intent in intents]
    return len(named) >= 2 and all(items) and len(set().union(*items)) >= len(items) and not set.intersection(*map(set, items))


def pooled_confidence(match: Match) -> float:
    """The top reading's confidence, with that of a runner-up that says the same (a national rule and
    a place's restatement of it split the belief between them: 大连的企业申请AEO 辽宁's line 0.28,
    the rule 0.25, yet one of the two surely answers)."""
    top = match.top
    return top.confidence + sum(c.confidence for c in match.candidates[1:RUNNERS_UP] if _restating(c, top) is not None)


def in_scope(match: Match, thresholds: dict) -> bool:
    """The scope model says some intent covers the enquiry (or the top intent is sure)."""
    if match.scope is not None and "scope" in thresholds:
        return match.scope >= thresholds["scope"] or match.confidence >= thresholds["answer"]
    return match.confidence >= thresholds["clarify"]


def decide(match: Match, by_id: dict, thresholds: dict) -> Decision:
    if match.out_of_scope:
        return Decision(REJECT, reason=match.out_of_scope["reply"])
    match = _materials_unasked(match)
    top = match.top
    if top is None or not match.text:
        return Decision(REJECT)
    small_talk = top.kind != "policy" and top.confidence >= thresholds["answer"] and len(match.text) >= 4
    if match.informative <= 1 and top.features.get("fuzz", 0.0) < 0.8 and not small_talk:
        # one meaningful character (好, 嗯, ok): only a near-exact question, or a sentence of sure
        # small talk (你们能干啥)
        return Decision(REJECT)
    if top.kind == "policy" and bare_amount(match.text):
        return Decision(ASK_ITEM, top)  # 80万, 我们去年花了120万: no item named, no estimate guessed
    if top.kind == "handoff" and ASKS_FOR_A_PERSON.search(match.text):
        return Decision(ANSWER, top)  # 能不能找个真人帮我看看: however long the message, a person it is
    if PUT_THROUGH.search(match.text):
        person = next((c for c in match.candidates if c.kind == "handoff"), None) or _handoff_candidate(by_id)
        if person is not None:
            return Decision(ANSWER, person)
    if not in_scope(match, thresholds) or top.confidence < thresholds.get("unsure", 0.0):
        return Decision(REJECT)  # (unsure: no intent is even a fair guess, 营口哪有卖渔具的)
    policy = [c for c in match.candidates if c.kind == "policy" or c is top]
    runners = [c for c in policy[1:] if c.confidence >= thresholds.get("suggestion", 0.1)]
    if match.bare_topic and match.region is None and top.confidence < thresholds.get("sure", 1.0):
        # 海外仓 alone, no place known: the summary across places answers it; without one, ask
        # which place's (or which aspect's) intent is meant
        summary = next((c for c in policy[:RUNNERS_UP] if c.jurisdiction == "multi"), None)
        if summary is not None:
            return Decision(ANSWER, summary, runners_up=tuple(c for c in runners if c is not summary)[:RUNNERS_UP])
        distinct = [c for c in policy[1:RUNNERS_UP] if differ(by_id[c.intent], by_id[top.intent])]
        if distinct:
            return Decision(CLARIFY, top, options=(top, *distinct))
    if top.confidence < thresholds.get("sure", 1.0):
        tie, ratio = thresholds.get("tie", 0.0), thresholds.get("tie_ratio", 1.01)
        national = national_of().get(top.intent) if match.region is None else None
        rule = next(
            (c for c in policy[1:RUNNERS_UP] if c.intent == national and (c.confidence >= ratio * top.confidence or top.score - c.score <= NATIONAL_GAP)),
            None,
        )
        if rule is not None:
            # no place known and a place's restatement of a national rule leads the rule itself by
            # little (9810出口海外仓的货 退税怎么弄): the rule answers for every place, the
            # restatement is one tap away
            return Decision(ANSWER, rule, runners_up=(top, *(c for c in runners if c is not rule))[:RUNNERS_UP])
        tied = [
            c for c in policy[1:RUNNERS_UP]
            if (top.score - c.score <= tie or c.confidence >= ratio * top.confidence) and differ(by_id[c.intent], by_id[top.intent])
            and not one_item_only(match.text, by_id[top.intent], by_id[c.intent])
        ]  # fmt: skip
        restated = [c for c in tied if restatement(c, top, match.region)]
        if restated and top.jurisdiction in GENERAL:
            # the place is known and its restatement of the leading national rule is tied with it:
            # the place's own text answers (it names the rule), the rule is one tap away
            local = restated[0]
            return Decision(ANSWER, local, runners_up=tuple(c for c in policy if c is not local)[:RUNNERS_UP])
        tied = [c for c in tied if c not in restated]
        if match.region is None and top.jurisdiction in GENERAL:
            # no place known: the national rule (or the summary across places) answers for every
            # place, and a place's own restatement of it is one of the runners-up, not a reading to
            # choose (综试区零售出口能核定征收吗: the national rule, 辽宁's under it)
            tied = [c for c in tied if c.jurisdiction not in LOCAL]
        if tied and asks_each(match.text, [by_id[c.intent] for c in (top, *tied)]):
            # "what does the opinion on overseas warehouses say about financing and settlement":
            # the message names what each tied title names, so it asks about all of them: the
            # first answers, the others lead the runners-up
            return Decision(ANSWER, top, runners_up=(*tied, *(c for c in runners if c not in tied))[:RUNNERS_UP])
        if tied:
            return Decision(CLARIFY, top, options=(top, *tied))
        if pooled_confidence(match) < thresholds.get("floor", 0.0) and runners:
            return Decision(CLARIFY, top, options=(top, *runners[: RUNNERS_UP - 1]))
    return Decision(ANSWER, top, runners_up=tuple(runners[:RUNNERS_UP]))


def legacy_decision(match: Match, by_id: dict, thresholds: dict) -> Decision:
    """The policy before issue 12: answer at ``legacy_answer`` confidence (0.84), otherwise up to
    three titles to choose from (one, too)."""
    if match.out_of_scope:
        return Decision(REJECT, reason=match.out_of_scope["reply"])
    top = match.top
    if top is None or not match.text or (match.informative <= 1 and top.features.get("fuzz", 0.0) < 0.8):
        return Decision(REJECT)
    bare = (match.bare_topic or bool(BARE_AMOUNT.fullmatch(match.text))) and top.kind == "policy"
    if top.confidence >= thresholds.get("legacy_answer", 0.84) and not bare:
        return Decision(ANSWER, top)
    if in_scope(match, {**thresholds, "answer": thresholds.get("legacy_answer", 0.84)}) or bare:
        offered = [c for c in match.candidates[:3] if c.kind != "smalltalk" and (c is top or c.confidence >= thresholds.get("suggestion", 0.1) or bare)]
        if offered:
            return Decision(CLARIFY, top, options=tuple(offered))
    return Decision(REJECT)


def _handoff_candidate(by_id: dict) -> Candidate | None:
    """The FAQ's hand-off intent as a sure candidate (a request to be put through that the ranking,
    led by the rest of the message, did not list)."""
    intent = next((i for i in by_id.values() if i.kind == "handoff"), None)
    if intent is None:
        return None
    return Candidate(intent.id, intent.title, intent.kind, intent.jurisdiction, 1.0, 1.0, {}, intent.action)


MATERIALS_RUNNER = 0.3  # the next reading this sure leads when the materials were not asked for


def _materials_unasked(match: Match) -> Match:
    """An item's application materials name two items in their title (海外仓和国际物流的申报材料):
    a question on both items that asks for no paperwork (同时报海外仓和国际通道吗) is about the items,
    so the next reading that is no checklist leads, when it is a fair guess."""
    top = match.top
    if top is None or not applies_with(top) or MATERIALS_CUE.search(match.text):
        return match
    runner = next((c for c in match.candidates[1:] if c.kind == "policy" and not (c.action or "").startswith("checklist:")), None)
    if runner is None or runner.confidence < MATERIALS_RUNNER:
        return match
    rest = tuple(c for c in match.candidates if c is not runner)
    return replace(match, candidates=(runner, *rest))
