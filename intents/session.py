"""One message of a conversation: read it against the session's context when it is a follow-up
(``intents/context.py`` says which kind), otherwise on its own; then work out the context the
next message sees. Every channel and ``ask --session`` / ``ask --jsonl`` sessions use this.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from intents.context import (
    AMOUNT,
    ANSWERED,
    ASPECT,
    CLAUSE,
    ELLIPTICAL_LEAD,
    MATERIALS,
    MATERIALS_CUE,
    MODIFIERS,
    NATIONAL,
    NEXT_YEAR,
    NOUN_ELLIPSIS,
    PLACE_KEYS,
    REGION,
    REGION_WORDS,
    SAME,
    SIBLING,
    Context,
    FollowUp,
    applies_with,
    calc_item,
    checklist_of,
    classify,
    lead_with_aspect,
    modifiers_of,
    residue,
)
from intents.matcher import LOCAL, PLACES, REGIONS
from intents.normalize import canonical, key_terms, plain, tokens
from intents.personal import strip_personal
from intents.respond import EVENTS
from intents.script import SIMPLIFIED
from intents.script import detect as detect_script

# how often a follow-up read against the context is right (tests/data/dialogues.yaml: 89.6% of the
# dev part's follow-up turns, 82.5% of the hold-out's)
FOLLOW_UP_CONFIDENCE = 0.9
CALC_ASK = re.compile(
    r"怎么算|咋算|如何算|算一下|算算|能补多少|补多少|能拿多少|拿多少|给多少|交多少|退多少|多少钱|how much"
)
RANK_DEPTH = 10  # candidates a sibling follow-up chooses from
# a region follow-up: weights of the context intent's title and first questions, the user's question
# that set the topic, and what the message adds (grids on the dev dialogues: the title alone 42 of
# 51 right, the user's question alone 33; shared key terms and the FAQ topic added nothing)
TITLE_WEIGHT, QUESTIONS_WEIGHT, USER_WEIGHT, WORDS_WEIGHT = 0.6, 0.3, 0.1, 0.8
# the FAQ's first questions of an intent: as good on the dev dialogues as all of them, at a quarter
# of the cost (all of them took 4 ms the first time an intent was the context)
QUESTIONS_USED = 4
# a sibling follow-up: what helps a candidate beside its ranking: having a calculator like the
# context's intent (one of the 高新区 items), the same place, the same document (grids on the dev
# dialogues; closeness to the context's intent in what it is about, 0.3 before, cost 1.3 points and
# was dropped; a checklist in common helped nothing)
SIBLING_KIND, SIBLING_PLACE, SIBLING_DOCUMENT = 0.2, 0.1, 0.1
# a summary across places is no sibling of one document's part (物流方面说了啥 after the 商务部 opinion)
SIBLING_SUMMARY = 0.1
SIBLING_MATERIALS = 0.1  # an item's application materials are no sibling of its own unless asked for
IN_PLACE, IN_PLACE_ITEM = 0.8, 0.99
# what, after a support item, asks about the policy as a whole rather than the item
ABOUT_THE_POLICY = re.compile(r"谁|解释|有效|正式|生效|截止|过期|征求意见|叠加|重复|同时|空壳|失信|不能报|不得|市里|省里|依据|who|valid|in force|draft")
# a second grant on top of one already had (拿过市里的物流补贴还能再报区里的吗): the place's rule on
# overlapping funding answers it, not the item, once the place's ranking is fairly sure of it
STACKING = re.compile(r"叠加|重复(?:申报|申请|享受|拿)|同时(?:申报|申请|享受|拿)|再报|再申报|再申请|再拿|还能报|还能申请|兼得|stack|double[- ]dip|both")
COUNTERPARTS = Path(__file__).with_name("counterparts.yaml")
OVERVIEW, FUNDING, STATUS = "overview", "funding", "status"
# a place asked whether its plan is final (四川那个也是草案吗): the place's intent on its status
STATUS_ASKED = re.compile(r"草案|征求意见|正式(?:稿|文件|版|出台|发布|实施)|生效|定稿|draft|in force|final")
MONEY = re.compile(r"给钱|给不给钱|有钱|有没有钱|给多少|多少钱|补贴|补助|资金|奖励|扶持|money|fund|subsid")
QUESTION_WORDS = re.compile(r"咋|怎么|怎样|如何|啥|什么|哪些|哪|吗|呢|么|多少|几|是否|能否|有没有|给不给|有|没")
DOCUMENT_KEYS = frozenset({"#商务部", "#综试区"})  # name a document, not a subject


def respond_in_context(
    responder, text, context: Context | None, region=None, now: float | None = None, today: date | None = None
):
    now = time.time() if now is None else now
    problem = responder.problem(text)
    if problem is not None:
        return problem, context
    text = str(text)
    region = region if region in REGIONS else None
    live = context if context is not None and context.live(now) else None
    script = detect_script(text, live.script if live else SIMPLIFIED)
    clean = strip_personal(text)
    amount = first_amount(clean)
    if amount is None and live is not None and live.item == "training" and EVENTS.search(clean):
        amount = ""  # 全年办了20场: training is counted in events, which the calculator reads
    follow = reply = match = None
    if live is not None:
        match = responder.matcher.rank(clean, region=region)
        keys = (
            responder.matcher.intent_keys[responder.matcher.index_of[live.intent]]
            if live.intent in responder.matcher.index_of
            else frozenset()
        )
        typed = plain(clean)
        calculator = (
            calc_target(responder, responder.by_id[live.intent]) if live.intent in responder.by_id else None
        )
        # a foreign-currency figure (20万美元) is a figure to compute only where there is a calculator
        has_amount = amount is not None and (amount != "" or calculator is not None)
        follow = classify(match.text, typed, live, now, has_amount, match, keys)
        reply = resolve(responder, follow, typed, live, today, match) if follow is not None else None
    if reply is None:
        follow = None
        reply = responder.respond(text, region=region, today=today, script=script, match=match)
    else:
        reply = responder.localise(replace(reply, followup=follow.kind), script)
    own_topic = bool(key_terms(match.text if match is not None else canonical(clean)))
    return reply, next_context(responder, live, reply, clean, follow, amount, script, now, own_topic)


def after_choice(
    responder,
    intent_id: str,
    text: str,
    context: Context | None,
    now: float | None = None,
    today: date | None = None,
):
    now = time.time() if now is None else now
    live = context if context is not None and context.live(now) else None
    script = live.script if live else SIMPLIFIED
    clean = strip_personal(text or "")
    reply = responder.respond_intent(intent_id, clean, today=today, script=script)
    title = responder.by_id[intent_id].title if intent_id in responder.by_id else ""
    return reply, next_context(responder, None, reply, clean or title, None, first_amount(clean), script, now)


@lru_cache(maxsize=1024)  # asked of the same message by the reading, the reply and the next context
def first_amount(text: str) -> str | None:
    """The first amount of the message in yuan ("1200000"), "" for a foreign currency (the
    calculator then asks for RMB), None when there is none."""
    from calculators.amounts import ForeignCurrencyError, find_amounts

    try:
        found = find_amounts(text)
    except ForeignCurrencyError:
        return ""
    return format(found[0], "f") if found else None


def resolve(responder, follow: FollowUp, text: str, context: Context, today: date | None, match=None):
    """The reply to a follow-up, or None when the context gives no good reading of it."""
    intent = responder.by_id.get(context.intent or "")
    if intent is None:
        return None
    if follow.kind == SAME:
        other = asked_elsewhere_in_place(responder, match, context, intent)
        if other is not None:  # 有效期到啥时候 after 政策依据: the place's own intent for that aspect
            return responder._answer(text, other, FOLLOW_UP_CONFIDENCE, today, materials=False)
        text = next_policy_year(text, context)
        calc = (
            f"{context.amount}元 {context.modifiers} {text}"
            if calc_item(intent) and context.amount and (CALC_ASK.search(text) or MODIFIERS.search(text))
            else text
        )
        reply = responder._answer(calc, intent, FOLLOW_UP_CONFIDENCE, today, materials=False)
        return replace(reply, answer=lead_with_aspect(reply.answer, text)) if reply.kind == "answer" else reply
    if follow.kind == MATERIALS:
        return responder._answer(text, intent, FOLLOW_UP_CONFIDENCE, today, materials=True)
    if follow.kind == AMOUNT:
        named = named_calculator(responder, match, intent) if len(TOTAL.sub("", follow.query)) >= 2 else None
        target = named or calc_target(responder, intent) or item_intent(responder, context.item)
        if target is None:
            return None
        return responder._answer(
            f"{text} {context.modifiers}", target, FOLLOW_UP_CONFIDENCE, today, materials=False
        )
    if follow.kind == CLAUSE:
        target = clause_intent(responder, intent, follow.query)
    elif follow.kind == REGION:
        target = region_intent(responder, follow.region, context, intent, follow.query, said=text)
    else:
        target = sibling_intent(responder, follow.query, context, intent)
        if target is not None and restates_what_alone_answers(target, match):
            return None  # 没有进项发票的出口货能免增值税吗 in a 辽宁 talk: the national rule, as asked alone
    if target is None:
        return None
    calc = text
    if (
        calc_item(target)
        and first_amount(text) is None
        and context.amount
        and calc_item(target) == context.item
    ):
        calc = f"{context.amount}元 {modifiers_of(text, target) or context.modifiers} {text}"  # 那小型微利企业呢: the same revenue
    return responder._answer(calc, target, FOLLOW_UP_CONFIDENCE, today, materials=False)


RESTATED_ALONE = 0.6  # the ranking alone this sure of a national rule: a sibling that restates it reads alone
COMPLETE_REST = 8  # … when the message says this much and has no mark of ellipsis (那…, …呢)


def restates_what_alone_answers(target, match) -> bool:
    """The sibling found is a place's restatement of the national rule the message alone is fairly
    sure of: a complete question about the rule, answered as it would be alone."""
    from intents.decision import national_of

    top = match.top if match is not None else None
    if top is None or national_of().get(target.id) != top.intent or top.confidence < RESTATED_ALONE:
        return False
    text = match.text
    return len(residue(text)) >= COMPLETE_REST and not (ELLIPTICAL_LEAD.search(text) or NOUN_ELLIPSIS.search(text))


def asked_elsewhere_in_place(responder, match, context: Context, intent):
    """The intent of the context's place that the message, ranked in that place alone, is sure of
    when it is not the context's (有效期到啥时候 / 谁负责解释 after 高新区政策依据: the place has an
    intent for just that), None otherwise. After a support item with a calculator the
    aspect questions (一次性？明年还有吗) are the item's own: only a message the place's ranking
    is all but certain of goes elsewhere (誰負責解釋)."""
    place = intent.jurisdiction if intent.jurisdiction in LOCAL else None
    if match is None or place is None or not match.text:
        return None
    if calc_item(intent) and not ABOUT_THE_POLICY.search(match.text):
        return None  # an aspect of the item (上限, 几年, 一次性): no second ranking needed
    top = responder.matcher.rank(match.text, region=place, limit=3).top
    wanted = IN_PLACE_ITEM if calc_item(intent) and not STACKING.search(match.text) else IN_PLACE
    if top is None or top.intent == intent.id or top.kind != "policy" or top.jurisdiction != place or top.confidence < wanted:
        return None
    return responder.by_id[top.intent]


def next_policy_year(text: str, context: Context) -> str:
    """下一年 after a first-order estimate: the policy year after the one computed (第1年 -> 第2年)."""
    if not NEXT_YEAR.search(text):
        return text
    year = re.search(r"第\s*([123])\s*年", context.modifiers)
    following = min(3, (int(year.group(1)) if year else 1) + 1)
    return NEXT_YEAR.sub(f"第{following}年", text)


def calc_target(responder, intent):
    """The intent that computes for ``intent``: itself, or the one with a calculator and the same
    checklist, the national rule before a summary (辽宁核定征收 -> 4%核定征收企业所得税; 高新区推广
    申报材料 -> 海外推广支持). Kept with the responder: a reload builds a new one."""
    targets = responder.__dict__.setdefault("_calc_targets", {})
    if intent.id not in targets:
        targets[intent.id] = _calc_target(responder, intent)
    return targets[intent.id]


def _calc_target(responder, intent):
    if calc_item(intent):
        return intent
    checklist = checklist_of(intent)
    if checklist is None:
        return None
    same = [i for i in responder.by_id.values() if calc_item(i) and checklist_of(i) == checklist]
    return min(same, key=lambda i: JURISDICTION_ORDER.get(i.jurisdiction, 9), default=None)


JURISDICTION_ORDER = {"dalian-gxq": 0, "national": 1, "multi": 2}
TOTAL = re.compile(r"共计|一共|总共|合计|总计|累计|加起来|总额|全部|差不多")  # 共计3万2 names no item
NAMED_CALCULATOR = 0.5  # an amount whose message names another item this surely goes to that item


def named_calculator(responder, match, intent):
    """The calculator the amount's message names itself (服务器+主题插件 6万2 -> 独立站; 园区一年
    运营投入650万 -> 产业园), when the ranking alone is sure of an intent with a calculator."""
    top = match.top if match is not None else None
    if top is None or top.intent == intent.id or top.confidence < NAMED_CALCULATOR:
        return None
    if intent.id in {c.intent for c in match.candidates[:3]}:
        return None  # 园区一年运营投入650万 after the park: the item just discussed fits as well
    named = responder.by_id[top.intent]
    return named if calc_item(named) and calc_item(named) != calc_item(intent) else None


def item_intent(responder, item: str | None):
    """The intent whose calculator is ``item`` (the first, most specific one)."""
    if not item:
        return None
    return next((i for i in responder.by_id.values() if i.action == f"calc:{item}"), None)


def without_places(text: str) -> str:
    for _, pattern in PLACES:
        text = pattern.sub("", text)
    return text


REGION_MATERIALS = 0.85  # a place's application checklist, weighed against its items on a region follow-up


def region_intent(responder, region: str, context: Context, intent, words: str = "", said: str = ""):
    """The intent of ``region`` nearest to the context's intent: the place's intent documents
    (title and questions) scored against the context intent's title and questions, with places
    taken out, and a little of the user's own question and of what the message adds (方案)."""
    matcher = responder.matcher
    # 具体咋落实, 给不给钱 add no topic: 具体, 咋 and money are no subject of their own
    topic = QUESTION_WORDS.sub("", ASPECT.sub("", MONEY.sub("", words)))
    leads = bool(topic) and (len(topic) > 2 or bool(key_terms(canonical(topic)) - PLACE_KEYS))
    if not leads and STATUS_ASKED.search(said):
        # 四川那个也是草案吗: whether that place's plan is in force, whatever the topic was
        status = group_intent(responder, STATUS, region)
        if status is not None and status.id != intent.id:
            return status
    counterpart = None if leads else counterpart_in(responder, intent, region, asked=context.text, subject=context.subject)
    if counterpart is not None:  # 四川呢 after 高新区产业园: 四川's own intent on industrial parks
        return counterpart
    if not leads and MONEY.search(said):
        # 大连高新区给不给钱 after a subject that place has no intent on: what that place funds
        funding = group_intent(responder, FUNDING, region)
        if funding is not None and funding.id != intent.id:
            return funding
    scores = topic_scores(responder, intent)
    if context.text:
        scores = scores + USER_WEIGHT * dense(matcher, without_places(canonical(context.text)))
    if words:  # what the message adds: a word or two (方案) nudges, a topic (培训, 扶持资金) leads
        scores = scores + (WORDS_WEIGHT if leads else USER_WEIGHT) * dense(matcher, words)
    materials = bool(MATERIALS_CUE.search(said) or MATERIALS_CUE.search(context.text))
    # 国家层面呢: the national documents first, the summaries across places when they have nothing
    for wanted in (("national",), ("multi",)) if region == NATIONAL else ((region,),):
        best, best_score = None, 0.0
        for i, candidate in enumerate(matcher.intents):
            if candidate.jurisdiction not in wanted or candidate.kind != "policy" or candidate.id == intent.id:
                continue
            # 高新区呢 after the brand support across places: the zone's brand items, not the
            # checklist of their application materials (unless those were asked for)
            checklist = applies_with(candidate) and not materials
            score = float(scores[i]) * (REGION_MATERIALS if checklist else 1.0)
            if score > best_score:
                best, best_score = candidate, score
        if best is not None:
            return best
    return None


def group_intent(responder, group: str, region: str | None):
    """``region``'s intent in a group of counterparts.yaml (FUNDING: what the place funds; STATUS:
    whether its plan is in force), or None."""
    return responder.by_id.get(dict(counterparts()).get(group, {}).get(region))


@cache
def counterparts() -> tuple[dict[str, str], ...]:
    """The groups of intents on one subject, one per place (intents/counterparts.yaml), in order."""
    import yaml

    return tuple(yaml.safe_load(COUNTERPARTS.read_text(encoding="utf-8")).items())


# a narrower term names its wider subject too (收款结汇 is a forex matter, 融资 a finance one): a
# summary across subjects followed by 辽宁呢 goes to the place's intent on the one asked about
SUBJECT_OF_TERM = {"#结汇": "#外汇", "#收汇": "#外汇", "#融资": "#金融", "#出口信用保险": "#金融"}


def subject_of(text: str) -> frozenset[str]:
    """The key terms of a question beyond places and documents (海外仓 in 125号文对海外仓…)."""
    if not text:
        return frozenset()
    terms = key_terms(canonical(text)) - PLACE_KEYS - DOCUMENT_KEYS
    return terms | {SUBJECT_OF_TERM[t] for t in terms if t in SUBJECT_OF_TERM}


def counterpart_in(responder, intent, region: str, asked: str = "", subject: str | None = None):
    """The intent on the same subject as ``intent`` in ``region`` (国家层面呢: national, then the
    summaries across places), from the first group of intents/counterparts.yaml that has both.
    An overview is no subject when the user's question named one (125号文对海外仓有资金支持吗
    answered by the document's overview: 辽宁呢 asks about overseas warehouses)."""
    places = ("national", "multi") if region == NATIONAL else (region,)
    asked_subject = subject_of(asked)
    groups = [
        (name, group)
        for name, group in counterparts()
        if intent.id in group.values() and not (name == OVERVIEW and asked_subject)
    ]
    # an intent in several groups (营口 brand and overseas warehouses are one intent): the groups on
    # what the user asked about, when there are any (那海外仓呢 … 辽宁呢: 辽宁's overseas warehouses)
    on_subject = [named for named in groups if asked_subject & group_subject(responder, named[0])]
    if asked_subject and not on_subject and subject not in (None, intent.id):
        # the answer moved off the user's subject (给钱吗 after 辽宁海外仓 went to 辽宁's funding):
        # another place is asked about that subject (盘锦呢: 盘锦's overseas warehouses)
        on_subject = [
            named for named in counterparts()
            if subject in named[1].values() and asked_subject & group_subject(responder, named[0])
        ]  # fmt: skip
    if not on_subject and subject not in (None, intent.id):
        # an intent in several groups (高新区政策概览 is its overview and its funding): the group of
        # the intent that set the topic (补贴 compared across places, 那高新区呢, 营口有没有类似的)
        on_subject = [named for named in groups if subject in named[1].values()]
    for _, group in on_subject or groups:  # a place missing from the subject's group: the ranking decides
        for place in places:
            if group.get(place) in responder.by_id and group[place] != intent.id:
                return responder.by_id[group[place]]
    return None


def group_subject(responder, name: str) -> frozenset[str]:
    """The key terms at least half the titles of a counterpart group share (海外仓 for overseas-warehouse)."""
    cache = responder.__dict__.setdefault("_group_subjects", {})
    if name not in cache:
        group = dict(counterparts())[name]
        titles = [subject_of(responder.by_id[i].title) for i in group.values() if i in responder.by_id]
        counts = Counter(term for title in titles for term in title)
        cache[name] = frozenset(term for term, n in counts.items() if 2 * n >= len(titles))
    return cache[name]


def clause_intent(responder, intent, number: str):
    """The intent answering clause ``number`` of the context intent's document (第8条 of the 高新区
    policy: the promotion item); the one citing fewest other clauses when several cite it."""
    documents = {ref.split(":", 1)[0] for ref in intent.sources}
    wanted = {f"{doc}:{number}" for doc in documents}
    citing = [i for i in responder.by_id.values() if i.kind == "policy" and wanted & set(i.sources)]
    return min(citing, key=lambda i: (len(i.sources), i.jurisdiction == "multi"), default=None)


def dense(matcher, text: str):
    """BM25 of ``text`` against every intent document (title twice and the questions), 0..1."""
    import numpy as np

    scores = (
        matcher.i_index.normalised_dense(tokens(text, matcher.tokenizer), matcher.unknown_weight)
        if text
        else None
    )
    return scores if scores is not None else np.zeros(len(matcher.intents))


def topic_scores(responder, intent):
    """How close every intent is to ``intent`` in what it is about: its title, places left out, as
    a query against every intent's document (computed once per intent, kept with the responder)."""
    cache = responder.__dict__.setdefault("_topic_scores", {})
    if intent.id not in cache:
        matcher = responder.matcher
        title = without_places(canonical(intent.title))
        questions = without_places(canonical("。".join(intent.questions[:QUESTIONS_USED])))
        cache[intent.id] = TITLE_WEIGHT * dense(matcher, title) + QUESTIONS_WEIGHT * dense(matcher, questions)
    return cache[intent.id]


def sibling_intent(responder, query: str, context: Context, intent):
    """Another intent that the message names (独立站, 9710, 小型微利, 评估), in the context's place:
    the ranking of the message in that place, each candidate helped by leading to the same kind
    of thing (a calculator, a checklist) and by being of the context intent's place."""
    place = context.region if context.region in LOCAL else None
    q = canonical(f"{REGION_WORDS.get(place or '', '')}{query}")
    match = responder.matcher.rank(q, region=place, limit=RANK_DEPTH)
    keys = key_terms(canonical(query)) - PLACE_KEYS
    matcher = responder.matcher
    kind = (intent.action or "").split(":", 1)[0]
    documents = {ref.split(":", 1)[0] for ref in intent.sources}
    materials = bool(MATERIALS_CUE.search(query))
    best, best_score = None, -1.0
    for candidate in match.candidates:
        if candidate.kind != "policy":
            continue  # the context's intent itself may win: 统计口径呢 on 统计 is the same topic
        index = matcher.index_of[candidate.intent]
        if keys and not keys & matcher.intent_keys[index]:
            continue  # 9810呢: only intents that name 9810
        other = responder.by_id[candidate.intent]
        score = candidate.score + (
            SIBLING_KIND if kind == "calc" and (other.action or "").startswith(kind) else 0.0
        )
        score += SIBLING_PLACE if other.jurisdiction == intent.jurisdiction else 0.0
        score += SIBLING_DOCUMENT if documents & {ref.split(":", 1)[0] for ref in other.sources} else 0.0
        score -= SIBLING_SUMMARY if other.jurisdiction == "multi" and intent.jurisdiction != "multi" else 0.0
        # 海外仓那条, 商标那条呢: the item itself, not its application materials (unless asked for)
        score -= SIBLING_MATERIALS if applies_with(other) and not materials else 0.0
        if score > best_score:
            best, best_score = other, score
    return best


def next_context(
    responder,
    previous: Context | None,
    reply,
    text: str,
    follow: FollowUp | None,
    amount,
    script: str,
    now: float,
    own_topic: bool = True,
):
    """What the next message is read against. An answer sets it (a follow-up keeps the topic's
    question); small talk and a refusal leave it as it was; a question back or an excerpt on a
    question with a topic of its own ends it (the topic has changed, and nothing was settled)."""
    intent = responder.by_id.get(reply.intent or "")
    if reply.kind in ANSWERED and intent is not None and intent.kind == "policy":
        carried = previous if follow is not None and previous is not None else None
        item = calc_item(intent) or (carried.item if carried and carried.intent == intent.id else None)
        same_item = carried is not None and item == carried.item
        keeps_subject = carried is not None and follow.kind != SIBLING
        if intent.jurisdiction in LOCAL:
            place = intent.jurisdiction
        elif follow is not None and follow.kind == REGION:
            place = follow.region
        else:
            place = NATIONAL if intent.jurisdiction == "national" else (carried.region if carried else None)
        return Context(
            intent=intent.id,
            topic=intent.topic,
            region=place,
            item=item,
            amount=amount if amount else (carried.amount if same_item else ""),
            modifiers=modifiers_of(text, intent) or (carried.modifiers if same_item else ""),
            # the user's question on the topic; a sibling names a subject of its own (那海外仓呢)
            text=carried.text if keeps_subject else text,
            subject=(carried.subject or carried.intent) if keeps_subject else intent.id,
            script=script,
            at=now,
        )
    if previous is not None and (reply.kind in ("fallback", "smalltalk", "handoff") or not own_topic):
        return replace(previous, script=script)
    if reply.kind == "clarify" and intent is not None and intent.kind == "policy" and reply.suggestions:
        # a new topic, not settled: 「辽宁有没有」 next is read against the first reading offered
        return Context(intent=intent.id, topic=intent.topic, region=intent.jurisdiction if intent.jurisdiction in LOCAL else None,
                       item=calc_item(intent), text=text, script=script, at=now)  # fmt: skip
    return None
