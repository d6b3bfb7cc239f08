"""The one entry every channel uses: ``Responder(faq).respond(text, region) -> Reply``.

Decision by calibrated confidence (thresholds in ``intents/model.yaml``):

- an out-of-scope cue fires (``out_of_scope.yaml``)           -> ``fallback`` saying why;
- top intent confident (>= thresholds.answer):
  smalltalk / handoff intents                                  -> ``smalltalk`` / ``handoff``;
  action ``calc:<item>`` and the enquiry carries an amount     -> ``calculation``;
  action with a checklist and the enquiry asks for materials   -> ``checklist``;
  otherwise                                                    -> ``answer``;
- in between (>= thresholds.clarify)                           -> ``clarify`` with up to 3 suggestions;
- no intent, but a clause explains the enquiry well (>= thresholds.excerpt) -> ``excerpt``;
- nothing                                                      -> ``fallback`` (what we cover, 转人工).
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from intents.context import Context, checklist_of, residue
from intents.decision import ANSWER, ASK_ITEM, CLARIFY
from intents.decision import decide as decide_policy
from intents.matcher import REGIONS, Candidate, Match, Matcher, tidy
from intents.normalize import canonical, key_terms, tokens
from intents.personal import strip_personal
from intents.script import ENGLISH, SIMPLIFIED, TRADITIONAL, english_line
from intents.script import convert as convert_script
from intents.script import detect as detect_script
from policy_faq.citation import expiry_note, source_line
from policy_faq.faq import Faq, Intent
from policy_faq.typography import fullwidth

MAX_CHARS = 2000
CACHE_SIZE = 4096
WARM_UP = (  # Responder.warm: one enquiry of each kind
    "高新区海外仓补贴怎么算",
    "高新区海外仓去年花了80万",
    "4%核定征收 收入800万交多少税",
    "海外仓补贴要什么材料",
    "高新區海外倉補貼怎麼算",
    "What is the overseas warehouse subsidy in Dalian?",
)
# words every enquiry here could carry: they name the domain, not a subject (营口跨境电商综试区有扶持资金吗)
DOMAIN_WORDS = re.compile(r"跨境电商|跨境|电商|综合试验区|综试区|专项|方面")
COVERAGE = (
    "我可以解答跨境电商政策方面的问题，例如：\n"
    "• 大连高新区扶持政策（征求意见稿）：产业园、海外仓、国际通道、商标专利认证、海外推广、独立站、展会、首单滞销风险补偿的标准和申报；\n"
    "• 辽宁省、四川省（征求意见稿）跨境电商行动方案，营口、盘锦综试区实施方案（2020—2022年）；\n"
    "• 商务部等9部门海外仓意见；\n"
    "• 9610/9710/9810/1210通关模式、无票免税、4%核定征收、外汇名录登记等全国性规定。"
)
HANDOFF_OFFER = "如需人工帮助，请回复「转人工」，我们会登记工单，由服务中心工作人员回复您。"
MATERIALS_CUE = re.compile(
    r"材料|清单|准备什么|要准备|需要准备|提交什么|需要提交|要交|交什么|带什么|哪些文件|什么文件|什么资料|流程|手续(?!费)|怎么申报|如何申报|申报步骤|checklist"
)


@dataclass(frozen=True)
class Suggestion:
    intent: str
    title: str
    confidence: float


@dataclass(frozen=True)
class Reply:
    kind: str  # answer, clarify, excerpt, calculation, checklist, handoff, smalltalk, fallback
    intent: str | None
    confidence: float
    answer: str
    sources: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[tuple[str, str], ...] = ()
    action: str | None = None
    calculation: dict | None = None
    faq_version: str = ""
    script: str = SIMPLIFIED  # the user's script: hans, hant or en
    followup: str | None = None  # how the context resolved a follow-up (same, region, …), None alone

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "answer": self.answer,
            "sources": list(self.sources),
            "suggestions": [asdict(s) | {"confidence": round(s.confidence, 3)} for s in self.suggestions],
            "related": [{"intent": i, "title": t} for i, t in self.related],
            "action": self.action,
            "calculation": self.calculation,
            "faq_version": self.faq_version,
            "followup": self.followup,
        }


SENTENCE = re.compile(r"[^。；;!?！？\n]+[。；;!?！？]?")
CLAUSE_LEAD = re.compile(r"^\s*\d+\s*[.．、]\s*")  # 「16.用好用活…」: the number is in 摘自…第16条 already


def excerpt_text(clause_text: str, query: str, limit: int = 180) -> str:
    """The sentences of a clause that share most with the enquiry, in order, within ``limit`` chars."""
    flat = CLAUSE_LEAD.sub("", clause_text.replace("\n", ""))
    if len(flat) <= limit:
        return flat
    sentences = SENTENCE.findall(flat)
    wanted = {t for t in tokens(query) if len(t) > 1}
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(wanted & {t for t in tokens(canonical(sentences[i])) if len(t) > 1}),
    )
    chosen: list[int] = []
    length = 0
    for i in scored:
        if length + len(sentences[i]) > limit and chosen:
            continue
        chosen.append(i)
        length += len(sentences[i])
        if length >= limit * 0.6:
            break
    chosen.sort()
    pieces, previous = [], -1
    for i in chosen:
        if i != previous + 1:
            pieces.append("…")
        pieces.append(sentences[i][:limit])
        previous = i
    text = "".join(pieces)
    if previous != len(sentences) - 1:
        text += "…"
    return text


# --- calculators (issue 5) ---------------------------------------------------------------------
EVENTS = re.compile(r"(\d+|[一二两三四五六七八九十百]+)\s*(?:场|次|期|场次)")
POLICY_YEAR = re.compile(r"第\s*([123一二三])\s*年")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3}


def run_calculation(action: str, text: str, today: date | None) -> tuple[str, dict] | str | None:
    """(rendered text, as_dict) for a calc action and a figure in the text; a str asks for RMB; None if n/a."""
    from calculators import amounts

    if not action.startswith("calc:"):
        return None
    item = action.split(":", 1)[1]
    try:
        if item == "training":  # counted in qualifying events, not yuan
            return _training(text, today)
        found = amounts.find_amounts(text)
    except amounts.ForeignCurrencyError:
        return "请用人民币金额说明（例如「80万元」），补贴按人民币计算。"
    if not found:
        return None
    try:
        result = _calculate(item, found, text, today)
    except (ValueError, KeyError):  # e.g. a negative amount: answer without a figure
        return None
    rendered = result.text()
    rough = amounts.approximate_phrase(text)
    if rough is not None and len(found) == 1:
        # 十几万 is read as 10万 (what was surely spent): say so, so the figure is not taken as exact
        head, _, rest = rendered.partition("\n")
        note = f"• 您说的「{rough}」按{amounts.format_yuan(found[0])}估算；告诉我准确金额，可以重新测算。"
        rendered = f"{head}\n{note}\n{rest}" if rest else f"{head}\n{note}"
    return rendered, result.as_dict()


def _calculate(item: str, found: list, text: str, today: date | None):
    if item == "first-order":
        from calculators.first_order import compensate

        year = POLICY_YEAR.search(text)
        policy_year = int(CHINESE_DIGITS.get(year[1], year[1])) if year else 1
        return compensate(found, policy_year=policy_year, today=today)
    if item == "eit":
        from calculators.eit import deemed_profit_tax

        return deemed_profit_tax(found[0], small_low_profit=bool(re.search(r"小型微利|小微", text)), on=today)
    from calculators.subsidy import estimate

    return estimate({item: found[0]}, today=today)


def _training(text: str, today: date | None) -> tuple[str, dict] | None:
    from calculators.amounts import parse_count
    from calculators.subsidy import estimate

    match = EVENTS.search(text)
    count = parse_count(match[0]) if match else None
    if not count:
        return None
    result = estimate({}, today=today, events={"training": count})
    return result.text(), result.as_dict()


def checklist_text(checklist_id: str) -> str | None:
    try:
        from calculators.checklists import get_checklist
    except ImportError:
        return None
    try:
        return get_checklist(checklist_id).text()
    except Exception:  # noqa: BLE001 - unknown checklist id: answer without it
        return None


def newer_version_notes(intents) -> dict[str, tuple[str, ...]]:
    """Intent id -> the notes its answer carries because a cited clause was changed by a newer
    document that no operator has reviewed it against yet (policy_faq/supersession.py)."""
    from policy_faq.supersession import newer_version_note, review_flags

    notes: dict[str, list[str]] = {}
    for flag in review_flags(list(intents)):
        note = newer_version_note(flag.old_ref, flag)
        if note not in notes.setdefault(flag.intent, []):
            notes[flag.intent].append(note)
    return {intent: tuple(found) for intent, found in notes.items()}


# --- the responder ----------------------------------------------------------------------------
class Responder:
    def __init__(self, faq: Faq, tokenizer: str | None = None, model: dict | None = None) -> None:
        self.faq = faq
        self.matcher = Matcher(faq, tokenizer=tokenizer, model=model)
        self.clauses = self.matcher.clauses
        self.thresholds = self.matcher.model["thresholds"]
        self.by_id: dict[str, Intent] = faq.by_id()
        self.review_notes = newer_version_notes(self.by_id.values())
        # replies are immutable and depend only on (text, region, day): frequent enquiries are
        # answered from here (cleared when full; a swap_responder starts a fresh one)
        self._cache: dict[tuple, Reply] = {}
        # the calculators' items and the checklists load now, not in the first user's reply
        # (20-25 ms of YAML once per process)
        from calculators.checklists import load_checklists
        from calculators.items import load_items

        load_items()
        load_checklists()
        # the index is hundreds of thousands of long-lived objects: out of the collector's way,
        # a full collection no longer walks them in the middle of someone's enquiry (p99 1.9 -> 1.4
        # ms). Reference counting still frees an old index after a reload; only cycles would stay.
        gc.collect()
        gc.freeze()

    def warm(self) -> Responder:
        """Answer one enquiry of each kind now (plain, a calculation of each calculator, a
        checklist, traditional script, English): their modules and tables load on first use, 5-25
        ms that the first user after a start or a FAQ reload would otherwise wait. The replies are
        not kept."""
        for text in WARM_UP:
            self.respond(text)
        self._cache.clear()
        return self

    def _reply(
        self, kind: str, answer: str, intent: Intent | None = None, confidence: float = 0.0, **extra
    ) -> Reply:
        related = tuple(
            (r, self.by_id[r].title) for r in (intent.related if intent else ()) if r in self.by_id
        )
        return Reply(
            kind=kind,
            intent=intent.id if intent else None,
            confidence=max(0.0, min(1.0, confidence)),
            answer=answer,
            related=related,
            action=intent.action if intent else None,
            faq_version=self.faq.version,
            **extra,
        )

    def fallback(self, reason: str = "", confidence: float = 0.0) -> Reply:
        lead = reason or "抱歉，这个问题我还不能确定如何回答。"
        return self._reply("fallback", f"{lead}\n{COVERAGE}\n{HANDOFF_OFFER}", confidence=confidence)

    def respond(
        self,
        text: str | None,
        region: str | None = None,
        today: date | None = None,
        script: str | None = None,
        match: Match | None = None,
    ) -> Reply:
        """The reply to one enquiry on its own (no conversation context); ``match`` is its ranking
        when the caller has it already."""
        problem = self.problem(text)
        if problem is not None:
            return problem
        text = str(text)
        if region not in REGIONS:
            region = None
        script = detect_script(text, script or SIMPLIFIED)
        key = (text, region, today or date.today(), script)
        reply = self._cache.get(key)
        if reply is None:
            clean = strip_personal(text)
            match = match if match is not None else self.matcher.rank(clean, region=region)
            reply = self.localise(self.decide(clean, match, today), script)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = reply
        return reply

    def respond_in_context(
        self,
        text: str | None,
        context: Context | None,
        region: str | None = None,
        now: float | None = None,
        today: date | None = None,
    ) -> tuple[Reply, Context | None]:
        """The reply to a message of a conversation, and the context after it (see
        ``intents/context.py``): a follow-up is read against ``context``, anything else alone."""
        from intents.session import respond_in_context

        return respond_in_context(self, text, context, region=region, now=now, today=today)

    def respond_to_choice(
        self,
        intent_id: str,
        text: str,
        context: Context | None,
        now: float | None = None,
        today: date | None = None,
    ) -> tuple[Reply, Context | None]:
        """The answer of an intent the user picked (a button), and the context after it: the
        conversation is about that intent now."""
        from intents.session import after_choice

        return after_choice(self, intent_id, text, context, now=now, today=today)

    def problem(self, text: str | None) -> Reply | None:
        """A polite reply to an empty or an overlong enquiry, None for one to answer."""
        if text is None or not str(text).strip():
            return self.fallback("您好，请输入您想咨询的问题。")
        if len(str(text)) > MAX_CHARS:
            return self.fallback(
                f"您的问题有{len(str(text))}个字，超过了{MAX_CHARS}字的上限，请简要说明您想咨询的政策问题。"
            )
        return None

    def respond_intent(
        self, intent_id: str, text: str = "", today: date | None = None, script: str = SIMPLIFIED
    ) -> Reply:
        """The answer of a known intent (a suggestion button was pressed); fallback if unknown.

        ``text`` is the user's original enquiry, if any, so that an amount in it still gets a
        calculation."""
        intent = self.by_id.get(intent_id)
        if intent is None:
            return self.fallback()
        return self.localise(self._answer(strip_personal(text) or intent.title, intent, 1.0, today), script)

    def localise(self, reply: Reply, script: str) -> Reply:
        """The reply in the user's script: traditional characters, or an English line first."""
        if script == TRADITIONAL:
            return replace(
                reply,
                answer=convert_script(reply.answer, script),
                suggestions=tuple(
                    replace(s, title=convert_script(s.title, script)) for s in reply.suggestions
                ),
                related=tuple((i, convert_script(t, script)) for i, t in reply.related),
                script=script,
            )
        if script == ENGLISH:
            intent = self.by_id.get(reply.intent or "")
            line = english_line(
                reply.kind, intent.title_en if intent else None, intent.title if intent else None
            )
            return replace(reply, answer=f"{line}\n{reply.answer}", script=script)
        return reply

    def decide(self, text: str, match: Match, today: date | None = None, policy=decide_policy) -> Reply:
        decision = policy(match, self.by_id, self.thresholds)
        if decision.action in (ANSWER, CLARIFY) and decision.top.confidence < self.thresholds.get("sure", 1.0):
            funding = self.funding_asked(match)
            if funding is not None:  # 大连高新区给不给钱: what that place funds, the readings under it
                readings = {c.intent: c for c in (decision.top, *decision.runners_up, *decision.options)}
                readings.pop(funding.id, None)
                suggestions = suggestions_of(list(readings.values())[:3])
                return replace(self._answer(text, funding, decision.top.confidence, today), suggestions=suggestions)
        if decision.action == ANSWER:
            intent = self.by_id[decision.top.intent]
            suggestions = suggestions_of(decision.runners_up)
            return replace(
                self._answer(text, intent, decision.top.confidence, today), suggestions=suggestions
            )
        if decision.action == CLARIFY:
            return self.clarify(decision.options)
        if decision.action == ASK_ITEM:
            return self.ask_item(match)
        if decision.reason:
            return self.fallback(decision.reason)
        return self._excerpt_or_fallback(match, today)

    def funding_asked(self, match: Match):
        """The intent on what a place funds when the enquiry names that place and asks for money and
        nothing else (四川有补贴吗, 大连高新区给不给钱), None otherwise."""
        from intents.session import FUNDING, MONEY, QUESTION_WORDS, group_intent, without_places

        said = match.text  # canonical: 给钱 reads 补贴
        if match.region is None or not MONEY.search(said):
            return None
        if residue(QUESTION_WORDS.sub("", MONEY.sub("", DOMAIN_WORDS.sub("", without_places(said))))).strip("给不"):
            return None
        return group_intent(self, FUNDING, match.region)

    def clarify(self, options) -> Reply:
        """The question that tells the readings apart, with one button per reading (two or more)."""
        suggestions = suggestions_of(options)
        titles = [f"「{s.title}」" for s in suggestions]
        question = f"您问的是{'、'.join(titles[:-1])}，还是{titles[-1]}？请点选，或换个说法。"
        first = self.by_id[suggestions[0].intent]
        return self._reply(
            "clarify", question, intent=first, confidence=suggestions[0].confidence, suggestions=suggestions
        )

    def ask_item(self, match: Match) -> Reply:
        """An amount alone: which support item is it for? The calculator intents offered."""
        offered = [c for c in match.candidates if (self.by_id[c.intent].action or "").startswith("calc:")][:3]
        for intent_id in DEFAULT_ITEMS:
            if len(offered) >= 3:
                break
            if intent_id in self.by_id and all(c.intent != intent_id for c in offered):
                intent = self.by_id[intent_id]
                offered.append(Candidate(intent.id, intent.title, intent.kind, intent.jurisdiction, 0.0, 0.0))
        suggestions = suggestions_of(offered)
        answer = "这笔金额是哪一项费用？请点选项目，或直接说明（例如「海外仓费用80万」），我来测算。"
        first = self.by_id[suggestions[0].intent] if suggestions else None
        return self._reply(
            "clarify", answer, intent=first, confidence=match.confidence, suggestions=suggestions
        )

    def _excerpt(self, hit, match: Match, today: date | None = None) -> Reply:
        from policy_faq.corpus import get_clause

        ref = hit.ref
        quote = fullwidth(excerpt_text(get_clause(ref).text, match.text))  # the clause as received: half-width marks
        answer = (
            "没有找到完全对应的问答，以下是相关条款的原文摘录，仅供参考，不是确认的答复：\n"
            f"「{quote}」\n{source_line((ref,)).replace('依据：', '摘自：', 1)}\n{HANDOFF_OFFER}"
        )
        expired = expiry_note((ref,), today)
        if expired:  # an excerpt from a document past its valid-until says so too
            answer += f"\n{expired}"
        from policy_faq.supersession import clause_flag, newer_version_note

        flag = clause_flag(ref)
        if flag is not None:  # quoted from a clause a newer version changed
            answer += f"\n{newer_version_note(ref, flag)}"
        return self._reply("excerpt", answer, confidence=hit.score, sources=(ref,))

    def _excerpt_or_fallback(self, match: Match, today: date | None = None) -> Reply:
        top_confidence = match.confidence
        if match.text and key_terms(match.text):  # an excerpt needs a policy term, not just 企业/流程
            hits = self.clauses.search(match.text, limit=1, region=match.region)
            if (
                hits
                and hits[0].score >= self.thresholds["excerpt"]
                and self.clauses.shares_key_term(hits[0].ref, match.text)
            ):
                return self._excerpt(hits[0], match, today)
        return self.fallback(confidence=top_confidence)

    def _answer(
        self, text: str, intent: Intent, confidence: float, today: date | None, materials: bool | None = None
    ) -> Reply:
        """The intent's answer; with a calculation when it has a calculator and ``text`` an
        amount, with its checklist first when ``text`` asks for materials (or ``materials``)."""
        if intent.kind in ("smalltalk", "handoff"):
            return self._reply(intent.kind, tidy(intent.answer), intent=intent, confidence=confidence)
        body = tidy(intent.answer)
        line = source_line(intent.sources)
        kind, calculation = "answer", None
        action = intent.action or ""
        if action.startswith("calc:"):
            result = run_calculation(action, text, today)
            if isinstance(result, str):
                body = f"{result}\n{body}"
            elif result is not None:  # the figure, its working and basis: not the FAQ text again
                kind, calculation = "calculation", result[1]
                body = result[0].strip()
                if "依据：" in body:
                    line = ""
        if kind == "answer" and (materials if materials is not None else MATERIALS_CUE.search(text)):
            checklist_id = checklist_of(intent)
            listed = checklist_text(checklist_id) if checklist_id else None
            if listed:  # what to prepare, then the basis: the answer's text is one tap away
                kind = "checklist"
                body = listed.strip()
        answer = body + (f"\n{line}" if line else "")
        expired = expiry_note(intent.sources, today)
        if expired:
            answer += f"\n{expired}"
        cited_docs = {ref.split(":", 1)[0] for ref in intent.sources}
        if calculation is None or calculation.get("document", "") in cited_docs:
            # superseded and not yet reviewed (a calculation from the newer text needs no warning)
            for note in self.review_notes.get(intent.id, ()):
                answer += f"\n{note}"
        return self._reply(
            kind,
            answer,
            intent=intent,
            confidence=confidence,
            sources=tuple(intent.sources),
            calculation=calculation,
        )


def suggestions_of(candidates) -> tuple[Suggestion, ...]:
    """Buttons for ranked candidates: what else the enquiry may mean, or the readings to choose."""
    return tuple(Suggestion(c.intent, c.title, round(c.confidence, 4)) for c in candidates)


# offered for an amount alone when the enquiry itself suggests no calculator: the items asked most
DEFAULT_ITEMS = ("gxq-overseas-warehouse-subsidy", "gxq-promotion-subsidy", "gxq-intl-logistics-subsidy")


# --- the process-wide responder ---------------------------------------------------------------
_lock = threading.Lock()
_current: Responder | None = None
_faq_dir: Path | None = None  # None: the FAQ shipped in the package (policy_faq/faq)


def use_faq_dir(directory: Path | None) -> None:
    """Answer from the FAQ in ``directory`` (CBEC_FAQ_DIR) from now on."""
    global _faq_dir, _current
    from policy_faq.corpus import use_documents_dir

    with _lock:
        if directory != _faq_dir:
            _faq_dir, _current = directory, None
            use_documents_dir(directory / "documents" if directory else None)


def faq_dir() -> Path:
    from policy_faq.faq import FAQ_DIR

    return _faq_dir or FAQ_DIR


def get_responder() -> Responder:
    """The current responder, built from ``load_faq()`` on first use."""
    global _current
    responder = _current
    if responder is not None:
        return responder
    with _lock:
        if _current is None:
            from policy_faq.faq import FaqError, load_faq

            try:
                faq = load_faq(faq_dir())
            except FaqError as error:  # answer from the valid files rather than not at all
                logging.getLogger(__name__).warning(
                    "FAQ has problems, loading the valid files only: %s", error
                )
                faq = load_faq(faq_dir(), strict=False)
            _current = Responder(faq).warm()
        return _current


def swap_responder(new: Responder) -> Responder | None:
    """Replace the process-wide responder atomically; returns the previous one."""
    global _current
    with _lock:
        previous, _current = _current, new
    return previous
